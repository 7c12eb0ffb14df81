"""Every benchmark in one run, then one table: figure | budget | met? (DESIGN §9, issue 17).

    .venv/bin/python bench/all.py [--quick] [--skip lighthouse] [--skip load]

Runs bench/pages.py, bench/server_time.py, bench/load.py and bench/lighthouse.py one after the
other (their own output streams through), each writing its summary rows to a temporary JSON
file, and prints them together. Exits non-zero when any budget is missed or a script fails.
Seed the database first with bench/seed_bench.py.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
SCRIPTS = {
    "pages": ["pages.py"],
    "server_time": ["server_time.py"],
    "load": ["load.py"],
    "lighthouse": ["lighthouse.py"],
}
QUICK = {"server_time": ["--rounds", "5"], "load": ["--rounds", "5", "--seconds", "60"]}
# Ends a hung script (the scripts bound their own loops; this is the backstop).
TIMEOUT = {"pages": 900, "server_time": 1800, "load": 900, "lighthouse": 3600}


def run(name: str, extra: list[str], summary: Path) -> tuple[int, float]:
    print(f"\n=== {name} " + "=" * (70 - len(name)), flush=True)
    began = time.monotonic()
    command = [sys.executable, str(BENCH / SCRIPTS[name][0]), *extra, "--summary", str(summary)]
    try:
        code = subprocess.run(command, cwd=BENCH.parent, timeout=TIMEOUT[name]).returncode
    except subprocess.TimeoutExpired:
        code = -1
    return code, time.monotonic() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip", action="append", default=[], choices=sorted(SCRIPTS))
    parser.add_argument("--quick", action="store_true", help="fewer rounds (noisier figures)")
    args = parser.parse_args()
    table: list[tuple[str, str, str, str, bool]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in SCRIPTS:
            if name in args.skip:
                continue
            summary = Path(tmp) / f"{name}.json"
            code, took = run(name, QUICK.get(name, []) if args.quick else [], summary)
            rows = json.loads(summary.read_text()) if summary.exists() else []
            for row in rows:
                table.append((name, row["figure"], row["value"], row["budget"], row["met"]))
            # A crash or timeout is a miss even when the rows written so far were fine.
            failed = code not in (0, 1) or not rows or (code == 1 and all(r["met"] for r in rows))
            if failed:
                table.append((name, "script finished", f"exit {code} after {took:.0f} s",
                              "exit 0 or 1 with figures", False))
    width = max((len(figure) for _n, figure, *_ in table), default=10)
    value_width = min(60, max((len(value) for _n, _f, value, *_ in table), default=10))
    print("\n" + "=" * 100)
    print(f"{'script':12} {'figure':{width}} {'Bofast':{value_width}} {'budget':20} met?")
    for name, figure, value, budget, met in table:
        print(f"{name:12} {figure:{width}} {value:{value_width}} {budget:20} "
              f"{'yes' if met else 'NO'}")
    missed = [row for row in table if not row[4]]
    print(f"\n{len(table) - len(missed)} of {len(table)} budgets met"
          + (f"; missed: {', '.join(row[1] for row in missed)}" if missed else ""))
    sys.exit(1 if missed else 0)


if __name__ == "__main__":
    main()
