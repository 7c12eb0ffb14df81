"""The participant's own tenancy: dates and state, and their joint action plan (DESIGN §2)."""
from __future__ import annotations

from ..access import own_participant
from ..audit import record
from ..extensions import db
from ..models import Organisation
from ..rendering import render
from ..tenancy_services import labels, load
from ..timeutil import local_today
from . import bp


@bp.route("/me/tenancy")
def tenancy():
    participant = own_participant()
    org = db.session.get(Organisation, participant.organisation_id)
    data = load(participant, org, local_today())
    record("read", participant_id=participant.id, object_type="tenancy")
    return render("me/tenancy.html", participant=participant, t=data, today=local_today(),
                  **labels())
