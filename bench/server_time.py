"""Server time of every GET page next to /healthz, measured interleaved in one run (issue 17).

    .venv/bin/python bench/server_time.py [--rounds 25] [--factor 4] [--user bench-staff-01]

Runs the app in-process on the bench database (same users and page list as bench/pages.py).
For each page, `--rounds` times: one GET /healthz and one GET of the page with the same signed-in
client, in alternating order, so load from other processes hits both alike. Server time is the
WSGI call itself (routing, before/after_request hooks, SQL, templates, audit commit), timed by a
middleware, not the test client around it. Budget: every page's median ≤ `--factor` × the
median of the /healthz requests interleaved with it. Then cProfile of the slowest page: the top
functions inside webapp/ and its templates, and where the time goes (SQL, translations, audit).
Exits non-zero when a budget is missed or a page answers 5xx.
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import time
from pathlib import Path

from common import ROOT, make_app, write_summary
from pages import USERS, fresh, page_urls

FACTOR = 4.0
WEBAPP = str(ROOT / "webapp")


class Timed:
    """WSGI middleware: the duration of the last call (Flask pops its context inside it)."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app
        self.last = 0.0

    def __call__(self, environ, start_response):
        began = time.perf_counter()
        try:
            return self.wsgi_app(environ, start_response)
        finally:
            self.last = time.perf_counter() - began


def sign_in(client, user) -> None:
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
        session["last_seen"] = time.time()


def pages_for(app, user):
    from webapp.access import roles_for_endpoint, visible_participants
    from webapp.extensions import db
    from webapp.models import Participant

    first = db.session.scalar(visible_participants(user).order_by(Participant.id).limit(1))
    for endpoint, url in page_urls(app, first.id if first else None):
        allowed = roles_for_endpoint(endpoint, "GET")
        if allowed and user.role in allowed:
            yield url


def client_for(app, username: str):
    from webapp.extensions import db
    from webapp.models import User

    user = db.session.scalar(db.select(User).where(User.username == username))
    if user is None:
        sys.exit(f"{username} not found: run bench/seed_bench.py first")
    client = app.test_client()
    sign_in(client, user)
    return client, user


def measure(app, timer, username: str, rounds: int):
    client, user = client_for(app, username)
    rows = []
    for url in pages_for(app, user):
        response = fresh(client.get, url)  # warm: first-request work is not what a user waits for
        fresh(client.get, "/healthz")
        if response.status_code != 200 or response.mimetype != "text/html":
            if response.status_code >= 500:
                rows.append(dict(user=username, url=url, page=float("nan"),
                                 healthz=float("nan"), error=response.status_code))
            continue
        page_times, health_times, errors = [], [], 0
        for index in range(rounds):
            order = (url, "/healthz") if index % 2 else ("/healthz", url)
            for target in order:
                status = fresh(client.get, target).status_code
                errors += status >= 500
                (page_times if target == url else health_times).append(timer.last)
        rows.append(dict(user=username, url=url, page=statistics.median(page_times),
                         healthz=statistics.median(health_times), error=errors))
    return client, rows


def profile(app, client, url: str, what: str, requests: int = 5) -> None:
    """cProfile of `requests` GETs of `url`: top 10 in webapp/ and where the time goes."""
    from sqlalchemy import event

    from webapp.extensions import db

    statements = [0]

    def count(*_args, **_kw):
        statements[0] += 1

    profiler = cProfile.Profile()
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        for _ in range(requests):
            profiler.runcall(fresh, client.get, url)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    stats = pstats.Stats(profiler).stats
    total = max(ct for (_f, _l, _n), (_cc, _nc, _tt, ct, _c) in stats.items())

    def cumulative(match) -> tuple[float, int]:
        seconds = calls = 0
        for (filename, _line, name), (_cc, nc, _tt, ct, _callers) in stats.items():
            if match(filename, name):
                seconds += ct
                calls += nc
        return seconds / requests * 1000, round(calls / requests)

    print(f"\nProfile of {what}, {url} ({requests} requests under cProfile, "
          f"per request; profiling itself slows every call down)")
    print(f"  {'cumulative':>10} {'calls':>6}  function (inside webapp/ and its templates; a "
          f"template block counts each resume as a call)")
    own = sorted(
        ((ct, nc, filename, line, name)
         for (filename, line, name), (_cc, nc, _tt, ct, _c) in stats.items()
         if filename.startswith(WEBAPP)),
        reverse=True,
    )
    for ct, nc, filename, line, name in own[:10]:
        where = Path(filename).relative_to(ROOT)
        print(f"  {ct / requests * 1000:>8.1f}ms {round(nc / requests):>6}  {where}:{line} {name}")
    sql_ms, _ = cumulative(lambda f, n: "sqlalchemy/engine" in f and n.startswith("do_execute"))
    translation_ms, translation_calls = cumulative(
        lambda f, n: (f.endswith("webapp/i18n.py") and n == "<lambda>")
        or ("flask_babel" in f and n in ("gettext", "ngettext", "pgettext", "npgettext")))
    audit_ms, audit_calls = cumulative(
        lambda f, n: (f.endswith("webapp/audit.py") and n == "record")
        or (f.endswith("webapp/__init__.py") and n == "commit_audit"))
    render_ms, _ = cumulative(
        lambda f, n: ("flask/templating.py" in f and n == "render_template")
        or ("jinja2_fragments" in f and n == "render_block"))
    print(f"  where the time goes, per request of {total / requests * 1000:.1f} ms profiled: "
          f"SQL {statements[0] // requests} statements {sql_ms:.1f} ms (driver + database), "
          f"templates {render_ms:.1f} ms, translations {translation_calls} calls "
          f"{translation_ms:.1f} ms, audit {audit_ms:.1f} ms ({audit_calls} calls incl. commit)")


def keep_statistics() -> None:
    """ANALYZE, as autovacuum does on a production server when a table has grown: every page
    view adds to the audit log, and with autovacuum off (as on the benchmark machine) the
    planner would go on planning the log's statements for the empty log of the seed."""
    from sqlalchemy import text

    from webapp.extensions import db

    with db.engine.connect() as connection:
        if connection.execute(text("SHOW autovacuum")).scalar() == "off":
            connection.execute(text("ANALYZE"))
            connection.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=25,
                        help="page + /healthz pairs per page (with 9, a page's median moved ±0.5×)")
    parser.add_argument("--factor", type=float, default=FACTOR)
    parser.add_argument("--user", action="append", help="only these users (default: all)")
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--summary", help="also write the summary rows as JSON here")
    parser.add_argument("--profile", action="append", metavar="USER:PATH",
                        help="profile this page too (e.g. bench-staff-01:/today)")
    args = parser.parse_args()
    app = make_app()
    timer = Timed(app.wsgi_app)
    app.wsgi_app = timer
    usernames = args.user or [username for _role, username in USERS]
    ok = True
    rows, clients = [], {}
    with app.app_context():
        print(f"{'user':16} {'page':44} {'server':>9} {'/healthz':>9} {'ratio':>6} "
              f"{'budget':>9}  met?")
        for username in usernames:
            keep_statistics()
            clients[username], user_rows = measure(app, timer, username, args.rounds)
            for row in user_rows:
                rows.append(row)
                ratio = row["page"] / row["healthz"] if row["healthz"] else float("inf")
                met = not row["error"] and ratio <= args.factor
                ok &= met
                flag = "ok" if met else (f"{row['error']} server errors" if row["error"]
                                         else "MISSED")
                print(f"{username:16} {row['url'][:44]:44} {row['page'] * 1000:>7.1f}ms "
                      f"{row['healthz'] * 1000:>7.1f}ms {ratio:>5.1f}× "
                      f"{row['healthz'] * args.factor * 1000:>7.1f}ms  {flag}", flush=True)
        timed = [row for row in rows if row["page"] == row["page"]]
        if timed and not args.no_profile:
            slowest = max(timed, key=lambda row: row["page"])
            profile(app, clients[slowest["user"]], slowest["url"], "the slowest page")
        for wanted in args.profile or []:
            username, _, url = wanted.partition(":")
            if username not in clients:
                clients[username] = client_for(app, username)[0]
            profile(app, clients[username], url, username)
    healthz = statistics.median(row["healthz"] for row in timed) if timed else float("nan")
    worst = max((row["page"] / row["healthz"] for row in timed), default=float("nan"))
    print(f"\n{len(rows)} pages, {args.rounds} rounds each; /healthz median "
          f"{healthz * 1000:.1f} ms; worst ratio {worst:.1f}×")
    print(f"Budget: every page's server time ≤ {args.factor:g}× /healthz in the same run: "
          f"{'met' if ok else 'NOT met'}")
    over = [row for row in rows if row["error"] or not row["page"] <= args.factor * row["healthz"]]
    worst_row = max(timed, key=lambda row: row["page"] / row["healthz"], default=None)
    summary = [("Pages over the server-time budget", f"{len(over)} of {len(rows)}", "0",
                not over)]
    if worst_row:
        summary.insert(0, (
            "Server time, worst page vs /healthz",
            f"{worst:.1f}× ({worst_row['user']} {worst_row['url']}, "
            f"{worst_row['page'] * 1000:.0f} ms vs {worst_row['healthz'] * 1000:.1f} ms)",
            f"≤ {args.factor:g}×", worst <= args.factor))
    write_summary(args.summary, summary)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
