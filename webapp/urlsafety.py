"""One check for every redirect or link target taken from the request (`next=`)."""
from __future__ import annotations

from urllib.parse import urlsplit

MAX_NEXT_LENGTH = 2000


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None.

    Browsers read a backslash as a slash and drop tabs and newlines, so "/\\evil.example" and
    "/\\t/evil.example" lead off-site although they look like paths: refuse them outright.
    """
    if not target or not isinstance(target, str) or len(target) > MAX_NEXT_LENGTH:
        return None
    if "\\" in target or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
