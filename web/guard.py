"""What keeps a public form honest: a signed device cookie, CSRF tokens, a per-address limit.

The device cookie's random id is the web respondent's user id (its key is an HMAC of "web"
and that id), so one browser is one respondent and the daily limit holds per browser. A
token is tied to the device and to the time it was issued; nothing here needs the database.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta

from aiohttp import web

DEVICE_COOKIE = "otklik_device"
DEVICE_MAX_AGE = 400 * 24 * 3600  # the longest a browser keeps a cookie
CSRF_FIELD = "csrf"
CSRF_TTL = timedelta(hours=12)
HONEYPOT_FIELD = "website"


class Signer:
    """HMAC-SHA256 with the installation's secret, one purpose per prefix."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def sign(self, purpose: str, value: str) -> str:
        message = f"{purpose}|{value}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()[:32]

    def device_cookie(self, device_id: str) -> str:
        return f"{device_id}.{self.sign('device', device_id)}"

    def device_of(self, cookie: str | None) -> str | None:
        """The device id of a genuine cookie; None for a missing or tampered one."""
        device_id, _dot, signature = (cookie or "").rpartition(".")
        if not device_id or not hmac.compare_digest(signature, self.sign("device", device_id)):
            return None
        return device_id

    def csrf_token(self, device_id: str, now: datetime) -> str:
        issued = str(int(now.timestamp()))
        return f"{issued}.{self.sign('csrf', device_id + '|' + issued)}"

    def csrf_valid(self, token: str, device_id: str, now: datetime) -> bool:
        issued, _dot, signature = token.partition(".")
        if not issued.isdigit():
            return False
        expected = self.sign("csrf", device_id + "|" + issued)
        if not hmac.compare_digest(signature.encode(), expected.encode()):
            return False
        age = now.timestamp() - int(issued)
        return -60 <= age <= CSRF_TTL.total_seconds()


def new_device_id() -> str:
    return secrets.token_urlsafe(18)


def set_device_cookie(
    response: web.StreamResponse, signer: Signer, device_id: str, secure: bool
) -> None:
    response.set_cookie(
        DEVICE_COOKIE,
        signer.device_cookie(device_id),
        max_age=DEVICE_MAX_AGE,
        path="/t/",
        httponly=True,
        samesite="Lax",
        secure=secure,
    )


def client_address(request: web.Request) -> str:
    """The person's address: behind a reverse proxy on this host, its X-Forwarded-For hop."""
    remote = request.remote or ""
    forwarded = request.headers.get("X-Forwarded-For", "")
    try:
        local = ipaddress.ip_address(remote).is_loopback
    except ValueError:
        local = False
    if local and forwarded:
        return forwarded.split(",")[-1].strip() or remote
    return remote


class RateLimit:
    """At most ``per_minute`` requests per address in any minute, kept in memory.

    Per process: replicas each count their own, which only makes the limit looser.
    """

    MAX_ADDRESSES = 50_000

    def __init__(self, per_minute: int, clock: Callable[[], datetime]) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._seen: dict[str, deque[float]] = {}

    def retry_after(self, address: str) -> int:
        """0 when the request may go on, else seconds until it may."""
        now = self._clock().timestamp()
        times = self._seen.get(address)
        if times is None:
            if len(self._seen) >= self.MAX_ADDRESSES:
                self._forget_idle(now)
            times = self._seen[address] = deque()
        while times and times[0] <= now - 60:
            times.popleft()
        if len(times) >= self.per_minute:
            return max(1, int(times[0] + 60 - now) + 1)
        times.append(now)
        return 0

    def _forget_idle(self, now: float) -> None:
        for address in [a for a, times in self._seen.items() if not times or times[-1] <= now - 60]:
            del self._seen[address]
        if len(self._seen) >= self.MAX_ADDRESSES:
            self._seen.clear()
