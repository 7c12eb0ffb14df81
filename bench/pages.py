"""Page weight and SQL statements per page, for every page of each role (DESIGN §9).

    .venv/bin/python bench/pages.py [--summary FILE]

Runs the app in-process (test client) on the bench database. For every GET page in
`app.url_map` the role may open: HTML bytes gzip, first load (HTML + CSS + JS + icons it links,
gzip), the same first load as the app serves it to a browser that accepts gzip and brotli (no
proxy in front: the app's own compression, webapp/pwa/compression.py), repeat load (HTML
only: the service worker serves the assets), and SQL statements per request counted with a
SQLAlchemy event. Staff pages are measured for a 10-participant and a 1,000-participant
caseload: the statement counts must be equal (no N+1).
"""
from __future__ import annotations

import argparse
import contextvars
import gzip
import re
import sys
import time
from html.parser import HTMLParser

import brotli
from common import FIRST_LOAD_BUDGET, HTML_BUDGET, kb, make_app, write_summary

NON_HTML = (".csv", ".ics", ".js", ".webmanifest", ".json", ".png", ".svg")
# What a phone's browser sends: the "first load" budget is about the bytes it downloads.
ACCEPT_ENCODING = {"Accept-Encoding": "gzip, deflate, br, zstd"}
# More statements than this on one page is almost surely a query per row (N+1).
SQL_SUSPECT = 40
USERS = [("staff", "bench-small"), ("staff", "bench-large"), ("staff", "bench-staff-01"),
         ("social_worker", "bench-soc-01"), ("housing", "bench-housing-1"),
         ("admin", "bench-admin"), ("participant", "bench-p-0001")]


class Assets(HTMLParser):
    """Same-origin assets a page makes the browser fetch on first load."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        url = None
        if tag == "link" and (a.get("rel") or "") in ("stylesheet", "icon", "manifest",
                                                      "apple-touch-icon", "preload"):
            url = a.get("href")
        elif tag in ("script", "img") and a.get("src"):
            url = a.get("src")
        # loader.js fetches these after the first paint: still part of the first load.
        for each in [url, *(a.get("data-scripts") or "").split()]:
            if each and each.startswith("/") and not each.startswith("//") \
                    and each not in self.urls:
                self.urls.append(each)


def body(response) -> tuple[bytes, int]:
    """(decoded body, bytes as served): the app may or may not compress what a phone gets."""
    data = response.get_data()
    coding = response.headers.get("Content-Encoding")
    if coding == "gzip":
        return gzip.decompress(data), len(data)
    if coding == "br":
        return brotli.decompress(data), len(data)
    if coding:
        sys.exit(f"{coding}: not decoded here (only gzip and br)")
    return data, len(data)


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6))


def page_urls(app, participant_id):
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static" or rule.rule in ("/", "/logout"):
            continue
        if rule.rule.endswith(NON_HTML) or rule.rule.startswith(("/icons/", "/calendar/")):
            continue
        if set(rule.arguments) - {"participant_id"}:
            continue
        if rule.arguments and participant_id is None:
            continue
        url = rule.build({"participant_id": participant_id} if rule.arguments else {},
                         append_unknown=False)[1]
        urls.append((rule.endpoint, url))
    return sorted(set(urls), key=lambda pair: pair[1])


def fresh(call, *args, **kwargs):
    """Each request in its own context, as in production (no user cached in `g` between them)."""
    return contextvars.Context().run(call, *args, **kwargs)


def measure(app, username):
    from sqlalchemy import event

    from webapp.access import roles_for_endpoint, visible_participants
    from webapp.extensions import db
    from webapp.models import Participant, User

    user = db.session.scalar(db.select(User).where(User.username == username))
    if user is None:
        sys.exit(f"{username} not found: run bench/seed_bench.py first")
    first = db.session.scalar(visible_participants(user).order_by(Participant.id).limit(1))
    client = app.test_client()
    statements = [0]

    def count(*_args, **_kw):
        statements[0] += 1

    event.listen(db.engine, "before_cursor_execute", count)
    asset_cache: dict[str, tuple[int, int]] = {}
    results = []
    try:
        for endpoint, url in page_urls(app, first.id if first else None):
            allowed = roles_for_endpoint(endpoint, "GET")
            if not allowed or user.role not in allowed:
                continue
            with client.session_transaction() as session:
                session["_user_id"] = user.get_id()
                session["_fresh"] = True
                session["last_seen"] = time.time()  # else the idle timeout signs staff out
            fresh(client.get, url)  # warm: first-request work is not what a user waits for
            statements[0] = 0
            response = fresh(client.get, url, headers=ACCEPT_ENCODING)
            sql = statements[0]
            if response.status_code >= 500:
                results.append(dict(url=url, html=0, first=0, served=0, sql=sql, error=True))
                continue
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            html, html_served = body(response)
            parser = Assets()
            parser.feed(html.decode("utf-8", "replace"))
            assets = served = 0
            for asset in parser.urls:
                if asset not in asset_cache:
                    data, on_wire = body(fresh(client.get, asset, headers=ACCEPT_ENCODING))
                    asset_cache[asset] = (gz(data), on_wire)
                assets += asset_cache[asset][0]
                served += asset_cache[asset][1]
            results.append(dict(url=url, html=gz(html), first=gz(html) + assets,
                                served=html_served + served, sql=sql))
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return results


def summary_rows(by_user, small, large):
    """The figures bench/all.py puts in its one table."""
    rows = [(user, r) for user, results in by_user.items() for r in results]
    timed = [(user, r) for user, r in rows if not r.get("error")]
    html_user, html = max(timed, key=lambda pair: pair[1]["html"])
    first_user, first = max(timed, key=lambda pair: pair[1]["first"])
    served_user, served = max(timed, key=lambda pair: pair[1]["served"])
    sql_user, sql = max(timed, key=lambda pair: pair[1]["sql"])
    today_user, today = max(((u, r) for u, r in timed if r["url"] == "/today"),
                            key=lambda pair: pair[1]["html"], default=(None, None))
    equal = sum(small[url] == large[url] for url in small.keys() & large.keys())
    shared = len(small.keys() & large.keys())
    errors = len(rows) - len(timed)
    result = [
        ("Largest HTML, gzip", f"{kb(html['html'])} ({html_user} {html['url']})",
         f"≤ {kb(HTML_BUDGET)}", html["html"] <= HTML_BUDGET),
        ("Largest first load, gzip", f"{kb(first['first'])} ({first_user} {first['url']})",
         f"≤ {kb(FIRST_LOAD_BUDGET)}", first["first"] <= FIRST_LOAD_BUDGET),
        ("Largest first load as served (no proxy)",
         f"{kb(served['served'])} ({served_user} {served['url']})",
         f"≤ {kb(FIRST_LOAD_BUDGET)}", served["served"] <= FIRST_LOAD_BUDGET),
        ("Most SQL statements on a page", f"{sql['sql']} ({sql_user} {sql['url']})",
         f"≤ {SQL_SUSPECT} (no N+1)", sql["sql"] <= SQL_SUSPECT),
        ("SQL per page, caseload 10 vs 1,000", f"{equal} of {shared} pages equal", "all equal",
         equal == shared),
        ("Pages answering 5xx", str(errors), "0", errors == 0),
    ]
    if today is not None:
        result.insert(1, ("/today HTML gzip, largest caseload",
                          f"{kb(today['html'])} ({today_user})", f"≤ {kb(HTML_BUDGET)}",
                          today["html"] <= HTML_BUDGET))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--summary", help="also write the summary rows as JSON here")
    args = parser.parse_args()
    app = make_app()
    ok = True
    by_user = {}
    with app.app_context():
        print(f"{'user':16} {'page':44} {'HTML gz':>9} {'first load':>11} {'as served':>10} "
              f"{'repeat':>9} {'SQL':>4}  budget")
        for _role, username in USERS:
            by_user[username] = measure(app, username)
            for row in by_user[username]:
                flags = ["SERVER ERROR"] if row.get("error") else []
                if row["html"] > HTML_BUDGET:
                    flags.append("HTML > 14 KB")
                if row["first"] > FIRST_LOAD_BUDGET:
                    flags.append("first load > 60 KB")
                elif row["served"] > FIRST_LOAD_BUDGET:
                    flags.append("served > 60 KB")
                if row["sql"] > SQL_SUSPECT:
                    flags.append(f"SQL > {SQL_SUSPECT}: N+1?")
                ok &= not flags
                print(f"{username:16} {row['url'][:44]:44} {kb(row['html']):>9} "
                      f"{kb(row['first']):>11} {kb(row['served']):>10} {kb(row['html']):>9} "
                      f"{row['sql']:>4}  "
                      f"{', '.join(flags) or 'ok'}")
    small = {re.sub(r"/\d+", "/<id>", r["url"]): r["sql"] for r in by_user["bench-small"]}
    large = {re.sub(r"/\d+", "/<id>", r["url"]): r["sql"] for r in by_user["bench-large"]}
    print("\nSQL statements per page, caseload 10 vs 1,000 (budget: equal)")
    for url in sorted(small.keys() & large.keys()):
        same = small[url] == large[url]
        ok &= same
        print(f"  {url:44} {small[url]:>4} {large[url]:>6}  {'ok' if same else 'GROWS'}")
    print(f"\nBudgets: HTML ≤ {kb(HTML_BUDGET)} gzip, first load ≤ {kb(FIRST_LOAD_BUDGET)} gzip "
          f"and as served by the app, SQL constant in caseload size: {'met' if ok else 'NOT met'}")
    write_summary(args.summary, summary_rows(by_user, small, large))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
