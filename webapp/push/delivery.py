"""Web push delivery: VAPID keys, the endpoint allow-list, and one encrypted POST (DESIGN §6).

The `webpush` package builds the RFC 8291 (aes128gcm) body and the VAPID header; we POST it
ourselves with `requests` so we control the timeout and never follow redirects. Its habits we
work around here:
- it prefixes `mailto:` to the subscriber itself, so we pass the bare address;
- its TTL and subscriber are stored on the instance by `get()`, and `ttl=0` is ignored there,
  so we make a fresh instance per message and always pass both;
- its VAPID `aud` is `scheme://host` without the port, which is wrong for a push service on a
  non-default port (RFC 8292 wants the origin), so we sign the header for the real origin.
"""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from flask import current_app

PRIVATE_KEY_FILE = "vapid_private.pem"
PUBLIC_KEY_FILE = "vapid_public.pem"
# Push services accept at most 4 weeks; a longer TTL is clamped, a shorter one respected.
MAX_TTL = 28 * 24 * 3600
DEFAULT_PORTS = {"https": 443, "http": 80}
# (connect, read) seconds: a slow push service must not stall the scheduler.
TIMEOUT = (5, 15)


class VapidKeysMissing(RuntimeError):
    """No key pair in the instance folder yet: run `flask --app webapp vapid-keys`."""


# ---------------------------------------------------------------- keys

def key_paths(instance_path: str) -> tuple[Path, Path]:
    folder = Path(instance_path)
    return folder / PRIVATE_KEY_FILE, folder / PUBLIC_KEY_FILE


def generate_vapid_keys(instance_path: str, force: bool = False) -> str:
    """Write a new P-256 key pair into the instance folder; return the public key (base64url).

    Refuses to overwrite an existing pair unless `force`: every browser subscription is bound
    to the public key, so a new pair silently breaks all of them.
    """
    from webpush.vapid import VAPID

    private_path, public_path = key_paths(instance_path)
    if private_path.exists() and not force:
        raise FileExistsError(str(private_path))
    private_pem, public_pem, application_server_key = VAPID.generate_keys()
    private_path.parent.mkdir(parents=True, exist_ok=True)
    private_path.write_bytes(private_pem)
    private_path.chmod(0o600)
    public_path.write_bytes(public_pem)
    return application_server_key


def load_keys(instance_path: str | None = None) -> tuple[bytes, bytes]:
    private_path, public_path = key_paths(instance_path or current_app.instance_path)
    if not private_path.exists() or not public_path.exists():
        raise VapidKeysMissing(str(private_path))
    return private_path.read_bytes(), public_path.read_bytes()


def public_key_b64(instance_path: str | None = None) -> str | None:
    """The application server key for the browser: base64url uncompressed point, or None."""
    try:
        _private, public_pem = load_keys(instance_path)
    except VapidKeysMissing:
        return None
    from webpush.vapid import VAPID

    return VAPID.get_application_server_key(load_pem_public_key(public_pem))


# ---------------------------------------------------------------- allow-list

def _prefixes(config_value: str) -> list[str]:
    return [p.strip() for p in (config_value or "").split(",") if p.strip()]


def _matches(endpoint, prefix) -> bool:
    """Origin equal (a leading `*.` in the prefix host matches subdomains), path under it."""
    if endpoint.scheme != prefix.scheme or not prefix.hostname:
        return False
    host, want = endpoint.hostname or "", prefix.hostname
    if want.startswith("*."):
        if not host.endswith(want[1:]):
            return False
    elif host != want:
        return False
    if _port(endpoint) != _port(prefix):
        return False
    return endpoint.path.startswith(prefix.path or "/")


def _port(parts) -> int | None:
    try:
        return parts.port or DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        return None


def endpoint_allowed(endpoint: str, allow_list: str | None = None) -> bool:
    """Only push services on the allow-list: a subscription must not make us POST elsewhere.

    https only, except a prefix that is itself http (the test suite's local push service).
    """
    if not isinstance(endpoint, str) or len(endpoint) > 1000 or any(c.isspace() for c in endpoint):
        return False
    if allow_list is None:
        allow_list = current_app.config.get("BOFAST_PUSH_ENDPOINTS", "")
    try:
        parts = urlsplit(endpoint)
        if parts.username or parts.password or parts.fragment or _port(parts) is None:
            return False
    except ValueError:
        return False
    if parts.scheme not in ("https", "http"):
        return False
    return any(_matches(parts, urlsplit(prefix)) for prefix in _prefixes(allow_list))


# ---------------------------------------------------------------- subscription keys

def b64url_decode(value: str) -> bytes:
    value = value.strip()
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def valid_p256dh(value) -> bool:
    """An uncompressed point on P-256 (65 bytes starting with 0x04)."""
    try:
        raw = b64url_decode(value)
        if len(raw) != 65 or raw[0] != 4:
            return False
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
        return True
    except (ValueError, TypeError, AttributeError):
        return False


def valid_auth(value) -> bool:
    try:
        return len(b64url_decode(value)) == 16
    except (ValueError, TypeError, AttributeError):
        return False


# ---------------------------------------------------------------- one POST

@dataclass
class PushResult:
    status_code: int | None  # None: no HTTP answer (network error, refused by the allow-list)
    error: str = ""
    retry_after: int | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def gone(self) -> bool:
        """The subscription is dead for good: delete it."""
        return self.status_code in (404, 410)

    @property
    def retryable(self) -> bool:
        if self.status_code is None:
            return self.error != "not allowed"
        return self.status_code == 429 or self.status_code >= 500


@dataclass
class _Origin:
    """Duck-typed for webpush's VAPID.get_authorization_header (it reads scheme and host)."""

    scheme: str
    host: str


def _contact(config_value: str) -> str:
    # webpush adds "mailto:" itself; a configured "mailto:x" would become "mailto:mailto:x".
    value = (config_value or "").strip()
    return value[len("mailto:"):] if value.lower().startswith("mailto:") else value


def build_request(payload: dict, endpoint: str, p256dh: str, auth: str, ttl: int,
                  keys: tuple[bytes, bytes], contact: str) -> tuple[bytes, dict]:
    """The encrypted body and headers for one push message."""
    from webpush import WebPush
    from webpush.types import WebPushSubscription

    private_pem, public_pem = keys
    ttl = max(1, min(int(ttl), MAX_TTL))  # webpush ignores ttl=0 ("falsy"): never pass it
    subscriber = _contact(contact)
    pusher = WebPush(private_key=private_pem, public_key=public_pem, subscriber=subscriber,
                     ttl=ttl)
    subscription = WebPushSubscription.model_validate(
        {"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}}
    )
    data = json.dumps(payload, ensure_ascii=False).encode()
    message = pusher.get(data, subscription, subscriber=subscriber, ttl=ttl)
    headers = {
        "TTL": message.headers["ttl"],
        "Content-Encoding": message.headers["content-encoding"],
        "Content-Type": "application/octet-stream",
        "Authorization": message.headers["authorization"],
        "Urgency": "normal",
    }
    parts = urlsplit(endpoint)
    port = parts.port
    if port and port != DEFAULT_PORTS.get(parts.scheme):
        origin = _Origin(scheme=parts.scheme, host=f"{parts.hostname}:{port}")
        headers["Authorization"] = pusher.vapid.get_authorization_header(
            endpoint=origin, subscriber=subscriber, expiration=pusher.expiration
        )
    return message.encrypted, headers


def post_message(payload: dict, endpoint: str, p256dh: str, auth: str, ttl: int,
                 keys: tuple[bytes, bytes] | None = None) -> PushResult:
    """Encrypt and POST one message; never raises for network trouble."""
    if not endpoint_allowed(endpoint):  # re-checked at send time: the list may have changed
        return PushResult(None, "not allowed")
    keys = keys or load_keys()
    try:
        body, headers = build_request(payload, endpoint, p256dh, auth, ttl, keys,
                                      current_app.config.get("BOFAST_PUSH_CONTACT", ""))
    except (ValueError, TypeError) as exc:
        return PushResult(400, f"bad subscription: {exc.__class__.__name__}")
    try:
        response = requests.post(endpoint, data=body, headers=headers, timeout=TIMEOUT,
                                 allow_redirects=False)
    except requests.RequestException as exc:
        return PushResult(None, exc.__class__.__name__)
    retry_after = response.headers.get("Retry-After", "")
    return PushResult(
        response.status_code,
        "" if response.ok else response.text[:300],
        int(retry_after) if retry_after.isdigit() else None,
    )
