"""Where the outbox sender's time goes in bench/delivery.py, measured without changing it.

The sender's methods are wrapped (never replaced in behaviour); a client middleware notes the
moment of every accepted send, and a timer watches the event loop's lag.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.methods import SendMessage, TelegramMethod
from aiogram.methods.base import Response, TelegramType

from bot.delivery import OutboxSender
from storage.delivery_models import OutboxMessage


class DeliveryClock(BaseRequestMiddleware):
    """Client-side moment of every sendMessage that Telegram (the sandbox) accepted."""

    def __init__(self) -> None:
        self.accepted: list[float] = []

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        response = await make_request(bot, method)  # raises on any error answer
        if isinstance(method, SendMessage):
            self.accepted.append(time.monotonic())
        return response


@dataclass
class Profile:
    """Where the sender's time went; gathered by wrapping its methods, behaviour unchanged."""

    passes: list[tuple[float, float, int]] = field(default_factory=list)  # start, end, started
    queries: list[float] = field(default_factory=list)  # seconds per `_due`
    last_start: list[float] = field(default_factory=list)  # last `_deliver` start per pass
    calls: list[float] = field(default_factory=list)  # seconds per Bot API call
    writes: list[float] = field(default_factory=list)  # seconds per outcome transaction
    pauses: list[tuple[float, float]] = field(default_factory=list)  # global 429 pauses
    flushes: list[tuple[float, int]] = field(default_factory=list)  # prototype: batched writes
    token_wait: float = 0.0  # seconds run_once spent in bucket.take()
    slot_wait: float = 0.0  # seconds run_once spent waiting for a free concurrency slot
    _last_deliver: float = 0.0
    _call_end: dict[int, float] = field(default_factory=dict)

    def attach(self, sender: OutboxSender) -> None:
        run_once, due, deliver, call = (
            sender.run_once,
            sender._due,
            sender._deliver,
            sender._call,
        )
        bucket_pause, bucket_take = sender.bucket.pause, sender.bucket.take
        slots_acquire = sender._slots.acquire

        async def timed_run_once() -> int:
            start = time.monotonic()
            self._last_deliver = start
            started = await run_once()
            self.passes.append((start, time.monotonic(), started))
            self.last_start.append(self._last_deliver)
            return started

        async def timed_due(*args: Any) -> list[OutboxMessage]:
            start = time.monotonic()
            rows = await due(*args)
            self.queries.append(time.monotonic() - start)
            return rows

        async def timed_deliver(message: OutboxMessage) -> None:
            self._last_deliver = time.monotonic()
            await deliver(message)
            # _deliver = API call + one transaction; the call is timed in timed_call.
            self.writes.append(time.monotonic() - self._call_end.pop(message.id, time.monotonic()))

        async def timed_call(message: OutboxMessage) -> int | None:
            start = time.monotonic()
            try:
                return await call(message)
            finally:
                now = time.monotonic()
                self.calls.append(now - start)
                self._call_end[message.id] = now

        async def timed_take() -> None:
            start = time.monotonic()
            await bucket_take()
            self.token_wait += time.monotonic() - start

        async def timed_acquire() -> bool:
            start = time.monotonic()
            acquired = await slots_acquire()
            self.slot_wait += time.monotonic() - start
            return acquired

        def timed_pause(seconds: float) -> None:
            now = time.monotonic()
            self.pauses.append((now, now + seconds))
            bucket_pause(seconds)

        write = getattr(sender, "_write", None)
        if write is not None:  # the prototype's batched outcome writer

            async def timed_write(rows: list[Any], chats: list[Any]) -> None:
                start = time.monotonic()
                await write(rows, chats)
                self.flushes.append((time.monotonic() - start, len(rows) + len(chats)))

            sender._write = timed_write  # type: ignore[attr-defined]
        sender.run_once = timed_run_once  # type: ignore[method-assign]
        sender._due = timed_due  # type: ignore[method-assign]
        sender._deliver = timed_deliver  # type: ignore[method-assign]
        sender._call = timed_call  # type: ignore[method-assign]
        sender.bucket.pause = timed_pause  # type: ignore[method-assign]
        sender.bucket.take = timed_take  # type: ignore[method-assign]
        sender._slots.acquire = timed_acquire  # type: ignore[method-assign,assignment]

    def summary(self, run_start: float, run_end: float) -> dict[str, Any]:
        busy = [(s, e, n) for s, e, n in self.passes if n]
        tails = [
            end - last
            for (_, end, started), last in zip(self.passes, self.last_start, strict=True)
            if started
        ]
        return {
            "passes": len(busy),
            "empty_passes": len(self.passes) - len(busy),
            "in_passes_s": round(sum(e - s for s, e, _ in busy), 2),
            "between_passes_s": round(_gaps(busy, run_start, run_end), 2),
            "pass_tail_s": round(sum(tails), 2),
            "query_s": round(sum(self.queries), 2),
            "token_wait_s": round(self.token_wait, 2),
            "slot_wait_s": round(self.slot_wait, 2),
            "global_pauses": len(self.pauses),
            "paused_s": round(_union(self.pauses, run_start, run_end), 2),
            "call_ms": _percentiles(self.calls),
            "write_ms": _percentiles(self.writes),
            "flushes": len(self.flushes),
            "flush_rows": round(sum(n for _, n in self.flushes) / max(1, len(self.flushes)), 1),
            "flush_ms": _percentiles([seconds for seconds, _ in self.flushes]),
        }


class LoopLag:
    """How late the event loop wakes a 10 ms timer: stalls (CPU starvation, blocking code)."""

    def __init__(self, tick: float = 0.01) -> None:
        self.tick = tick
        self.lags: list[float] = []

    async def watch(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            start = time.monotonic()
            await asyncio.sleep(self.tick)
            self.lags.append(time.monotonic() - start - self.tick)

    def summary(self) -> dict[str, Any]:
        return {
            "lag_ms": _percentiles(self.lags),
            "stalled_s": round(sum(lag for lag in self.lags if lag > 0.05), 2),
        }


def _union(intervals: list[tuple[float, float]], low: float, high: float) -> float:
    total, reach = 0.0, low
    for start, end in sorted(intervals):
        start, end = max(start, reach), min(end, high)
        if end > start:
            total += end - start
            reach = end
    return total


def _gaps(passes: list[tuple[float, float, int]], low: float, high: float) -> float:
    return (high - low) - _union([(s, e) for s, e, _ in passes], low, high)


def _percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2)

    return {"p50": at(0.5), "p99": at(0.99), "max": at(1.0)}
