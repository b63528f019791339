"""The closed loop: a low score with a comment reaches the owner, and the answer goes back.

Neither side learns who the other is: the owner sees the touchpoint, scores and comment;
the respondent sees the answer under the name of the body, not of the person.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from core.i18n import Translator, translator
from core.text import visible
from outreach import notices
from storage.delivery_models import OutboxLane, OutboxMessage
from storage.models import (
    FeedbackAlert,
    FeedbackMessage,
    Process,
    Respondent,
    RespondentContact,
    Touchpoint,
)
from storage.outbox import enqueue
from storage.recipients import Recipient, officer_recipients, person_recipient
from storage.statements import binds, first, scalar

REMIND_AFTER = timedelta(days=7)
REMIND_BEFORE_DUE = timedelta(days=3)


@dataclass(frozen=True)
class LoopPolicy:
    """The loop's knobs, from settings; `translate` speaks the installation's language."""

    threshold: int = 2
    answer_days: int = 30
    translate: Translator = field(default_factory=translator)

    async def after_response(
        self, session: AsyncSession, response: Scored, answers: dict[str, Any], now: datetime
    ) -> int | None:
        """`surveys.service.SurveyPolicy.after_client_response`: the loop's way in."""
        return await raise_alert_if_low(session, response, answers, self, now)


_processes = cast(sa.Table, Process.__table__).c
_PROCESS = sa.select(_processes.id, _processes.name, _processes.code, _processes.owner_id).where(
    _processes.id == sa.bindparam("process_id")
)
_touchpoints = cast(sa.Table, Touchpoint.__table__).c
_TOUCHPOINT_NAME = sa.select(_touchpoints.name).where(
    _touchpoints.id == sa.bindparam("touchpoint_id")
)
_RAISE = (
    sa.insert(cast(sa.Table, FeedbackAlert.__table__))
    .values(
        binds(
            "response_id",
            "process_id",
            "touchpoint_id",
            "respondent_key",
            "created_at",
            "due_at",
        )
    )
    .returning(cast(sa.Table, FeedbackAlert.__table__).c.id)
)


async def owner_chats(session: AsyncSession, owner_id: int | None) -> list[Recipient]:
    """The owner; the officers too while the owner is unknown or cannot be reached yet.

    A message to an owner Telegram cannot reach is kept for them (storage.recipients), and
    the officers get it at once so that somebody can act on it.
    """
    owner = await person_recipient(session, owner_id)
    if owner is not None and owner.held is None:
        return [owner]
    return [*([owner] if owner is not None else []), *await officer_chats(session)]


async def officer_chats(session: AsyncSession) -> list[Recipient]:
    """Every officer, those Telegram cannot reach yet included (their messages wait)."""
    return await officer_recipients(session)


class Scored(Protocol):
    """The fields of a stored response the loop looks at (an ORM row or a plain record)."""

    id: int
    rating: int | None
    process_id: int | None
    touchpoint_id: int | None
    respondent_key: str


async def raise_alert_if_low(
    session: AsyncSession,
    response: Scored,
    answers: dict[str, Any],
    policy: LoopPolicy,
    now: datetime,
) -> int | None:
    """In the response's own transaction: alert the owner about a low score with a comment.

    Returns the alert's id, or None when the score needs none.
    """
    comment = visible(str(answers.get("comment") or ""))
    if response.rating is None or response.rating > policy.threshold or not comment:
        return None
    if response.process_id is None:
        return None
    process = await first(session, _PROCESS, {"process_id": response.process_id})
    if process is None:
        return None
    process_id, process_name, process_code, owner_id = process
    due_at = now + timedelta(days=policy.answer_days)
    alert_id = int(
        await scalar(
            session,
            _RAISE,
            {
                "response_id": response.id,
                "process_id": process_id,
                "touchpoint_id": response.touchpoint_id,
                "respondent_key": response.respondent_key,
                "created_at": now,
                "due_at": due_at,
            },
        )
    )
    touchpoint = (
        await scalar(session, _TOUCHPOINT_NAME, {"touchpoint_id": response.touchpoint_id})
        if response.touchpoint_id
        else None
    )
    notice = notices.low_score_alert(
        policy.translate,
        alert_id,
        rating=response.rating,
        process=(process_name, process_code),
        touchpoint=touchpoint,
        problems=answers.get("problems") or [],
        stage=str(answers["stage"]) if answers.get("stage") else None,
        comment=str(comment),
        due_at=due_at,
    )
    for chat_id in await owner_chats(session, owner_id):
        await enqueue(
            session,
            chat_id=chat_id,
            text=notice.text,
            actions=notice.actions,
            kind="low_score_alert",
            lane=OutboxLane.ALERT,
            dedupe_key=f"alert:{alert_id}:{chat_id}",
        )
    return alert_id


class AlertAccess(StrEnum):
    OK = "ok"
    MISSING = "missing"
    FORBIDDEN = "forbidden"


async def load_alert(
    session: AsyncSession, alert_id: int, *, owned: frozenset[int], is_officer: bool
) -> tuple[AlertAccess, FeedbackAlert | None]:
    alert = await session.get(FeedbackAlert, alert_id)
    if alert is None:
        return AlertAccess.MISSING, None
    if not is_officer and alert.process_id not in owned:
        return AlertAccess.FORBIDDEN, None
    return AlertAccess.OK, alert


async def acknowledge(session: AsyncSession, alert: FeedbackAlert, now: datetime) -> None:
    if alert.acknowledged_at is None:
        alert.acknowledged_at = now


class Relay(StrEnum):
    SENT = "sent"
    NOT_WANTED = "not_wanted"
    FORGOTTEN = "forgotten"


async def answer_respondent(
    session: AsyncSession, alert: FeedbackAlert, text: str, now: datetime, *, _: Translator
) -> Relay:
    """Store the owner's answer and relay it when the respondent asked for one."""
    first_answer = alert.answered_at is None
    if first_answer:
        alert.answered_at = now
    if alert.acknowledged_at is None:
        alert.acknowledged_at = now
    message = FeedbackMessage(
        alert_id=alert.id, direction="to_respondent", text=text, created_at=now
    )
    session.add(message)
    if alert.respondent_key is None:
        return Relay.FORGOTTEN
    respondent = await session.get(Respondent, alert.respondent_key)
    contact = await session.get(RespondentContact, alert.respondent_key)
    if respondent is None or contact is None or not respondent.answer_ok:
        return Relay.NOT_WANTED
    process = await session.get(Process, alert.process_id)
    await session.flush()
    notice = notices.answer_to_respondent(_, alert.id, process.name if process else "", text)
    await enqueue(
        session,
        chat_id=contact.chat_id,
        text=notice.text,
        actions=notice.actions,
        kind="feedback_answer",
        lane=OutboxLane.INTERACTIVE,
        dedupe_key=f"relay:{message.id}",
    )
    message.delivered = True
    return Relay.SENT


async def _own_conversation(
    session: AsyncSession, alert_id: int, respondent_key: str
) -> tuple[FeedbackAlert, Process] | None:
    alert = await session.get(FeedbackAlert, alert_id)
    if alert is None or alert.respondent_key != respondent_key:
        return None
    process = await session.get(Process, alert.process_id)
    return None if process is None else (alert, process)


async def may_reply(session: AsyncSession, alert_id: int, respondent_key: str) -> bool:
    """Only the author of the feedback, while its process exists, may write back."""
    return await _own_conversation(session, alert_id, respondent_key) is not None


async def respondent_replies(
    session: AsyncSession,
    alert_id: int,
    respondent_key: str,
    text: str,
    now: datetime,
    *,
    _: Translator,
) -> bool:
    """The respondent writes back; the owner gets it without learning who wrote."""
    found = await _own_conversation(session, alert_id, respondent_key)
    if found is None:
        return False
    alert, process = found
    message = FeedbackMessage(alert_id=alert.id, direction="to_owner", text=text, created_at=now)
    session.add(message)
    await session.flush()
    notice = notices.reply_to_owner(_, alert.id, process.name, text)
    for chat_id in await owner_chats(session, process.owner_id):
        await enqueue(
            session,
            chat_id=chat_id,
            text=notice.text,
            actions=notice.actions,
            kind="feedback_reply",
            lane=OutboxLane.INTERACTIVE,
            dedupe_key=f"reply:{message.id}:{chat_id}",
        )
    message.delivered = True
    return True


async def remind_and_escalate(
    session: AsyncSession, now: datetime, *, _: Translator
) -> tuple[int, int]:
    """Unanswered alerts: a reminder after a week and before the due date, then the officers.

    Each notice is queued once (dedupe keys), so running this often changes nothing.
    """
    reminded = escalated = 0
    open_alerts = (
        await session.scalars(sa.select(FeedbackAlert).where(FeedbackAlert.answered_at.is_(None)))
    ).all()
    officers = await officer_chats(session)
    for alert in open_alerts:
        process = await session.get(Process, alert.process_id)
        if process is None:
            continue
        if now >= alert.due_at:
            escalated += await _escalate(session, alert, process, officers, now, _)
            continue
        reminded += await _remind(session, alert, process, now, _)
    return reminded, escalated


async def _escalate(
    session: AsyncSession,
    alert: FeedbackAlert,
    process: Process,
    officers: list[Recipient],
    now: datetime,
    _: Translator,
) -> int:
    """Past the due date: the officers are told, once."""
    if alert.escalated_at is not None:
        return 0
    alert.escalated_at = now
    notice = notices.escalation(_, alert.id, process.name, alert.due_at)
    for chat_id in officers:
        await enqueue(
            session,
            chat_id=chat_id,
            kind="alert_escalated",
            lane=OutboxLane.ALERT,
            text=notice.text,
            actions=notice.actions,
            dedupe_key=f"alert-escalated:{alert.id}:{chat_id}",
        )
    return 1


async def _remind(
    session: AsyncSession, alert: FeedbackAlert, process: Process, now: datetime, _: Translator
) -> int:
    """A week after the alert and three days before it is due: the owner is reminded."""
    reminded = 0
    notice = notices.reminder(_, alert.id, process.name, alert.due_at)
    stages = [
        ("week", alert.created_at + REMIND_AFTER),
        ("due", alert.due_at - REMIND_BEFORE_DUE),
    ]
    for stage, moment in stages:
        if now < moment:
            continue
        for chat_id in await owner_chats(session, process.owner_id):
            added = await enqueue(
                session,
                chat_id=chat_id,
                kind="alert_reminder",
                lane=OutboxLane.ALERT,
                text=notice.text,
                actions=notice.actions,
                dedupe_key=f"alert-reminder:{alert.id}:{stage}:{chat_id}",
            )
            reminded += int(added)
    return reminded


async def expire_links(session: AsyncSession, now: datetime, retention: timedelta) -> int:
    """After the retention period, a relayed feedback no longer points at its author.

    Neither through the alert's key nor through the outbox: a relayed answer's row holds the
    author's chat and a button naming the alert, so it goes too.
    """
    expiring = sa.select(FeedbackAlert.id).where(
        FeedbackAlert.respondent_key.is_not(None), FeedbackAlert.created_at < now - retention
    )
    relays = [
        f"relay:{message_id}"
        for message_id in await session.scalars(
            sa.select(FeedbackMessage.id).where(
                FeedbackMessage.alert_id.in_(expiring),
                FeedbackMessage.direction == "to_respondent",
            )
        )
    ]
    if relays:
        await session.execute(
            sa.delete(OutboxMessage).where(
                OutboxMessage.kind == "feedback_answer", OutboxMessage.dedupe_key.in_(relays)
            )
        )
    result = await session.execute(
        sa.update(FeedbackAlert)
        .where(FeedbackAlert.id.in_(expiring))
        .values(respondent_key=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
