"""The participant reads one of their own monthly checklists (DESIGN §2: read own)."""
from __future__ import annotations

from flask import abort

from ..access import own_participant
from ..checklists.services import submission_of
from ..extensions import db
from ..models import Organisation
from ..rendering import render
from . import bp


@bp.route("/me/checklists/<int:submission_id>")
def checklist(submission_id: int):
    participant = own_participant()
    submission = submission_of(participant, submission_id) or abort(404)
    return render("me/checklist.html", participant=participant, submission=submission,
                  items=submission.template.items,
                  org=db.session.get(Organisation, participant.organisation_id))
