"""Lighthouse (mobile, simulated slow 4G) on a representative page per role (issue 17).

    .venv/bin/python bench/lighthouse.py [--runs 3] [--timeout 180] [--only /today] [--save DIR]
        [--traces] [--port PORT] [--cpu-slowdown 4|host]

Starts gunicorn 'webapp:create_app()' on 127.0.0.1 against the bench database, mints a session
per role in-process (bench SECRET_KEY) and runs the npm `lighthouse` pinned in bench/package.json
(`npm ci --prefix bench` on first use) with Debian's Chromium (CHROME_PATH, default
/usr/bin/chromium), headless, performance category only, Lighthouse's default mobile form factor
and throttling; the session cookie goes in --extra-headers. Prints per page the performance
score, LCP and TBT next to the budget (score ≥ 98, LCP ≤ 1.5 s, TBT 0 ms on the checklist form:
no long task there) and exits non-zero when one is missed, a run fails or times out.

With --runs N each page is measured N times and the median of each figure is shown (a busy host
moves single runs by several points). A run that Lighthouse itself could not analyse (a runtime
error in its own trace processing such as NO_NAVSTART or NO_FCP, not a fault of the page) is
run again, at most RETRIES times; the retries are printed. --traces keeps Lighthouse's trace and
DevTools log next to each saved report (--save), for finding what a long task was. --port puts
gunicorn on a given port (one's own on a shared host) instead of a free one.

--cpu-slowdown: Lighthouse's simulated CPU slowdown. Its default, 4×, stands for a mid-range
phone on a host whose Lighthouse benchmarkIndex is about 1,500; on a slower host the same 4×
stands for a slower phone (and on a faster one, a faster phone). `host` first runs Lighthouse
once to read this host's benchmarkIndex and sets the slowdown from it as Lighthouse's own
throttling guide does (its CPU throttling calculator: 800 → 2×, 1,300 → 3×, 1,533 → 4×,
2,000 → 6×), so runs on different hosts stand for the same phone. The slowdown used and the
index are printed with the figures.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import requests
from common import make_app, mint_session, start_gunicorn, stop, write_summary

BENCH = Path(__file__).resolve().parent
LIGHTHOUSE = BENCH / "node_modules" / ".bin" / "lighthouse"
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu"
SCORE_BUDGET = 98
LCP_BUDGET_MS = 1500
# (user, path); <id> is that user's first visible participant. None: signed out.
PAGES = [
    ("bench-staff-01", "/today"),
    ("bench-staff-01", "/participants"),
    ("bench-staff-01", "/participants/<id>"),
    ("bench-staff-01", "/participants/<id>/plan"),
    ("bench-staff-01", "/participants/<id>/checklists/new"),
    ("bench-p-0001", "/me/plan"),
    ("bench-p-0001", "/me/contacts"),
    ("bench-housing-1", "/housing"),
    ("bench-admin", "/admin/users"),
    (None, "/login"),
]
# Pages that must not run a long task at all (the form is typed into on a slow phone).
TBT_ZERO = ("/checklists/new",)
# Lighthouse runtime errors that come from its own trace processing on a busy host, not from the
# page: such a run is repeated (at most RETRIES times) instead of counted as a failure.
RETRIES = 2
TRACE_ERRORS = ("NO_NAVSTART", "NO_FCP", "NO_LCP", "NO_TRACING_STARTED", "NO_RESOURCE_REQUEST",
                "NO_DCL", "NO_SCREENSHOTS", "NO_SPEEDLINE_FRAMES", "SPEEDINDEX_OF_ZERO",
                "NO_TTI_CPU_IDLE_PERIOD", "NO_TTI_NETWORK_IDLE_PERIOD", "TRACE_ERROR",
                "PROTOCOL_TIMEOUT", "TARGET_CRASHED")


def ensure_lighthouse() -> None:
    if not (BENCH / "node_modules").is_dir():
        npm = shutil.which("npm") or sys.exit("npm not found (Node 20 is needed for Lighthouse)")
        subprocess.run([npm, "ci", "--prefix", str(BENCH), "--no-audit", "--no-fund"],
                       check=True)
    if not LIGHTHOUSE.exists():
        sys.exit(f"{LIGHTHOUSE} missing: run `npm ci --prefix bench`")


def targets(only: list[str] | None):
    """(label user, url path, cookie or None) for every page, sessions minted in-process."""
    from webapp.access import visible_participants
    from webapp.extensions import db
    from webapp.models import Participant, User

    app = make_app()
    found = []
    with app.app_context():
        cookies, first = {}, {}
        for username, path in PAGES:
            if only and path not in only:
                continue
            if username and username not in cookies:
                user = db.session.scalar(db.select(User).where(User.username == username))
                if user is None:
                    sys.exit(f"{username} not found: run bench/seed_bench.py first")
                cookies[username] = mint_session(app, user, "/healthz")[0]
                participant = db.session.scalar(
                    visible_participants(user).order_by(Participant.id).limit(1))
                first[username] = participant.id if participant else None
            url = path.replace("<id>", str(first.get(username))) if username else path
            found.append((username or "(signed out)", url, cookies.get(username)))
        cookie_name = app.config["SESSION_COOKIE_NAME"]
    return found, cookie_name


def slowdown_for(benchmark_index: float) -> float:
    """The CPU slowdown that makes this host stand for Lighthouse's reference phone, from its
    benchmarkIndex: the piecewise-linear rule of Lighthouse's CPU throttling calculator, linked
    from its throttling guide (docs/throttling.md)."""
    if benchmark_index >= 1300:
        return 3 + (benchmark_index - 1300) / 233
    if benchmark_index >= 800:
        return 2 + (benchmark_index - 800) / 500
    return max(1.0, 1 + (benchmark_index - 150) / 650)


def run_lighthouse(url: str, headers: dict, timeout: float, save: Path | None, label: str,
                   traces: bool = False, run: int = 1, slowdown: float | None = None):
    """The Lighthouse result (lhr) or an error string. `slowdown`: the CPU slowdown, None for
    Lighthouse's default (4×)."""
    with tempfile.TemporaryDirectory() as tmp:
        output = Path(tmp) / "report.json"
        command = [
            str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={output}",
            "--only-categories=performance", "--form-factor=mobile",
            f"--chrome-flags={CHROME_FLAGS}", f"--max-wait-for-load={int(timeout * 1000 / 2)}",
        ]
        if headers:
            command.append(f"--extra-headers={json.dumps(headers)}")
        if slowdown is not None:
            command.append(f"--throttling.cpuSlowdownMultiplier={slowdown:.2f}")
        if traces and save:
            command.append("--save-assets")
        env = dict(os.environ, CHROME_PATH=os.environ.get("CHROME_PATH", "/usr/bin/chromium"))
        try:
            # Its own session: on timeout the whole group (node and Chromium) is ended.
            process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, text=True,
                                       start_new_session=True)
            try:
                _out, err = process.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
                process.communicate()
                return f"timed out after {timeout:.0f} s"
        except OSError as exc:
            return f"could not start lighthouse: {exc}"
        if not output.exists():
            return f"lighthouse exit {process.returncode}: {err.strip()[-300:]}"
        lhr = json.loads(output.read_text())
        # A runtime error still writes the report (and exits 1): its code says which one.
        if process.returncode != 0 and not lhr.get("runtimeError"):
            return f"lighthouse exit {process.returncode}: {err.strip()[-300:]}"
        if save:
            save.mkdir(parents=True, exist_ok=True)
            name = f"{(label + urlsplit(url).path).replace('/', '_')}.{run}"
            shutil.copy(output, save / f"{name}.json")
            # report-0.trace.json, report-0.devtoolslog.json
            for asset in Path(tmp).glob("report-*"):
                shutil.copy(asset, save / f"{name}.{asset.name.split('.', 1)[1]}")
        return lhr


# What Chromium sends; the app compresses each static file once per worker and coding.
ACCEPT_ENCODING = "gzip, deflate, br, zstd"
ASSET = re.compile(r'(?:src|href)="(/static/[^"]+|/manifest\.webmanifest)"')


def warm(base: str, pages, cookie_name: str) -> None:
    """A user meets a running server, not a cold one: every page and the files it loads are
    asked for often enough to reach both workers. Without the files, the first run pays for
    compressing each of them once per worker (brotli at its highest level) in the middle of its
    page load, and Lighthouse takes those slow answers as the server's usual response time for
    every request it simulates."""
    assets = set()
    for _ in range(4):
        for _label, path, cookie in pages:
            headers = {"Cookie": f"{cookie_name}={cookie}"} if cookie else {}
            headers["Accept-Encoding"] = ACCEPT_ENCODING
            html = requests.get(base + path, headers=headers, timeout=60).text
            assets.update(ASSET.findall(html))
    for _ in range(10):
        for asset in sorted(assets):
            requests.get(base + asset, headers={"Accept-Encoding": ACCEPT_ENCODING}, timeout=60)


def trace_error(lhr) -> str | None:
    """The code of a Lighthouse runtime error of its own trace processing, or None."""
    if isinstance(lhr, str):
        found = [code for code in TRACE_ERRORS if code in lhr]
        return found[0] if found else None
    code = (lhr.get("runtimeError") or {}).get("code")
    return code if code in TRACE_ERRORS else None


def measure(url, headers, args, label, run):
    """One run (lhr or an error string), repeated while Lighthouse reports a trace error of its
    own; and the codes of the errors that were retried."""
    retried = []
    while True:
        lhr = run_lighthouse(url, headers, args.timeout, args.save, label, args.traces, run,
                             args.slowdown)
        code = trace_error(lhr)
        if code is None or len(retried) >= RETRIES:
            break
        retried.append(code)
    if not isinstance(lhr, str) and lhr.get("runtimeError"):
        error = lhr["runtimeError"]
        lhr = f"Lighthouse {error.get('code')}: {error.get('message', '')[:200]}"
    return lhr, retried


def median(values):
    """The median of the values that are not None (the lower middle one of an even count)."""
    known = sorted(v for v in values if v is not None)
    return known[(len(known) - 1) // 2] if known else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=180, help="seconds per page")
    parser.add_argument("--runs", type=int, default=1, help="runs per page; the median is shown")
    parser.add_argument("--only", action="append", help="only this path (as in PAGES)")
    parser.add_argument("--save", type=Path, help="keep each JSON report in this folder")
    parser.add_argument("--traces", action="store_true",
                        help="with --save: keep Lighthouse's trace and DevTools log too")
    parser.add_argument("--summary", help="also write the summary rows as JSON here")
    parser.add_argument("--port", type=int,
                        help="gunicorn's port (default: a free one); one's own on a shared host")
    parser.add_argument("--cpu-slowdown", default="4",
                        help="Lighthouse's CPU slowdown: a number (default 4, Lighthouse's own) "
                             "or `host` (set from this host's benchmarkIndex)")
    args = parser.parse_args()
    args.slowdown = None if args.cpu_slowdown == "4" else (
        None if args.cpu_slowdown == "host" else float(args.cpu_slowdown))
    ensure_lighthouse()
    pages, cookie_name = targets(args.only)
    if not pages:
        sys.exit(f"--only {args.only}: no such page; the paths are those of PAGES, "
                 f"e.g. /participants/<id>/plan")
    load_before = os.getloadavg()[0]
    process, base = start_gunicorn(workers=2, threads=4, port=args.port)
    bench_index: list[float] = []
    runs = {path: [] for _label, path, _cookie in pages}  # path: [lhr or error string]
    retries = {path: [] for _label, path, _cookie in pages}
    try:
        warm(base, pages, cookie_name)
        if args.cpu_slowdown == "host":
            label, path, cookie = pages[0]
            headers = {"Cookie": f"{cookie_name}={cookie}"} if cookie else {}
            lhr, _retried = measure(base + path, headers, args, label, 0)
            if isinstance(lhr, str):
                sys.exit(f"could not read this host's benchmarkIndex: {lhr}")
            index = lhr.get("environment", {}).get("benchmarkIndex") or 0
            args.slowdown = slowdown_for(index)
            print(f"CPU slowdown {args.slowdown:.2f}× for this host's benchmarkIndex {index:.0f} "
                  f"(Lighthouse's default: 4×)", flush=True)
        # Round after round over all pages: a busy minute on the host spreads over the pages
        # instead of spoiling every run of one page.
        for run in range(1, args.runs + 1):
            for label, path, cookie in pages:
                headers = {"Cookie": f"{cookie_name}={cookie}"} if cookie else {}
                lhr, retried = measure(base + path, headers, args, label, run)
                runs[path].append(lhr)
                retries[path] += retried
                if args.runs > 1:
                    print(f"  run {run}/{args.runs} {path:34} {figures(lhr)}"
                          + (f"  (retried after {', '.join(retried)})" if retried else ""),
                          file=sys.stderr, flush=True)
    finally:
        stop(process)
    ok = True
    measured, failed = [], []
    print(f"{'user':16} {'page':34} {'score':>5} {'LCP':>7} {'TBT':>7}  "
          f"budget (score ≥ {SCORE_BUDGET}, LCP ≤ {LCP_BUDGET_MS / 1000:g} s, TBT)  met?")
    for label, path, _cookie in pages:
        tbt_budget = 0 if path.endswith(TBT_ZERO) else None
        budget = (f"≥ {SCORE_BUDGET}, ≤ {LCP_BUDGET_MS / 1000:g} s, "
                  + ("TBT 0 ms" if tbt_budget == 0 else "TBT –"))
        retried = (f"  (Lighthouse retried after {', '.join(retries[path])})"
                   if retries[path] else "")
        errors = [lhr for lhr in runs[path] if isinstance(lhr, str)]
        reports = [lhr for lhr in runs[path] if not isinstance(lhr, str)]
        if errors:
            ok = False
            failed.append(path)
            print(f"{label:16} {path:34} {'–':>5} {'–':>7} {'–':>7}  {budget:34}  "
                  f"FAILED {len(errors)} of {len(runs[path])}: {errors[0]}{retried}", flush=True)
            if not reports:
                continue
        problems = []
        for lhr in reports:
            final = lhr.get("finalDisplayedUrl") or lhr.get("finalUrl") or ""
            if not final.endswith(path):
                problems.append(f"ended on {final} (signed out?)")
            bench_index.append(lhr.get("environment", {}).get("benchmarkIndex") or 0)
        score = median([lhr["categories"]["performance"]["score"] for lhr in reports])
        lcp = median([audit(lhr, "largest-contentful-paint") for lhr in reports])
        tbt = median([audit(lhr, "total-blocking-time") for lhr in reports])
        if score is None or score * 100 < SCORE_BUDGET:
            problems.append("score")
        if lcp is None or lcp > LCP_BUDGET_MS:
            problems.append("LCP")
        if tbt_budget is not None and (tbt is None or tbt > tbt_budget):
            problems.append("TBT")
        ok &= not problems
        measured.append((path, score, lcp, tbt, tbt_budget))
        shown_score = f"{score * 100:.0f}" if score is not None else "–"
        shown_lcp = f"{lcp / 1000:.2f}s" if lcp is not None else "–"
        shown_tbt = f"{tbt:.0f}ms" if tbt is not None else "–"
        print(f"{label:16} {path:34} {shown_score:>5} {shown_lcp:>7} {shown_tbt:>7}  "
              f"{budget:34}  {'ok' if not problems else 'MISSED: ' + ', '.join(problems)}"
              f"{retried}", flush=True)
    if args.runs > 1:
        print(f"(median of {args.runs} runs per page, each figure on its own)")
    if bench_index:
        # Lighthouse calibrates its 4× CPU slowdown for a machine scoring ~1000-2000 here; a loaded
        # or slow host scores lower and its TBT and LCP come out worse than a phone's would.
        print(f"\nLighthouse benchmarkIndex of this host during the run: "
              f"{min(bench_index):.0f}–{max(bench_index):.0f}")
    # Other processes on the host slow Lighthouse's observed run, and its 4× CPU figures with it.
    print(f"Load average (1 min) before and after the run: {load_before:.1f}, "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    slowdown = ("4× (Lighthouse's default)" if args.slowdown is None
                else f"{args.slowdown:.2f}× (--cpu-slowdown {args.cpu_slowdown})")
    print(f"CPU slowdown: {slowdown}")
    print(f"\nBudget: Lighthouse mobile (simulated slow 4G) performance ≥ {SCORE_BUDGET}, "
          f"LCP ≤ {LCP_BUDGET_MS / 1000:g} s, no long task on the checklist form: "
          f"{'met' if ok else 'NOT met'}")
    write_summary(args.summary, summary_rows(measured, failed) + [
        ("Lighthouse CPU slowdown", slowdown, "the reference phone", True)])
    sys.exit(0 if ok else 1)


def audit(lhr, name):
    return lhr["audits"][name].get("numericValue")


def figures(lhr) -> str:
    """One run's score, LCP and TBT (or its error) for the progress lines."""
    if isinstance(lhr, str):
        return f"failed: {lhr}"
    score = lhr["categories"]["performance"]["score"]
    lcp, tbt = audit(lhr, "largest-contentful-paint"), audit(lhr, "total-blocking-time")
    return (f"{score * 100 if score is not None else -1:3.0f} "
            f"{(lcp or 0) / 1000:.2f}s {tbt or 0:4.0f}ms "
            f"bI {lhr.get('environment', {}).get('benchmarkIndex') or 0:.0f}")


def summary_rows(measured, failed):
    """The figures bench/all.py puts in its one table."""
    rows = [("Lighthouse runs failed or timed out", f"{len(failed)} {' '.join(failed)}".strip(),
             "0", not failed)]
    if not measured:
        return rows
    path, score, *_ = min(measured, key=lambda m: -1 if m[1] is None else m[1])
    rows.append(("Lighthouse mobile performance, lowest",
                 f"{score * 100:.0f} ({path})" if score is not None else f"none ({path})",
                 f"≥ {SCORE_BUDGET}", score is not None and score * 100 >= SCORE_BUDGET))
    path, _s, lcp, *_ = max(measured, key=lambda m: float("inf") if m[2] is None else m[2])
    rows.append(("Lighthouse LCP, slowest",
                 f"{lcp / 1000:.2f} s ({path})" if lcp is not None else f"none ({path})",
                 f"≤ {LCP_BUDGET_MS / 1000:g} s", lcp is not None and lcp <= LCP_BUDGET_MS))
    for path, _s, _l, tbt, tbt_budget in measured:
        if tbt_budget is not None:
            rows.append((f"Lighthouse TBT, {re.sub(r'/[0-9]+', '/<id>', path)}",
                         f"{tbt:.0f} ms" if tbt is not None else "none",
                         f"{tbt_budget} ms", tbt is not None and tbt <= tbt_budget))
    return rows


if __name__ == "__main__":
    main()
