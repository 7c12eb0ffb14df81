"""Soak: mixed traffic for N minutes against gunicorn on PostgreSQL (run by hand).

    .venv/bin/python bench/soak.py [--minutes 10] [--staff 10] [--participants 5]

Staff read their pages and write (monthly checklists, visit outcomes: every write with an
idempotency key, every 5th write sent twice as the offline outbox would), participants and
housing read theirs, while `flask --app webapp reminders run` works alongside.
Then: errors (must be 0), and every acknowledged write is in the database exactly once.
"""
from __future__ import annotations

import argparse
import random
import subprocess
import threading
import time
import uuid
from collections import Counter

import requests
from common import (
    ROOT,
    bench_env,
    make_app,
    mint_session,
    python_bin,
    start_gunicorn,
    stop,
)
from pages import page_urls

CHECKLIST = "/participants/<int:participant_id>/checklists/new"
OUTCOME = "/participants/<int:participant_id>/appointments/<int:appointment_id>/outcome"


class Actor:
    def __init__(self, app, user, rule_texts):
        from webapp.access import roles_for_endpoint, visible_participants
        from webapp.extensions import db
        from webapp.models import Appointment, Participant, utcnow

        self.username, self.role = user.username, user.role
        self.cookie, self.csrf = mint_session(app, user, "/")
        ids = db.session.scalars(visible_participants(user).with_only_columns(Participant.id)
                                 .order_by(Participant.id).limit(20)).all()
        self.participant_ids = list(ids)
        first = ids[0] if ids else None
        self.reads = [url for endpoint, url in page_urls(app, first)
                      if user.role in (roles_for_endpoint(endpoint, "GET") or ())]
        self.appointments = []
        if user.role == "staff" and OUTCOME in rule_texts:
            self.appointments = list(db.session.execute(
                db.select(Appointment.participant_id, Appointment.id)
                .where(Appointment.staff_id == user.id, ~Appointment.outcome.has(),
                       Appointment.starts_at < utcnow())
                .order_by(Appointment.starts_at.desc()).limit(200)))


def checklist_write(actor, item_keys):
    pid = random.choice(actor.participant_ids)
    data = {f"answer-{key}": "ok" for key in item_keys}
    data.update(held_on=time.strftime("%Y-%m-%d"), present="Bench och deltagare",
                tenant_agrees="y")
    return "checklist", f"/participants/{pid}/checklists/new", data


def outcome_write(actor, _item_keys):
    if not actor.appointments:
        return None
    pid, aid = actor.appointments.pop()
    return "visit", f"/participants/{pid}/appointments/{aid}/outcome", {
        "outcome": "done", "note": "Soak: besök genomfört."}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--staff", type=int, default=10)
    parser.add_argument("--participants", type=int, default=5)
    parser.add_argument("--housing", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()

    from webapp.extensions import db
    from webapp.models import (
        ChecklistItem,
        ChecklistSubmission,
        ChecklistTemplate,
        User,
        VisitOutcome,
    )

    app = make_app()
    rule_texts = {rule.rule for rule in app.url_map.iter_rules()}
    missing_routes = [rule for rule in (CHECKLIST, OUTCOME) if rule not in rule_texts]
    if missing_routes:  # a renamed route must stop the soak, not quietly shrink it
        raise SystemExit(f"routes missing: {', '.join(missing_routes)}")
    writers = [checklist_write, outcome_write]
    with app.app_context():
        def users(pattern, n):
            return db.session.scalars(db.select(User).where(User.username.like(pattern))
                                      .order_by(User.username).limit(n)).all()

        actors = [Actor(app, u, rule_texts) for u in
                  users("bench-staff-%", args.staff) + users("bench-p-%", args.participants)
                  + users("bench-housing-%", args.housing)]
        template = db.session.scalar(db.select(ChecklistTemplate).order_by(
            ChecklistTemplate.version.desc()))
        item_keys = db.session.scalars(db.select(ChecklistItem.key).where(
            ChecklistItem.template_id == template.id)).all()

    process, base = start_gunicorn(args.workers, args.threads)
    reminders = subprocess.Popen([python_bin("flask"), "--app", "webapp", "reminders", "run"],
                                 cwd=ROOT, env=bench_env())
    deadline = time.monotonic() + args.minutes * 60
    lock = threading.Lock()
    stats = Counter()
    errors: list[str] = []
    acknowledged: dict[str, set[str]] = {"checklist": set(), "visit": set()}

    def act(actor: Actor) -> None:
        http = requests.Session()
        http.headers["Cookie"] = f"bofast_session={actor.cookie}"
        rng = random.Random(actor.username)
        n = 0
        while time.monotonic() < deadline:
            n += 1
            if actor.role == "staff" and writers and n % 4 == 0:
                write = rng.choice(writers)(actor, item_keys)
                if write is None:
                    continue
                kind, url, data = write
                key = uuid.uuid4().hex
                data |= {"idempotency_key": key, "csrf_token": actor.csrf}
                for _attempt in range(2 if n % 20 == 0 else 1):  # an outbox replay
                    try:
                        response = http.post(base + url, data=data, timeout=30, headers={
                            "Accept": "application/json", "X-CSRFToken": actor.csrf})
                        status = response.status_code
                    except requests.RequestException as exc:
                        status = exc.__class__.__name__
                    with lock:
                        stats[f"POST {kind}"] += 1
                        if status in (200, 201, 303):
                            acknowledged[kind].add(key)
                        else:
                            errors.append(f"{actor.username} POST {url}: {status}")
                continue
            url = rng.choice(actor.reads) if actor.reads else "/healthz"
            try:
                response = http.get(base + url, timeout=30, allow_redirects=False)
                status = response.status_code
                # Pages that redirect by design (this month's checklist already sent opens its
                # correction; a tenancy with a contract has no new-contract form) are fine; a
                # redirect to the sign-in page is a lost session.
                if 300 <= status < 400 and "/login" not in response.headers.get("Location", ""):
                    status = 200
            except requests.RequestException as exc:
                status = exc.__class__.__name__
            with lock:
                stats[f"GET {actor.role}"] += 1
                if status != 200:
                    errors.append(f"{actor.username} GET {url}: {status}")

    threads = [threading.Thread(target=act, args=(actor,)) for actor in actors]
    began = time.monotonic()
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        stop(process)
        reminders_exit = reminders.poll() if reminders else None
        stop(reminders)
    took = time.monotonic() - began

    with app.app_context():
        stored = {
            "checklist": Counter(db.session.scalars(db.select(
                ChecklistSubmission.idempotency_key).where(
                ChecklistSubmission.idempotency_key.in_(acknowledged["checklist"] or {""})))),
            "visit": Counter(db.session.scalars(db.select(VisitOutcome.idempotency_key).where(
                VisitOutcome.idempotency_key.in_(acknowledged["visit"] or {""})))),
        }
    missing = {k: len(acknowledged[k] - set(stored[k])) for k in acknowledged}
    doubled = {k: sum(1 for n in stored[k].values() if n > 1) for k in stored}

    total = sum(stats.values())
    print(f"Soak: {took / 60:.1f} min, {len(actors)} users, gunicorn {args.workers}×"
          f"{args.threads} on PostgreSQL, {total} requests ({total / took:.1f} req/s)")
    for name, n in sorted(stats.items()):
        print(f"  {name:22} {n:>7}")
    print("  reminders run: running alongside"
          + (f", exited early with {reminders_exit}" if reminders_exit not in (None, 0) else ""))
    print(f"errors: {len(errors)} {sorted(set(errors))[:5] if errors else ''}")
    for kind in acknowledged:
        print(f"writes {kind:9}: {len(acknowledged[kind])} acknowledged, "
              f"{missing[kind]} missing in the database, {doubled[kind]} stored twice")
    ok = not errors and not any(missing.values()) and not any(doubled.values()) and (
        reminders_exit in (None, 0))
    print(f"Budget: zero errors, every write stored exactly once: {'met' if ok else 'NOT met'}")
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
