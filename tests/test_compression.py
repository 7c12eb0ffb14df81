"""The app compresses what it sends (issue 17, webapp/pwa/compression.py): pages, htmx fragments
and the service worker per response, static files once per process; small answers, CSV
downloads and conditional requests keep working as before."""
from __future__ import annotations

import gzip
import re

import brotli
import pytest

from webapp.pwa import compression

BROWSER = {"Accept-Encoding": "gzip, deflate, br, zstd"}
GZIP_ONLY = {"Accept-Encoding": "gzip"}


def decoded(response) -> bytes:
    data = response.get_data()
    coding = response.headers.get("Content-Encoding")
    if coding == "br":
        return brotli.decompress(data)
    if coding == "gzip":
        return gzip.decompress(data)
    assert coding is None, coding
    return data


def without_tokens(page: bytes) -> bytes:
    return re.sub(rb'(X-CSRFToken": "|name="csrf_token" value=")[^"]+', rb"\1-", page)


@pytest.mark.parametrize(("headers", "coding"), [(BROWSER, "br"), (GZIP_ONLY, "gzip"), ({}, None)])
def test_pages_are_compressed_as_the_browser_accepts(client, headers, coding):
    plain = client.get("/login")
    response = client.get("/login", headers=headers)
    assert response.status_code == 200
    assert response.headers.get("Content-Encoding") == coding
    vary = response.headers["Vary"]
    assert "Accept-Encoding" in vary and "HX-Request" in vary
    assert int(response.headers["Content-Length"]) == len(response.get_data())
    # The CSRF token differs per session and second (signed with a time stamp); the page around
    # it is the same.
    assert without_tokens(decoded(response)) == without_tokens(plain.get_data())
    if coding:
        assert len(response.get_data()) < len(plain.get_data()) / 2


def test_htmx_fragments_arrive_whole(client, login_as):
    login_as("staff")
    headers = {"HX-Request": "true"}
    plain = client.get("/participants", headers=headers)
    response = client.get("/participants", headers={**headers, **BROWSER})
    assert response.status_code == plain.status_code == 200
    assert decoded(response) == plain.get_data()
    assert not decoded(response).lstrip().lower().startswith(b"<!doctype")


def test_small_answers_and_healthz_are_left_alone(client):
    response = client.get("/healthz", headers=BROWSER)
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}
    assert "Content-Encoding" not in response.headers


def test_service_worker_and_manifest_are_compressed(client):
    worker = client.get("/sw.js", headers=BROWSER)
    assert worker.headers["Content-Encoding"] == "br"
    assert worker.headers["Cache-Control"] == "no-cache"
    assert decoded(worker) == client.get("/sw.js").get_data()
    manifest = client.get("/manifest.webmanifest", headers=BROWSER)
    assert manifest.status_code == 200 and b'"Bofast"' in decoded(manifest)


@pytest.mark.parametrize(("headers", "coding"), [(BROWSER, "br"), (GZIP_ONLY, "gzip")])
def test_static_files_are_compressed_with_their_own_etag_and_answer_304(client, headers, coding):
    plain = client.get("/static/css/app.css")
    response = client.get("/static/css/app.css", headers=headers)
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == coding
    assert "Accept-Encoding" in response.headers["Vary"]
    assert decoded(response) == plain.get_data()
    # Each coding is its own representation: its own validator, and a 304 for it.
    assert response.headers["ETag"] == plain.headers["ETag"][:-1] + f':{coding}"'
    again = client.get("/static/css/app.css",
                       headers={**headers, "If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    # The uncompressed copy a browser kept is still valid too.
    kept = client.get("/static/css/app.css",
                      headers={**headers, "If-None-Match": plain.headers["ETag"]})
    assert kept.status_code == 304


def test_static_files_are_compressed_once_not_per_request(client, monkeypatch):
    compression._static_cache.clear()
    calls = []
    real = brotli.compress
    monkeypatch.setattr(compression.brotli, "compress",
                        lambda data, **kw: calls.append(len(data)) or real(data, **kw))
    first = client.get("/static/js/pwa.js", headers=BROWSER)
    second = client.get("/static/js/pwa.js", headers=BROWSER)
    assert first.get_data() == second.get_data()
    assert len(calls) == 1


def test_static_cache_follows_a_changed_file(tmp_path):
    path = tmp_path / "shell.js"
    path.write_text("var a = 1;" * 100)
    before = compression.compressed_file(path, "gzip")
    path.write_text("var b = 2;" * 200)
    after = compression.compressed_file(path, "gzip")
    assert gzip.decompress(after) == path.read_bytes() and before != after


def test_images_are_sent_as_they_are(client):
    response = client.get("/static/icons/icon-192.png", headers=BROWSER)
    assert response.status_code == 200 and "Content-Encoding" not in response.headers
    assert response.get_data()[:8] == b"\x89PNG\r\n\x1a\n"


def test_csv_downloads_are_sent_as_they_are(client, login_as):
    login_as("admin")
    response = client.get("/admin/audit.csv", headers=BROWSER)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "Content-Encoding" not in response.headers
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.get_data(as_text=True).splitlines()[0]
