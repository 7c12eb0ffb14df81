"""WCAG 1.4.10 reflow: every page at 320 px wide without sideways scrolling (issue 16).

The page list is the one of test_axe_all (every GET page each role may open), plus the pages
that need an id: a checklist document (staff, housing, participant), its correction form and a
visit-outcome form.
"""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import sign_in
from tests.browser.test_axe_all import LOGINS, _pages_for
from tests.factories import PASSWORD, make_checklist
from tests.routewalk import enrich_world, param_values
from webapp.checklist_defaults import ensure_checklist_v2
from webapp.extensions import db
from webapp.models import ChecklistAnswer
from webapp.timeutil import local_today

NARROW = {"width": 320, "height": 640}

# What sticks out, for the failure message.
WIDEST = """() => {
  const limit = document.documentElement.clientWidth;
  const out = [];
  for (const el of document.querySelectorAll("body *")) {
    const r = el.getBoundingClientRect();
    if (r.right > limit + 1 && r.width > 0) {
      const cls = typeof el.className === "string" && el.className
        ? "." + el.className.split(" ").join(".") : "";
      out.push(`${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}${cls}` +
               ` right=${Math.round(r.right)}`);
    }
  }
  return out.slice(0, 5);
}"""


def _extra_urls(world, role: str, extras) -> list[str]:
    pid = world.participant.id
    sid = extras["submission"]
    return {
        "staff": [f"/participants/{pid}/checklists/{sid}",
                  f"/participants/{pid}/checklists/{sid}/correct",
                  f"/participants/{pid}/appointments/{extras['appointment']}/outcome"],
        "social_worker": [f"/participants/{pid}/checklists/{sid}"],
        # A past month: the month navigation has both its buttons.
        "housing": [f"/housing/checklists/{sid}", f"/housing/checklists?month={extras['past']}"],
        "admin": ["/admin/audit/review", f"/admin/figures?month={extras['past']}"],
        "participant": [f"/me/checklists/{sid}"],
    }.get(role, [])


@pytest.mark.parametrize("role", [*LOGINS, "anonymous"])
def test_every_page_reflows_at_320_px(app, world, browser, live_server, role):
    extras = enrich_world(world)
    ensure_checklist_v2(world.org)
    last_month = local_today().replace(day=1) - timedelta(days=1)
    submission = make_checklist(world.participant, world.users["staff"], last_month,
                                answers={"damp_none": ("remark", "Fukt under fönstret i "
                                                       "sovrummet, felanmält till värden.")})
    answer = db.session.scalar(db.select(ChecklistAnswer).where(
        ChecklistAnswer.submission_id == submission.id, ChecklistAnswer.item_key == "damp_none"))
    answer.followup_action, answer.followup_owner = "Felanmäla fukten", "landlord"
    db.session.commit()
    ids = {"submission": submission.id, "appointment": extras.appointment_ids[0],
           "past": (last_month.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")}
    urls = _pages_for(app, param_values(world), role) + _extra_urls(world, role, ids)

    context = browser.new_context(viewport=NARROW, base_url=live_server, locale="sv-SE")
    page = context.new_page()
    if role != "anonymous":
        username, secret = LOGINS[role]
        sign_in(page, username, PASSWORD, secret)
    failures, checked = [], 0
    try:
        for url in urls:
            response = page.goto(url, wait_until="load")
            if (response is None or response.status != 200
                    or urlsplit(page.url).path != urlsplit(url).path):
                continue
            checked += 1
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > NARROW["width"]:
                failures.append(f"{url}: {width} px wide; {page.evaluate(WIDEST)}")
    finally:
        context.close()
    assert checked, f"no page checked for {role}"
    assert not failures, "wider than 320 px:\n" + "\n".join(failures)
