"""Demo additions for issue 19: the demo organisation counts as set up on the first day."""
from __future__ import annotations

from .audit import record


def seed_install_demo(org) -> None:
    # The first-day guide reads "settings saved" from the audit log; the demo writes its
    # settings directly, so say so there, or the demo admin would be asked to review them.
    record("update", object_type="organisation", object_id=org.id, detail="demo: förval goteborg")
