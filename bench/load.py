"""Server latency of the staff "Idag" page next to /healthz under 50 concurrent users (§9).

    .venv/bin/python bench/load.py [--users 50] [--rounds 20] [--seconds 120]

Starts gunicorn 'webapp:create_app()' (2 workers × 4 threads by default) on 127.0.0.1 against
the bench PostgreSQL database, signs in 50 staff users (sessions minted in-process with the
bench SECRET_KEY), and lets each user alternate GET /today and GET /healthz, bounded by
rounds and seconds. Loopback only. Prints median/p95 per route, errors, and the budget:
/today p95 within 3× the trivial route's, zero errors.
"""
from __future__ import annotations

import argparse
import statistics
import threading
import time

import requests
from common import (
    LATENCY_FACTOR,
    make_app,
    mint_session,
    percentile,
    start_gunicorn,
    stop,
    write_summary,
)

ROUTES = ("/today", "/healthz")


def sessions(count: int) -> list[str]:
    from webapp.extensions import db
    from webapp.models import User

    app = make_app()
    with app.app_context():
        users = db.session.scalars(
            db.select(User).where(User.role == "staff", User.username.like("bench-staff-%"))
            .order_by(User.username).limit(count)
        ).all()
        if len(users) < count:
            raise SystemExit("not enough bench staff: run bench/seed_bench.py first")
        return [mint_session(app, user, "/healthz")[0] for user in users]


def run(base: str, cookies: list[str], rounds: int, seconds: float):
    latencies = {route: [] for route in ROUTES}
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    start = threading.Barrier(len(cookies))

    def user(cookie: str) -> None:
        http = requests.Session()
        http.headers["Cookie"] = f"bofast_session={cookie}"
        start.wait()
        for _ in range(rounds):
            for route in ROUTES:
                if time.monotonic() > deadline:
                    return
                began = time.perf_counter()
                try:
                    response = http.get(base + route, timeout=30, allow_redirects=False)
                    ok = response.status_code == 200
                    problem = f"{route}: {response.status_code}"
                except requests.RequestException as exc:
                    ok, problem = False, f"{route}: {exc.__class__.__name__}"
                elapsed = time.perf_counter() - began
                with lock:
                    (latencies[route].append(elapsed) if ok else errors.append(problem))

    threads = [threading.Thread(target=user, args=(cookie,)) for cookie in cookies]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors, time.monotonic() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=20, help="/today + /healthz per user")
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--summary", help="also write the summary rows as JSON here")
    args = parser.parse_args()
    cookies = sessions(args.users)
    process, base = start_gunicorn(args.workers, args.threads)
    try:
        warm = requests.Session()
        warm.headers["Cookie"] = f"bofast_session={cookies[0]}"
        for _ in range(10):
            warm.get(base + "/today", allow_redirects=False)
        latencies, errors, took = run(base, cookies, args.rounds, args.seconds)
    finally:
        stop(process)
    total = sum(len(v) for v in latencies.values()) + len(errors)
    print(f"gunicorn {args.workers} workers × {args.threads} threads, PostgreSQL, "
          f"{args.users} concurrent users, {total} requests in {took:.1f} s "
          f"({total / took:.0f} req/s)")
    print(f"{'route':10} {'n':>6} {'median':>9} {'p95':>9}")
    p95 = {}
    for route, values in latencies.items():
        p95[route] = percentile(values, 0.95)
        median = statistics.median(values) if values else float("nan")
        print(f"{route:10} {len(values):>6} {median * 1000:>7.1f}ms {p95[route] * 1000:>7.1f}ms")
    ratio = p95["/today"] / p95["/healthz"]
    print(f"errors: {len(errors)} {sorted(set(errors))[:5] if errors else ''}")
    met = ratio <= LATENCY_FACTOR and not errors
    print(f"Budget: /today p95 ≤ {LATENCY_FACTOR:.0f}× /healthz p95 (now {ratio:.2f}×), "
          f"zero errors: {'met' if met else 'NOT met'}")
    write_summary(args.summary, [
        (f"/today p95 vs /healthz p95, {args.users} users",
         f"{ratio:.2f}× ({p95['/today'] * 1000:.0f} ms vs {p95['/healthz'] * 1000:.0f} ms)",
         f"≤ {LATENCY_FACTOR:g}×", ratio <= LATENCY_FACTOR),
        (f"Errors under load ({total} requests)", str(len(errors)), "0", not errors),
    ])
    raise SystemExit(0 if met else 1)


if __name__ == "__main__":
    main()
