"""Flood control (token buckets) and fault injection for the sandbox.

Both are evaluated on every Bot API call, so they are O(1) per call (O(rules) for faults,
which is a handful) and never sleep.
"""

from __future__ import annotations

import math
import random
from dataclasses import asdict, dataclass, field
from typing import Any

from sandbox.errors import ApiError, bad_request, forbidden, too_many_requests

FAULT_KINDS = (
    "server_error",
    "timeout",
    "blocked",
    "bad_request",
    "retry_after",
    "disconnect",
    "html_error",
    "text_error",
)
# Answers that are not JSON at all: what a proxy in front of the Bot API says when it fails.
NON_JSON_KINDS = {"html_error": "text/html", "text_error": "text/plain"}
_NON_JSON_STATUS = {"html_502": 502, "text_500": 500}
_FAULT_ALIASES = {
    "html_502": "html_error",
    "text_500": "text_error",
    "5xx": "server_error",
    "500": "server_error",
    "502": "server_error",
    "403": "blocked",
    "400": "bad_request",
    "429": "retry_after",
    "flood": "retry_after",
}


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

    def check(self, chat_id: int, now: float) -> ApiError | None:
        """Return a 429 if sending to ``chat_id`` now would exceed a limit, else consume."""
        s = self.settings
        if not s.enabled:
            return None
        if self._global is None:
            self._global = TokenBucket(s.global_rate, s.global_burst, now)
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


@dataclass
class FaultRule:
    """One fault-injection rule; ``count`` None means "until removed"."""

    kind: str
    count: int | None = 1
    probability: float | None = None
    method: str | None = None
    chat_id: int | None = None
    status: int = 500
    description: str | None = None
    retry_after: int = 5
    hold: float = 5.0
    deliver: bool = False
    id: int = 0
    hits: int = 0
    _method_key: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.status = _NON_JSON_STATUS.get(self.kind, self.status)
        self.kind = _FAULT_ALIASES.get(self.kind, self.kind)
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; use one of {FAULT_KINDS}")
        if self.kind in ("server_error", *NON_JSON_KINDS) and self.status < 500:
            self.status = 500
        self._method_key = self.method.lower() if self.method else None

    def error(self) -> ApiError:
        """The Telegram answer this fault produces (not used for timeout/disconnect)."""
        if self.kind == "server_error":
            text = self.description or (
                "Bad Gateway" if self.status == 502 else "Internal Server Error"
            )
            return ApiError(self.status, text)
        if self.kind == "blocked":
            return forbidden(self.description or "bot was blocked by the user")
        if self.kind == "retry_after":
            return too_many_requests(self.retry_after)
        text = self.description or "fault injected"
        return ApiError(400, text) if text.startswith("Bad Request") else bad_request(text)

    def body(self) -> tuple[str, str]:
        """(content type, body) of a non-JSON fault: a proxy's HTML page or plain text."""
        reason = "Bad Gateway" if self.status == 502 else "Internal Server Error"
        text = self.description or f"{self.status} {reason}"
        if self.kind == "html_error":
            return NON_JSON_KINDS[self.kind], (
                f"<html><head><title>{text}</title></head><body><center><h1>{text}</h1>"
                "</center><hr><center>nginx</center></body></html>\n"
            )
        return NON_JSON_KINDS[self.kind], text

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("_method_key", None)
        return data


class FaultInjector:
    """Ordered fault rules, evaluated per call with a seeded RNG for reproducibility."""

    def __init__(self, seed: int | None = 0) -> None:
        self.rules: list[FaultRule] = []
        self.rng = random.Random(seed)
        self._next_id = 1

    def seed(self, seed: int | None) -> None:
        self.rng = random.Random(seed)

    def add(self, rule: FaultRule) -> FaultRule:
        rule.id = self._next_id
        self._next_id += 1
        self.rules.append(rule)
        return rule

    def remove(self, rule_id: int) -> bool:
        before = len(self.rules)
        self.rules = [r for r in self.rules if r.id != rule_id]
        return len(self.rules) != before

    def clear(self) -> None:
        self.rules.clear()

    def match(self, method: str, chat_id: int | None) -> FaultRule | None:
        """Pick the first rule that fires for this call, consuming one of its uses."""
        if not self.rules:
            return None
        for rule in self.rules:
            if rule._method_key is not None and rule._method_key != method:
                continue
            if rule.chat_id is not None and rule.chat_id != chat_id:
                continue
            if rule.probability is not None and self.rng.random() >= rule.probability:
                continue
            rule.hits += 1
            if rule.count is not None:
                rule.count -= 1
                if rule.count <= 0:
                    self.rules.remove(rule)
            return rule
        return None
