"""The installable shell: manifest, icons, service worker route, offline page (DESIGN §5, §10)."""
from __future__ import annotations

import json
import struct


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_manifest_makes_the_app_installable(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = response.get_json()
    assert manifest["name"] == "Bofast" and manifest["short_name"] == "Bofast"
    assert manifest["start_url"] == "/" and manifest["scope"] == "/"
    assert manifest["display"] == "standalone" and manifest["lang"] == "sv"
    assert manifest["theme_color"] == "#1d4e5f" and manifest["background_color"]
    purposes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= purposes


def test_manifest_icons_are_real_pngs_of_the_stated_size(client):
    for icon in client.get("/manifest.webmanifest").get_json()["icons"]:
        response = client.get(icon["src"])
        assert response.status_code == 200
        width, height = png_size(response.data)
        assert f"{width}x{height}" == icon["sizes"]


def test_icons_are_also_served_under_icons(client):
    response = client.get("/icons/icon-512.png")
    assert response.status_code == 200 and png_size(response.data) == (512, 512)
    assert client.get("/icons/../config.py").status_code == 404


def test_service_worker_is_served_at_root_scope_without_http_caching(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-cache"


def test_service_worker_carries_the_shell_version_and_precache_list(app, client):
    source = client.get("/sw.js").get_data(as_text=True)
    version = app.extensions["bofast_shell"]["version"]
    assert f'var VERSION = "{version}"' in source
    assert "__BOFAST_VERSION__" not in source and "__BOFAST_PRECACHE__" not in source
    precache = json.loads(source.split("var PRECACHE = ", 1)[1].split(";\n", 1)[0])
    assert "/offline" in precache
    assert "/static/css/app.css" in precache and "/static/js/outbox.js" in precache
    assert "/static/js/sw.js" not in precache  # the worker itself comes from /sw.js
    assert "importScripts(\"/static/js/sw-push.js\")" in source


def test_shell_version_is_a_hash_of_the_shell_files(app):
    from webapp import create_app

    other = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://",
                        "SECRET_KEY": "x"})
    assert other.extensions["bofast_shell"]["version"] == app.extensions["bofast_shell"][
        "version"]


def test_offline_page_stands_alone_for_anyone(client, login_as):
    anonymous = client.get("/offline")
    assert anonymous.status_code == 200
    assert "Du är offline" in anonymous.get_data(as_text=True)
    login_as("staff")
    signed_in = client.get("/offline")
    assert signed_in.get_data() == anonymous.get_data()  # nothing personal in the stored copy
    assert "Staff" not in signed_in.get_data(as_text=True)


def test_pages_link_the_manifest_and_the_pwa_scripts(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'rel="manifest" href="/manifest.webmanifest"' in html
    assert "/static/js/pwa.js" in html and "/static/js/outbox.js" in html
