"""Flood control for the stand-ins: token buckets, global and per chat (Telegram), global (MAX).

Evaluated on every send, O(1) per call, and never sleeps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sandbox.errors import ApiError, too_many_requests


class TokenBucket:
    """Classic token bucket; Telegram's limits behave like one with a small burst."""

    __slots__ = ("burst", "rate", "stamp", "tokens")

    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.rate = rate
        self.burst = max(1.0, burst)
        self.tokens = self.burst
        self.stamp = now

    def wait_time(self, now: float) -> float:
        """Seconds until one token is available (0 when one is available now)."""
        if now > self.stamp:
            self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
        if self.tokens >= 1.0:
            return 0.0
        return (1.0 - self.tokens) / self.rate if self.rate > 0 else math.inf

    def take(self) -> None:
        self.tokens -= 1.0


@dataclass
class RateLimitSettings:
    """Telegram-like flood limits; off by default because most tests don't want them."""

    enabled: bool = False
    global_rate: float = 30.0
    global_burst: float = 30.0
    per_chat_rate: float = 1.0
    per_chat_burst: float = 3.0
    group_per_minute: float = 20.0


class RateLimiter:
    """Global plus per-chat buckets; only successful sends consume tokens."""

    def __init__(self, settings: RateLimitSettings) -> None:
        self.settings = settings
        self._global: TokenBucket | None = None
        self._chats: dict[int, TokenBucket] = {}

    def reconfigure(self, settings: RateLimitSettings) -> None:
        """Apply new settings; buckets restart full so a switch is predictable."""
        self.settings = settings
        self._global = None
        self._chats.clear()

    def check(self, chat_id: int | None, now: float) -> ApiError | None:
        """Return a 429 if a call now would exceed a limit, else consume a token.

        ``chat_id`` None is a call that only the global bucket limits (MAX limits every
        request, 30 per second, and documents no per-chat limit).
        """
        s = self.settings
        if not s.enabled:
            return None
        if self._global is None:
            self._global = TokenBucket(s.global_rate, s.global_burst, now)
        if chat_id is None:
            wait = self._global.wait_time(now)
            if wait > 0:
                return too_many_requests(math.ceil(wait))
            self._global.take()
            return None
        bucket = self._chats.get(chat_id)
        if bucket is None:
            if chat_id < 0:
                bucket = TokenBucket(s.group_per_minute / 60.0, s.per_chat_burst, now)
            else:
                bucket = TokenBucket(s.per_chat_rate, s.per_chat_burst, now)
            self._chats[chat_id] = bucket
        wait = max(self._global.wait_time(now), bucket.wait_time(now))
        if wait > 0:
            return too_many_requests(math.ceil(wait))
        self._global.take()
        bucket.take()
        return None
