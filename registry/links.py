"""Deep-link payloads for touchpoints: derived from the touchpoint code, so printed QR codes
stay valid across re-imports and installations.

Telegram accepts a `start` parameter of 1-64 characters from A-Za-z0-9_- only. A code that
already fits becomes `t-<code>`; any other code becomes `t-_<digest>`. A safe code must start
with a letter or digit, so the two forms can never produce the same payload.
"""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import quote

PAYLOAD_PREFIX = "t-"
MAX_PAYLOAD_LENGTH = 64
_DIGEST_MARK = "_"
_DIGEST_CHARS = 32  # 160 bits of SHA-256 in base32: no collision among any plausible codes

_PAYLOAD_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
_SAFE_CODE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
_BOT_USERNAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]{3,31}")
_MAX_BOT_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{1,63}")
WEB_PATH = "/t/"


def is_valid_payload(payload: str) -> bool:
    """True when Telegram would pass `payload` through `/start` unchanged."""
    return _PAYLOAD_RE.fullmatch(payload) is not None


def payload_for_code(code: str) -> str:
    """The stable `/start` payload of a touchpoint code (same code, same payload, forever)."""
    if not code:
        raise ValueError("the touchpoint code is empty")
    readable = PAYLOAD_PREFIX + code
    if _SAFE_CODE_RE.fullmatch(code) and len(readable) <= MAX_PAYLOAD_LENGTH:
        return readable
    digest = hashlib.sha256(code.encode("utf-8")).digest()
    encoded = base64.b32encode(digest).decode("ascii").rstrip("=").lower()
    return PAYLOAD_PREFIX + _DIGEST_MARK + encoded[:_DIGEST_CHARS]


def deep_link(bot_username: str, payload: str) -> str:
    """`https://t.me/<bot>?start=<payload>`, the link a QR code or a button carries."""
    username = bot_username.strip().removeprefix("@")
    if _BOT_USERNAME_RE.fullmatch(username) is None:
        raise ValueError(f"not a bot username: {bot_username!r}")
    if not is_valid_payload(payload):
        raise ValueError(f"not a deep-link payload: {payload!r}")
    return f"https://t.me/{username}?start={payload}"


def max_link(bot_name: str, payload: str) -> str:
    """`https://max.ru/<bot>?start=<payload>`: MAX's deep link, with the same payload."""
    name = bot_name.strip().removeprefix("@")
    if _MAX_BOT_RE.fullmatch(name) is None:
        raise ValueError(f"not a MAX bot name: {bot_name!r}")
    if not is_valid_payload(payload):
        raise ValueError(f"not a deep-link payload: {payload!r}")
    return f"https://max.ru/{name}?start={payload}"


def web_link(public_url: str, code: str) -> str:
    """`<public_url>/t/<code>`: the landing page every channel is offered on (a QR's link)."""
    if not code:
        raise ValueError("the touchpoint code is empty")
    return public_url.rstrip("/") + WEB_PATH + quote(code, safe="")
