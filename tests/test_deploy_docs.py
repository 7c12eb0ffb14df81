"""The README's deployment section works as written (DESIGN §8b): its nginx server block, run in
front of gunicorn, terminates TLS, passes https through to the app (HSTS), compresses pages and
serves the static files; its systemd units start what exists; the configuration table lists
every variable the app reads."""
from __future__ import annotations

import datetime
import ipaddress
import re
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from flask_migrate import upgrade

from tests.conftest import IN_CI, TEST_CONFIG, repo_root
from tests.servers import free_port, gunicorn_servers, wait_until_up
from webapp import create_app
from webapp.extensions import db

pytestmark = pytest.mark.db_independent

README = (repo_root() / "README.md").read_text()
DEPLOYMENT = README[README.index("## Deployment"):]
DEPLOYMENT = DEPLOYMENT[:DEPLOYMENT.index("\n## ", 1)]


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DEPLOYMENT, re.S)


def test_configuration_table_lists_every_variable_the_app_reads():
    config = (repo_root() / "webapp" / "config.py").read_text()
    names = set(re.findall(r'env(?:\.get\(|\[)"([A-Z_]+)"', config))
    names |= set(re.findall(r'_whole_number\(env, "([A-Z_]+)"', config))
    table = README[README.index("## Configuration"):README.index("## Deployment")]
    assert "BOFAST_TRUSTED_PROXIES" in names
    missing = sorted(n for n in names if f"`{n}`" not in table)
    assert not missing, f"README's configuration table lacks {missing}"


def test_deployment_environment_trusts_one_proxy_and_shares_limits_in_redis():
    env = next(b for b in _blocks("sh") if "BOFAST_TRUSTED_PROXIES" in b)
    assert "BOFAST_TRUSTED_PROXIES=1" in env
    assert "RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379" in env
    assert "BOFAST_BASE_URL=https://" in env


def test_systemd_units_run_gunicorn_and_the_reminder_loop():
    units = _blocks("ini")
    assert len(units) == 2
    web, reminders = units
    assert all("EnvironmentFile=/etc/bofast/env" in unit for unit in units)
    assert re.search(r"ExecStart=/srv/bofast/venv/bin/gunicorn .*--bind 127\.0\.0\.1:8000 "
                     r".*'webapp:create_app\(\)'", web)
    command = re.search(r"ExecStart=/srv/bofast/venv/bin/flask --app webapp (.*)", reminders)
    app = create_app(TEST_CONFIG)
    result = app.test_cli_runner().invoke(args=[*command.group(1).split(), "--help"])
    assert result.exit_code == 0, result.output  # the unit's command and options exist


def _nginx_config(tmp: Path, app_port: int, http_port: int, https_port: int) -> Path:
    """The README's server block with local ports, a throw-away certificate and this checkout's
    static folder, inside a minimal nginx.conf."""
    (block,) = _blocks("nginx")
    replacements = {
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen [::]:80;": "",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "listen [::]:443 ssl http2;": "",
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{app_port};",
        "/etc/letsencrypt/live/bofast.example.se/fullchain.pem": str(tmp / "cert.pem"),
        "/etc/letsencrypt/live/bofast.example.se/privkey.pem": str(tmp / "key.pem"),
        "/srv/bofast/static/": str(repo_root() / "webapp" / "static") + "/",
    }
    for old, new in replacements.items():
        assert old in block, f"the README's nginx block changed: {old!r} not found"
        block = block.replace(old, new)
    _self_signed_certificate(tmp)
    temp = {name: tmp / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    config = tmp / "nginx.conf"
    config.write_text("\n".join([
        "user root root;",  # ignored unless run as root: then workers may read the checkout
        "worker_processes 1;",
        "daemon off;",
        f"pid {tmp / 'nginx.pid'};",
        f"error_log {tmp / 'nginx.log'} warn;",
        "events { worker_connections 64; }",
        "http {",
        "  include /etc/nginx/mime.types;",
        "  default_type application/octet-stream;",
        "  access_log off;",
        *(f"  {name}_temp_path {path};" if name != "body" else f"  client_body_temp_path {path};"
          for name, path in temp.items()),
        block,
        "}",
    ]))
    return config


def _self_signed_certificate(tmp: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bofast.example.se")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("bofast.example.se"),
                x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(key, hashes.SHA256()))
    (tmp / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))


@pytest.fixture
def nginx() -> str:
    path = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists()
                                     else None)
    if path is None:
        if IN_CI:
            pytest.fail("CI must run the nginx test: no nginx (apt-get install nginx)")
        pytest.skip("nginx not installed")
    return path


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_readme_nginx_block_in_front_of_gunicorn(nginx, tmp_path):
    database = f"sqlite:///{tmp_path / 'bofast.sqlite'}"
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database})
    with app.app_context():
        upgrade()
        db.engine.dispose()
    env = {"DATABASE_URL": database, "SECRET_KEY": uuid.uuid4().hex,
           "BOFAST_TRUSTED_PROXIES": "1", "BOFAST_BASE_URL": "https://bofast.example.se"}
    with gunicorn_servers(env, tmp_path) as (base,):
        http_port, https_port = free_port(), free_port()
        config = _nginx_config(tmp_path, int(base.rsplit(":", 1)[1]), http_port, https_port)
        checked = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-e", str(tmp_path / "e.log"),
                                  "-c", str(config)], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
        proxy = subprocess.Popen([nginx, "-p", str(tmp_path), "-e", str(tmp_path / "e.log"),
                                  "-c", str(config)], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        try:
            https = f"https://127.0.0.1:{https_port}"
            wait_until_up(https, proxy, tmp_path, verify=False)
            _check_through_the_proxy(https, f"http://127.0.0.1:{http_port}")
        finally:
            proxy.terminate()
            proxy.wait(timeout=10)


def _check_through_the_proxy(https: str, http: str) -> None:
    gzip = {"Accept-Encoding": "gzip"}
    page = requests.get(https + "/login", headers=gzip, verify=False, timeout=10)
    assert page.status_code == 200 and 'name="username"' in page.text
    assert page.headers["Content-Encoding"] == "gzip"
    # X-Forwarded-Proto reached the app and was believed: HSTS, Secure cookies.
    assert "max-age=31536000" in page.headers["Strict-Transport-Security"]
    assert "Secure" in page.headers["Set-Cookie"]

    css = requests.get(https + "/static/css/app.css", headers=gzip, verify=False, timeout=10)
    assert css.status_code == 200 and css.headers["Content-Encoding"] == "gzip"
    assert css.headers["Cache-Control"] == "no-cache"
    again = requests.get(https + "/static/css/app.css", verify=False, timeout=10,
                         headers={**gzip, "If-None-Match": css.headers["ETag"]})
    assert again.status_code == 304

    plain = requests.get(http + "/login", allow_redirects=False, timeout=10)
    assert plain.status_code == 301 and plain.headers["Location"].startswith("https://")
