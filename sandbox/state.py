"""What every messenger stand-in shares: tunables, flood limits, faults, counters, closing.

A messenger's world (``sandbox.telegram``; MAX next to it) subclasses :class:`SandboxState`
and adds its users, chats and update formats; the control API drives these parts alike.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import asdict, dataclass, fields
from typing import Any

from sandbox.errors import ControlError
from sandbox.faults import FaultInjector, FaultRule
from sandbox.jsontypes import JsonDict
from sandbox.limits import RateLimiter, RateLimitSettings


@dataclass
class SandboxConfig:
    """Tunables of one sandbox; all can be changed at runtime via ``update_config``."""

    token: str | None = None
    """Exact token to accept; None accepts any well-formed ``digits:secret`` token."""
    bot_id: int = 1000001
    bot_first_name: str = "Otklik Sandbox"
    bot_username: str = "otklik_sandbox_bot"
    callback_ttl: float = 15.0
    """Seconds after which answerCallbackQuery says "query is too old"."""
    webhook_retry_base: float = 0.1
    webhook_retry_max: float = 2.0
    webhook_timeout: float = 10.0
    max_long_poll: float = 50.0
    fault_seed: int | None = 0
    max_upload_bytes: int = 50 * 1024 * 1024
    first_update_id: int = 1


class SandboxState:
    """Config, limits, faults and counters of one sandbox, and its closing flag."""

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        self.rate_limits = RateLimitSettings()
        self.rate_limiter = RateLimiter(self.rate_limits)
        self.faults = FaultInjector(self.config.fault_seed)
        self.closing = False
        self._closing_event = asyncio.Event()
        self._init_state()

    def _init_state(self) -> None:
        """(Re)create the counters; a messenger's world adds what its ``reset`` forgets."""
        self.calls: Counter[str] = Counter()
        self.calls_ok: Counter[str] = Counter()
        self.errors: Counter[int] = Counter()
        self.counters: Counter[str] = Counter()
        self.faults_by_kind: Counter[str] = Counter()

    def _wake_everyone(self) -> None:
        """Release every waiter (after a reset, when closing); the world knows its waiters."""

    def reset(self, *, full: bool = False) -> None:
        """Forget the world, faults, limits and stats (``full`` is the world's to use)."""
        self._init_state()
        self.rate_limits = RateLimitSettings()
        self.rate_limiter.reconfigure(self.rate_limits)
        self.faults.clear()
        self.faults.seed(self.config.fault_seed)
        self._wake_everyone()

    # ---------------------------------------------------------------- closing
    def open(self) -> None:
        """Accept waits again after a ``mark_closing`` (a restarted server)."""
        self.closing = False
        self._closing_event = asyncio.Event()

    def mark_closing(self) -> None:
        self.closing = True
        self._closing_event.set()
        self._wake_everyone()

    async def sleep_unless_closing(self, seconds: float) -> None:
        """Hold (e.g. a timeout fault) but let ``stop()`` finish promptly."""
        try:
            async with asyncio.timeout(seconds):
                await self._closing_event.wait()
        except TimeoutError:
            pass

    # ----------------------------------------------------------------- config
    def update_config(self, **changes: Any) -> JsonDict:
        """Change config fields at runtime (unknown names are rejected)."""
        names = {f.name for f in fields(self.config)}
        unknown = set(changes) - names
        if unknown:
            raise ControlError(f"unknown config fields: {sorted(unknown)}")
        for key, value in changes.items():
            setattr(self.config, key, value)
        if "fault_seed" in changes:
            self.faults.seed(self.config.fault_seed)
        return asdict(self.config)

    def get_config(self) -> JsonDict:
        return asdict(self.config)

    # ------------------------------------------------------- limits & faults
    def set_rate_limits(
        self,
        enabled: bool | None = None,
        *,
        global_rate: float | None = None,
        global_burst: float | None = None,
        per_chat_rate: float | None = None,
        per_chat_burst: float | None = None,
        group_per_minute: float | None = None,
    ) -> JsonDict:
        """Switch Telegram-like flood limits on/off or retune them; buckets restart full."""
        changes = {
            "enabled": enabled,
            "global_rate": global_rate,
            "global_burst": global_burst,
            "per_chat_rate": per_chat_rate,
            "per_chat_burst": per_chat_burst,
            "group_per_minute": group_per_minute,
        }
        for key, value in changes.items():
            if value is not None:
                setattr(self.rate_limits, key, value)
        self.rate_limiter.reconfigure(self.rate_limits)
        return asdict(self.rate_limits)

    def get_rate_limits(self) -> JsonDict:
        return asdict(self.rate_limits)

    def add_fault(
        self,
        kind: str,
        *,
        count: int | None = None,
        probability: float | None = None,
        method: str | None = None,
        chat_id: int | None = None,
        status: int = 500,
        description: str | None = None,
        retry_after: int = 5,
        hold: float = 5.0,
        deliver: bool = False,
    ) -> JsonDict:
        """Inject a fault for the next ``count`` matching calls or with ``probability``.

        kind: server_error (status 500/502) | timeout (hold ``hold`` s, then drop the
        connection) | disconnect | blocked (403) | bad_request (400 ``description``) |
        retry_after (429) | html_error / html_502 (a proxy's HTML error page, not JSON) |
        text_error / text_500 (a plain-text 5xx body, not JSON).  ``deliver=True`` performs
        the call first and then loses the answer, which is how duplicates happen in real life.
        """
        if count is None and probability is None:
            count = 1
        try:
            rule = FaultRule(
                kind=kind,
                count=count,
                probability=probability,
                method=method,
                chat_id=chat_id,
                status=status,
                description=description,
                retry_after=retry_after,
                hold=hold,
                deliver=deliver,
            )
        except ValueError as exc:
            raise ControlError(str(exc)) from None
        return self.faults.add(rule).to_dict()

    def list_faults(self) -> list[JsonDict]:
        return [r.to_dict() for r in self.faults.rules]

    def remove_fault(self, fault_id: int) -> bool:
        return self.faults.remove(fault_id)

    def clear_faults(self) -> None:
        self.faults.clear()
