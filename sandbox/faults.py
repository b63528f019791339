"""Fault injection: 429 retry_after, 5xx, timeouts, 403, 400 and non-JSON answers.

Rules are evaluated per call (O(rules), a handful) with a seeded RNG, so a run reproduces.
"""

from __future__ import annotations

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
