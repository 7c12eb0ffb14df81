"""/admin/audit/review per view under a busy audit log: statements, their ms, Python calls.

    DATABASE_URL=... .venv/bin/python bench/review_rate.py [--burst 20000] [--between 200]
        [--views 8] [--profile]

Signed in as bench-admin on the bench database (bench/seed_bench.py). `--burst` inserts that
many audit events (a participant reading their plan: events of the month, never flagged) just
before the views, `--between` as many before each view: the log's rate. Each view prints its
server time, statements with their time, and the heaviest statements; `--profile` adds the
Python calls (cProfile, which slows the view down). The events stay in the database.
"""
import argparse
import cProfile
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import make_app  # noqa: E402
from pages import fresh  # noqa: E402
from server_time import client_for  # noqa: E402

INSERT = ("INSERT INTO audit_events (at, user_id, role, action, object_type, object_id, "
          "participant_id, path, detail, ip) SELECT now() at time zone 'utc', 77, "
          "'participant', 'read', 'plan', NULL, 1, '/me/plan', '', '' "
          "FROM generate_series(1, :n) g")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--burst", type=int, default=0, help="events inserted once, before")
    parser.add_argument("--between", type=int, default=0, help="events inserted before each view")
    parser.add_argument("--views", type=int, default=8)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--show", type=int, default=4, help="heaviest statements shown")
    args = parser.parse_args()
    app = make_app()
    with app.app_context():
        from sqlalchemy import event, text

        from webapp.extensions import db

        client, _user = client_for(app, "bench-admin")

        def insert(n):
            with db.engine.begin() as connection:
                connection.execute(text(INSERT), {"n": n})

        fresh(client.get, "/admin/audit/review")
        fresh(client.get, "/healthz")
        if args.burst:
            insert(args.burst)
        stmts = []

        def before(_conn, _cursor, _statement, _params, context, _many):
            context._rv_t0 = time.perf_counter()

        def after(_conn, _cursor, statement, _params, context, _many):
            stmts.append(((time.perf_counter() - context._rv_t0) * 1000, statement))

        event.listen(db.engine, "before_cursor_execute", before)
        event.listen(db.engine, "after_cursor_execute", after)
        totals = []
        for view in range(args.views):
            if args.between:
                insert(args.between)
            stmts.clear()
            profiler = cProfile.Profile() if args.profile else None
            began = time.perf_counter()
            if profiler:
                response = profiler.runcall(fresh, client.get, "/admin/audit/review")
            else:
                response = fresh(client.get, "/admin/audit/review")
            took = (time.perf_counter() - began) * 1000
            assert response.status_code == 200, response.status_code
            calls = ""
            if profiler:
                stats = pstats.Stats(profiler)
                calls = f" calls {stats.total_calls}"
            sql = sum(ms for ms, _ in stmts)
            totals.append(took)
            heavy = sorted(stmts, key=lambda s: -s[0])[:args.show]
            print(f"view {view + 1}: {took:6.1f} ms, {len(stmts)} statements {sql:5.1f} ms"
                  f"{calls}")
            for ms, statement in heavy:
                print(f"      {ms:6.2f} ms  {' '.join(statement.split())[:110]}")
        healthz = []
        for _ in range(9):
            began = time.perf_counter()
            fresh(client.get, "/healthz")
            healthz.append((time.perf_counter() - began) * 1000)
        print(f"median view {statistics.median(totals):.1f} ms (views 2..: "
              f"{statistics.median(totals[1:]):.1f} ms); "
              f"/healthz {statistics.median(healthz):.1f} ms")


if __name__ == "__main__":
    main()
