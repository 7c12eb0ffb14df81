"""The participant reads one of their own monthly checklists (DESIGN §2: read own)."""
from __future__ import annotations

from ..access import child_or_404, own_participant
from ..checklists.submissions import WITH_ANSWERS, correction_of
from ..extensions import db
from ..models import ChecklistSubmission, Organisation
from ..rendering import render
from . import bp


@bp.route("/me/checklists/<int:submission_id>")
def checklist(submission_id: int):
    participant = own_participant()
    submission = child_or_404(ChecklistSubmission, submission_id, of=participant,
                              options=WITH_ANSWERS)
    return render("me/checklist.html", participant=participant, submission=submission,
                  items=submission.template.items, newer=correction_of(submission),
                  org=db.session.get(Organisation, participant.organisation_id))
