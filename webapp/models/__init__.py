"""All models, one topic per module, re-exported here."""
from .appointments import APPOINTMENT_KINDS, OUTCOMES, Appointment, HousingNotice, VisitOutcome
from .audit import (
    AuditEvent,
    AuditReview,
    AuditReviewCandidate,
    AuditReviewFlag,
    AuditReviewMonth,
    AuditReviewRead,
)
from .base import utcnow
from .checklists import (
    ANSWERS,
    FOLLOWUP_OWNERS,
    ChecklistAnswer,
    ChecklistFollowupDone,
    ChecklistItem,
    ChecklistSubmission,
    ChecklistTemplate,
)
from .events import SEVERITIES, SOURCES, Disturbance
from .figures import StoredFigures
from .housing_facts import HousingFacts, HousingGeneration, HousingSummary
from .participants import (
    ABSENCE_KINDS,
    PHASES,
    RELIEF_KINDS,
    Absence,
    Apartment,
    Consent,
    Contract,
    Note,
    Participant,
    PhaseChange,
    ReserveKey,
    StaffAssignment,
)
from .people import (
    PRESETS,
    ROLES,
    SECOND_FACTOR_ROLES,
    ActivationCode,
    IdempotencyRecord,
    OpenSupportContact,
    Organisation,
    Team,
    TeamMembership,
    User,
)
from .plans import GOAL_STATUSES, LIFE_AREAS, Goal, GoalComment, Plan, PlanRevision, Step
from .push import PushSubscription, Reminder, ReminderAttempt, ReminderPreference
from .security import LoginThrottle
from .social import (
    AGREEMENT,
    DECISION_KINDS,
    MISSED_REASONS,
    CrisisPlan,
    Decision,
    FollowUpComment,
    FollowUpReport,
    MissedVisit,
    QuarterlyFollowUp,
    SupportAssignment,
)
from .tenancy import (
    BREAKDOWN_CATEGORIES,
    END_REASONS,
    LANDLORD_DECISIONS,
    MEETING_PARTIES,
    TERMINATION_CATEGORIES,
    BreakdownAnalysis,
    InspectionTemplate,
    JointAction,
    JointMeeting,
    Offer,
    Showing,
    TransferCase,
)
from .worklist import WorklistEntry

__all__ = [
    "ANSWERS", "APPOINTMENT_KINDS", "GOAL_STATUSES", "LIFE_AREAS", "OUTCOMES", "PHASES",
    "PRESETS", "ROLES", "SECOND_FACTOR_ROLES", "SEVERITIES", "SOURCES",
    "Absence", "ActivationCode", "Apartment", "Appointment", "AuditEvent", "AuditReview",
    "ChecklistAnswer", "ChecklistFollowupDone", "ChecklistItem", "FOLLOWUP_OWNERS",
    "ChecklistSubmission", "ChecklistTemplate", "Consent",
    "Contract", "Disturbance", "Goal", "GoalComment", "HousingFacts", "HousingGeneration",
    "HousingNotice", "HousingSummary", "IdempotencyRecord", "LoginThrottle", "Note",
    "OpenSupportContact", "Organisation", "Participant", "PhaseChange", "Plan", "PlanRevision",
    "PushSubscription", "Reminder", "ReminderAttempt", "ReminderPreference", "ReserveKey",
    "StaffAssignment", "Step", "Team", "TeamMembership", "User", "VisitOutcome", "utcnow",
    "StoredFigures", "AuditReviewCandidate", "AuditReviewFlag", "AuditReviewMonth",
    "AuditReviewRead",
    "ABSENCE_KINDS", "AGREEMENT", "DECISION_KINDS", "MISSED_REASONS", "RELIEF_KINDS",
    "CrisisPlan", "Decision", "FollowUpComment", "FollowUpReport", "MissedVisit",
    "QuarterlyFollowUp", "SupportAssignment",
    "BREAKDOWN_CATEGORIES", "END_REASONS", "LANDLORD_DECISIONS", "MEETING_PARTIES",
    "TERMINATION_CATEGORIES", "BreakdownAnalysis", "InspectionTemplate", "JointAction",
    "JointMeeting", "Offer", "Showing", "TransferCase", "WorklistEntry",
]
