"""What the crash test found: what people saw compared with what the database holds."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from _crash_crowd import PATH, Crowd, text_of
from _crash_processes import SECRET_KEY
from _crash_sandbox import RecordingSandbox

from sandbox import SandboxServer
from storage.database import create_engine
from surveys.respondents import respondent_key


@dataclass
class Kill:
    at: float
    """Seconds since the first respondent started."""
    finished: int
    in_flight: int
    victim: str
    sender: str = ""
    """r<replica>-i<incarnation> of the process killed."""


@dataclass
class Result:
    scenario: str
    answers: int
    concurrency: int
    acknowledged: int = 0
    stored: int = 0
    duplicates: int = 0
    """People with more than one `responses` row."""
    extra_rows: int = 0
    stored_not_acknowledged: list[int] = field(default_factory=list)
    acknowledged_not_stored: list[int] = field(default_factory=list)
    people_with_two_sessions: int = 0
    """People for whom more than one questionnaire attempt (survey_sessions row) was opened."""
    open_sessions_left: int = 0
    """Attempts still open at the end: a second questionnaire a person could still answer."""
    told_limit: int = 0
    gave_up: int = 0
    thanks_twice: int = 0
    unacknowledged_causes: dict[str, int] = field(default_factory=dict)
    """Why the stored-but-not-acknowledged people saw no thanks."""
    traces: list[str] = field(default_factory=list)
    """What a few people who were not acknowledged saw (bot messages, popups)."""
    after_thanks: dict[str, int] = field(default_factory=dict)
    """Bot messages that came after the thanks (late handling of older updates), by kind."""
    kills: list[Kill] = field(default_factory=list)
    elapsed: float = 0.0
    retries: int = 0
    stale: int = 0
    resumes: int = 0
    errors: int = 0
    latency_median: float = 0.0
    latency_max: float = 0.0
    updates_created: int = 0
    inbox: dict[str, int] = field(default_factory=dict)
    sandbox_errors: dict[str, int] = field(default_factory=dict)
    log_issues: dict[str, int] = field(default_factory=dict)
    bot_cpu: float = 0.0
    """CPU seconds of every bot process (all incarnations, all replicas)."""
    driver_cpu: float = 0.0
    """CPU seconds of this process: the sandbox, the respondents (and the lease sampler)."""
    load_average: float = 0.0
    # replicas only
    outbox_expected: int = 0
    outbox_delivered: int = 0
    outbox_duplicated: int = 0
    outbox_missing: int = 0
    outbox_duplicates_detail: list[str] = field(default_factory=list)
    outbox_rows: list[str] = field(default_factory=list)
    """The outbox rows of the duplicated messages, as the database ended up with them."""
    outbox_senders: list[str] = field(default_factory=list)
    """Bot incarnations that sent outbox messages, in the order they started sending."""
    concurrent_senders: int = 0
    """Times an incarnation sent again after another one had started sending."""
    lease_samples: int = 0
    lease_holders: list[str] = field(default_factory=list)
    lease_max_holders: int = 0
    lease_vacant_samples: int = 0
    lease_dead_holder_samples: int = 0
    balancer: dict[str, Any] = field(default_factory=dict)
    webhook_failed: int = 0
    logs: list[str] = field(default_factory=list)

    @property
    def goal_met(self) -> bool:
        answers_ok = (
            self.stored == self.acknowledged
            and self.duplicates == 0
            and not self.stored_not_acknowledged
            and not self.acknowledged_not_stored
        )
        return answers_ok

    @property
    def jobs_once(self) -> bool:
        """Outbox sender in one replica at a time, every message delivered, one lease holder."""
        return (
            self.outbox_delivered == self.outbox_expected
            and self.concurrent_senders == 0
            and self.lease_max_holders <= 1
        )


async def collect(
    result: Result, crowd: Crowd, database_url: str, sandbox: RecordingSandbox
) -> None:
    """Compare what people saw with what the database holds."""
    people = crowd.people
    by_key = {respondent_key(SECRET_KEY.encode(), p.user_id): p for p in people}
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = (
                await connection.execute(
                    sa.text("SELECT respondent_key, count(*) FROM responses GROUP BY 1")
                )
            ).all()
            inbox = (
                await connection.execute(sa.text("SELECT status, count(*) FROM inbox GROUP BY 1"))
            ).all()
            sessions = (
                await connection.execute(
                    sa.text(
                        "SELECT respondent_key, count(*), sum(CASE WHEN lower(status) = 'open'"
                        " THEN 1 ELSE 0 END) FROM survey_sessions GROUP BY 1"
                    )
                )
            ).all()
    finally:
        await engine.dispose()
    stored = {str(key): int(n) for key, n in rows}
    result.stored = sum(stored.values())
    result.duplicates = sum(1 for n in stored.values() if n > 1)
    result.extra_rows = sum(n - 1 for n in stored.values() if n > 1)
    result.inbox = {str(status): int(n) for status, n in inbox}
    result.people_with_two_sessions = sum(1 for _key, n, _open in sessions if int(n) > 1)
    result.open_sessions_left = sum(int(still or 0) for _key, _n, still in sessions)
    stored_users = {by_key[key].user_id for key in stored if key in by_key}
    strangers = [key for key in stored if key not in by_key]
    if strangers:
        result.stored_not_acknowledged.extend(-1 for _ in strangers)
    acknowledged = {p.user_id for p in people if p.outcome == "thanks"}
    result.acknowledged = len(acknowledged)
    result.stored_not_acknowledged += sorted(stored_users - acknowledged)
    result.acknowledged_not_stored = sorted(acknowledged - stored_users)
    result.told_limit = sum(p.outcome == "limit" for p in people)
    result.gave_up = sum(p.outcome == "gave_up" for p in people)
    result.thanks_twice = sum(p.thanks_messages > 1 for p in people)
    late: Counter[str] = Counter()
    late_users: list[int] = []
    for person in people:
        after = sandbox.after_thanks.get(person.user_id, [])
        late.update(text[:40] for text in after)
        if after:
            late_users.append(person.user_id)
    result.after_thanks = dict(late.most_common())
    causes: Counter[str] = Counter()
    by_id = {p.user_id: p for p in people}
    for user_id in result.stored_not_acknowledged:
        who = by_id.get(user_id)
        last = who.last_taps.get(PATH[1], []) if who else []
        if any(query in sandbox.too_old for query in last):
            causes["the last answer's answerCallbackQuery failed: query is too old"] += 1
        else:
            causes["no thanks after the last answer's commit (no failed callback answer)"] += 1
    result.unacknowledged_causes = dict(causes)
    for user_id in [*result.stored_not_acknowledged, *result.acknowledged_not_stored][:3]:
        result.traces.append(trace(sandbox, user_id))
    result.traces += [trace(sandbox, user_id) for user_id in late_users[:2]]
    result.retries = sum(p.retries for p in people)
    result.stale = sum(p.stale for p in people)
    result.resumes = sum(p.resumes for p in people)
    result.errors = sum(p.errors for p in people)
    result.elapsed = crowd.ended - crowd.started
    seconds = sorted(p.seconds for p in people)
    if seconds:
        result.latency_median = seconds[len(seconds) // 2]
        result.latency_max = seconds[-1]
    stats = sandbox.stats()
    result.updates_created = int(stats["updates_created"])
    result.sandbox_errors = dict(sandbox.api_errors.most_common())
    result.webhook_failed = int(stats["webhook_failed"])


def trace(sandbox: SandboxServer, user_id: int) -> str:
    """The chat as the person saw it: each bot message's states (edits) and the popups."""
    if user_id < 0:
        return "a response of nobody in the crowd"
    parts = []
    for message in sandbox.messages(user_id):
        states = [*message.get("history", []), message]
        shown = " → ".join(repr(text_of(state)[:28]) for state in states)
        parts.append(f"#{message['message_id']}: {shown}")
    too_old: set[str] = getattr(sandbox, "too_old", set())
    taps = []
    for query in sandbox.callbacks.values():
        if query.user_id != user_id:
            continue
        if query.answer is not None:
            taps.append(str(query.answer.get("text") or "answered"))
        else:
            taps.append("TOO OLD" if query.query_id in too_old else "unanswered")
    return f"user {user_id}: " + "; ".join(parts) + f"; taps answered: {taps}"


async def payloads_of(database_url: str) -> list[str]:
    """Payloads of the active external touchpoints of the imported registry."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                sa.text(
                    "SELECT t.payload FROM touchpoints t JOIN processes p ON p.id = t.process_id"
                    " WHERE t.active AND p.active AND lower(p.client_type) = 'external'"
                    " ORDER BY t.code"
                )
            )
            found = [str(row[0]) for row in rows]
    finally:
        await engine.dispose()
    if not found:
        raise RuntimeError("the example registry gave no external touchpoints")
    return found


def note_kill(result: Result, crowd: Crowd, victim: str, sender: str) -> None:
    kill = Kill(time.monotonic() - crowd.started, crowd.finished, crowd.in_flight, victim, sender)
    result.kills.append(kill)
    print(
        f"   kill {len(result.kills)} ({victim}) at {kill.at:.1f} s: {kill.finished} finished, "
        f"{kill.in_flight} in flight",
        flush=True,
    )
