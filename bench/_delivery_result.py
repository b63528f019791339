"""The figures of bench/delivery.py: what reached the chats against what the rows say."""

from __future__ import annotations

import json
import os
import platform
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sandbox import SandboxServer
from storage.delivery_models import OutboxStatus

MARKER = re.compile(r"\[otklik-bench #(\d+)\]")
RATE_GOAL = 0.95


@dataclass
class DeliveryResult:
    messages: int
    rate: float
    sender: str
    blocked: int
    expected: int  # messages to users who have not blocked the bot
    delivered: int  # distinct expected messages found in the sandbox chats
    lost: int  # expected messages that never reached their chat (whatever their row says)
    sent_not_received: int  # rows marked sent whose message is not in the chat
    received_not_sent: int  # messages in a chat whose row is not marked sent (would be resent)
    duplicated: int  # messages that reached their chat more than once
    extra_copies: int
    unreachable_people: int
    wrongly_unreachable: int  # people marked unreachable who never blocked the bot
    rows: dict[str, int]
    sandbox_429_flood: int  # the sandbox's own flood control (rate_limited)
    sandbox_429_injected: int  # the 2% retry_after fault
    sandbox_5xx_injected: int
    sandbox_403: int
    api_calls: int
    setup_s: float
    wall_s: float
    delivery_s: float
    rate_wall: float  # delivered / wall_s / R
    rate_delivery: float  # delivered / delivery_s / R
    rate_steady: float  # the middle 90% of deliveries / their span / R
    attempts_rate: float  # API calls / wall_s / R (what the sender's own bucket allows)
    cpu_s: float  # CPU of this process (sandbox + bot + database threads) during the run
    load: float  # 1-minute load average of the machine at the end of the run
    sender_stats: dict[str, int]
    profile: dict[str, Any]

    @property
    def goals(self) -> dict[str, bool]:
        return {
            f"rate >= {RATE_GOAL} R": self.rate_delivery >= RATE_GOAL,
            "0 lost": self.lost == 0 and self.sent_not_received == 0,
            "0 duplicated": self.duplicated == 0,
            "unreachable = blocked": self.unreachable_people == self.blocked
            and self.wrongly_unreachable == 0,
        }


def marker(index: int) -> str:
    return f"[otklik-bench #{index}]"


@dataclass(frozen=True)
class Run:
    """What was asked: the campaign's size and rate, the sender, the chats, who blocked the bot."""

    messages: int
    rate: float
    sender: str
    chats: list[int]
    blocked: set[int]


@dataclass(frozen=True)
class Timings:
    """Setup seconds, the run's start and end (monotonic), its CPU seconds, the load after."""

    setup_s: float
    run_start: float
    run_end: float
    cpu_s: float
    load: float


def copies_in(sandbox: SandboxServer, chats: list[int]) -> Counter[int]:
    """How many times each message (by its marker) reached a sandbox chat."""
    copies: Counter[int] = Counter()
    for chat_id in chats:
        for message in sandbox.messages(chat_id):
            for found in MARKER.findall(message.get("text", "")):
                copies[int(found)] += 1
    return copies


def tally(
    run: Run,
    sandbox: SandboxServer,
    accepted: list[float],
    statuses: dict[int | None, OutboxStatus],
    unreachable: set[int | None],
    timings: Timings,
    *,
    sender_stats: dict[str, int],
    profile: dict[str, Any],
) -> DeliveryResult:
    """The chats' contents against the rows' statuses, rates over the three spans, the faults."""
    chats, blocked, rate = run.chats, run.blocked, run.rate
    copies = copies_in(sandbox, chats)
    expected = [index for index, chat_id in enumerate(chats) if chat_id not in blocked]
    delivered = sum(1 for index in expected if copies[index] > 0)
    status_of = [statuses.get(chat_id) for chat_id in chats]  # one outbox row per chat
    stats = sandbox.stats()
    faults = stats["faults_by_kind"]
    span = accepted[-1] - accepted[0] if len(accepted) > 1 else 0.0
    # Steady state: the middle 90% of deliveries, without ramp-up and the tail of retries.
    low, high = len(accepted) // 20, len(accepted) - 1 - len(accepted) // 20
    middle = accepted[high] - accepted[low] if high > low else 0.0
    wall = timings.run_end - timings.run_start
    return DeliveryResult(
        messages=run.messages,
        rate=rate,
        sender=run.sender,
        blocked=len(blocked),
        expected=len(expected),
        delivered=delivered,
        lost=len(expected) - delivered,
        sent_not_received=sum(
            1
            for index, status in enumerate(status_of)
            if status == OutboxStatus.SENT and not copies[index]
        ),
        received_not_sent=sum(
            1
            for index, status in enumerate(status_of)
            if status != OutboxStatus.SENT and copies[index]
        ),
        duplicated=sum(1 for count in copies.values() if count > 1),
        extra_copies=sum(count - 1 for count in copies.values() if count > 1),
        unreachable_people=len(unreachable),
        wrongly_unreachable=len(unreachable - blocked),
        rows=dict(Counter(str(status) for status in status_of)),
        sandbox_429_flood=stats["rate_limited"],
        sandbox_429_injected=faults.get("retry_after", 0),
        sandbox_5xx_injected=faults.get("server_error", 0),
        sandbox_403=stats["errors"].get(403, 0),
        api_calls=stats["calls"].get("sendmessage", 0),
        setup_s=round(timings.setup_s, 2),
        wall_s=round(wall, 2),
        delivery_s=round(span, 2),
        rate_wall=round(delivered / wall / rate, 3) if wall else 0.0,
        rate_delivery=round(delivered / span / rate, 3) if span else 0.0,
        rate_steady=round((high - low) / middle / rate, 3) if middle else 0.0,
        attempts_rate=round(stats["calls"].get("sendmessage", 0) / wall / rate, 3),
        cpu_s=round(timings.cpu_s, 2),
        load=round(timings.load, 2),
        sender_stats=sender_stats,
        profile=profile,
    )


def report(result: DeliveryResult) -> str:
    r = result
    p = r.profile
    lines = [
        f"sender {r.sender}: {r.messages} messages to {r.messages} chats at R = {r.rate:g}/s "
        f"({os.cpu_count()} cores, Python {platform.python_version()})",
        f"  achieved rate / R      {r.rate_delivery:.3f} over the delivery span "
        f"({r.delivery_s:.1f} s, first to last accepted send)",
        f"                         {r.rate_wall:.3f} over the wall time of the run "
        f"({r.wall_s:.1f} s, sender start to no pending row)",
        f"                         {r.rate_steady:.3f} steady state (middle 90% of deliveries)",
        f"  API calls / wall / R   {r.attempts_rate:.3f} ({r.api_calls} sendMessage calls)",
        f"  delivered              {r.delivered} of {r.expected} expected "
        f"({r.blocked} users blocked the bot)",
        f"  lost                   {r.lost} (rows sent but not received {r.sent_not_received}; "
        f"received but not marked sent {r.received_not_sent})",
        f"  duplicated             {r.duplicated} ({r.extra_copies} extra copies)",
        f"  unreachable people     {r.unreachable_people} (blocked {r.blocked}; "
        f"wrongly marked {r.wrongly_unreachable})",
        f"  outbox rows            {json.dumps(r.rows, sort_keys=True)}",
        f"  sandbox 429            {r.sandbox_429_flood + r.sandbox_429_injected} "
        f"({r.sandbox_429_injected} injected, {r.sandbox_429_flood} by its flood control); "
        f"5xx {r.sandbox_5xx_injected}; 403 {r.sandbox_403}",
        f"  sender stats           {json.dumps(r.sender_stats)}",
        f"  global 429 pauses      {p['global_pauses']}, paused {p['paused_s']} s of {r.wall_s} s",
        f"  passes                 {p['passes']} with sends ({p['in_passes_s']} s; "
        f"tail waiting for the slowest send {p['pass_tail_s']} s; "
        f"due queries {p['query_s']} s), {p['empty_passes']} empty; "
        f"{p['between_passes_s']} s between passes",
        f"  API call ms            {p['call_ms']}",
        f"  outcome write ms       {p['write_ms']} (API answer to outcome committed or queued)",
        *(
            [
                f"  batched writes         {p['flushes']} transactions, {p['flush_rows']} "
                f"outcomes each, ms {p['flush_ms']}"
            ]
            if p["flushes"]
            else []
        ),
        f"  waits in passes        tokens {p['token_wait_s']} s, concurrency slots "
        f"{p['slot_wait_s']} s",
        f"  CPU                    {r.cpu_s} s of this process over {r.wall_s} s "
        f"({r.cpu_s / r.wall_s if r.wall_s else 0:.0%} of one core; "
        f"{r.cpu_s / max(1, r.api_calls) * 1000:.2f} ms per API call); load average {r.load}",
        f"  event loop lag         {p['lag_ms']} ms on a 10 ms timer; "
        f"{p['stalled_s']} s in stalls > 50 ms",
        f"  setup                  {r.setup_s} s (migrations, users, people, enqueue)",
        "  goals                  "
        + ", ".join(f"{name}: {'met' if ok else 'NOT met'}" for name, ok in r.goals.items()),
    ]
    return "\n".join(lines)
