"""A local push service for the tests (DESIGN §6): an http.server on 127.0.0.1 in a thread.

It plays the browser vendor's push service: each "device" has an endpoint URL, a P-256 key pair
and an auth secret, exactly like a browser's PushSubscription. For every POST it
- checks the VAPID header (`Authorization: vapid t=<JWT>, k=<key>`): the key is the app's public
  key, the ES256 signature verifies with `cryptography`, `aud` is this service's origin, `exp` is
  in the future and at most 24 h away, `sub` is `mailto:<contact>` (exactly one `mailto:`);
- decrypts the RFC 8291 aes128gcm body with the device's private key (`http_ece`);
- answers with the next scripted status for that device (default 201).
Anything wrong is collected in `errors` (and answered 400), so tests assert `errors == []`.
"""
from __future__ import annotations

import base64
import json
import re
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

CONTACT = "push-test@example.org"


def b64d(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def b64e(value: bytes) -> str:
    return base64.urlsafe_b64encode(value).rstrip(b"=").decode()


@dataclass
class Device:
    token: str
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes
    script: deque = field(default_factory=deque)  # statuses to answer, then 201

    def subscription(self, base: str) -> dict:
        public = self.private_key.public_key().public_bytes(
            Encoding.X962, PublicFormat.UncompressedPoint)
        return {"endpoint": f"{base}push/{self.token}",
                "keys": {"p256dh": b64e(public), "auth": b64e(self.auth)}}


@dataclass
class Received:
    token: str
    status: int
    payload: dict | None
    ttl: int | None
    claims: dict


class PushService:
    def __init__(self, public_key: str, contact: str = CONTACT):
        self.public_key = public_key
        self.contact = contact
        self.devices: dict[str, Device] = {}
        self.received: list[Received] = []  # every POST, whatever the answer
        self.errors: list[str] = []
        self.delay = 0.0  # seconds per request: widens the window for races in tests
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.prefix = self.origin + "/push/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # -- lifecycle
    def start(self) -> PushService:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- devices
    def new_device(self, script=()) -> dict:
        """A new browser subscription (toJSON shape); `script`: statuses to answer first."""
        device = Device(secrets.token_urlsafe(12), ec.generate_private_key(ec.SECP256R1()),
                        secrets.token_bytes(16), deque(script))
        self.devices[device.token] = device
        return device.subscription(self.origin + "/")

    def delivered(self, endpoint: str | None = None) -> list[dict]:
        """Payloads accepted (2xx), optionally for one device."""
        token = endpoint.rsplit("/", 1)[-1] if endpoint else None
        return [r.payload for r in self.received
                if 200 <= r.status < 300 and (token is None or r.token == token)]

    # -- checks
    def check_vapid(self, authorization: str) -> dict:
        match = re.fullmatch(r"vapid t=([\w-]+\.[\w-]+\.[\w-]+), k=([\w-]+)", authorization or "")
        if not match:
            raise AssertionError(f"bad Authorization header: {authorization!r}")
        token, key = match.groups()
        if key != self.public_key:
            raise AssertionError("VAPID k= is not the app's public key")
        header_b64, claims_b64, signature_b64 = token.split(".")
        header = json.loads(b64d(header_b64))
        if header.get("alg") != "ES256":
            raise AssertionError(f"JWT alg {header.get('alg')}")
        signature = b64d(signature_b64)
        if len(signature) != 64:
            raise AssertionError("ES256 signature must be 64 bytes (r || s)")
        der = encode_dss_signature(int.from_bytes(signature[:32], "big"),
                                   int.from_bytes(signature[32:], "big"))
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64d(key))
        public.verify(der, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
        claims = json.loads(b64d(claims_b64))
        if claims.get("aud") != self.origin:
            raise AssertionError(f"aud {claims.get('aud')!r} != {self.origin!r}")
        now = time.time()
        if not now < claims.get("exp", 0) <= now + 24 * 3600 + 60:
            raise AssertionError(f"exp {claims.get('exp')} not within 24 h")
        if claims.get("sub") != f"mailto:{self.contact}":
            raise AssertionError(f"sub {claims.get('sub')!r}")
        return claims

    def decrypt(self, device: Device, body: bytes) -> dict:
        # aes128gcm carries the sender's public key in its header (salt, rs, idlen, keyid);
        # http_ece reads it from there when `dh` is omitted (passing it breaks on 1.2.1).
        if len(body) < 21 + 65 or body[20] != 65:
            raise AssertionError("aes128gcm header must carry the 65-byte sender key")
        plain = http_ece.decrypt(body, private_key=device.private_key,
                                 auth_secret=device.auth, version="aes128gcm")
        return json.loads(plain)

    def _handler(self):
        service = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args):  # keep test output quiet
                pass

            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if service.delay:
                    time.sleep(service.delay)
                token = self.path.rsplit("/", 1)[-1]
                device = service.devices.get(token)
                if device is None:
                    return self._answer(404)
                try:
                    claims = service.check_vapid(self.headers.get("Authorization", ""))
                    if self.headers.get("Content-Encoding") != "aes128gcm":
                        raise AssertionError("Content-Encoding must be aes128gcm")
                    ttl = int(self.headers["TTL"])
                    payload = service.decrypt(device, body)
                except Exception as exc:  # noqa: BLE001 - report every failure to the test
                    with service.lock:
                        service.errors.append(f"{exc.__class__.__name__}: {exc}")
                    return self._answer(400)
                with service.lock:
                    status = device.script.popleft() if device.script else 201
                    service.received.append(Received(token, status, payload, ttl, claims))
                return self._answer(status)

            def _answer(self, status):
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        return Handler


@pytest.fixture(name="push_service")
def push_service_fixture(app):
    """Keys in the app's instance folder, the local service on the allow-list, running."""
    from webapp.push.delivery import generate_vapid_keys

    public = generate_vapid_keys(app.instance_path)
    service = PushService(public).start()
    app.config["BOFAST_PUSH_ENDPOINTS"] += "," + service.prefix
    app.config["BOFAST_PUSH_CONTACT"] = CONTACT
    yield service
    service.stop()
