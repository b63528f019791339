"""Sending, answering and refusing internal clients' requests, each checked against its object.

Only an employee (of the body or of a subordinate institution, seed 004 §2) sends a request,
only to an active internal service; only the owner of that service answers or refuses it;
only its author reads it back. The request's text goes to the owner and is stored, never
logged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from core.i18n import Translator
from core.speech import Speech
from core.text import visible
from inquiries import notices
from inquiries.deadlines import due_on
from storage.delivery_models import OutboxLane
from storage.inquiries_models import InternalRequest, RequestForm, RequestStatus
from storage.models import ClientType, Department, Person, Process
from storage.outbox import enqueue
from storage.recipients import Recipient, officer_recipients, person_recipient

TEXT_LIMIT = 3000


class Refusal(StrEnum):
    """Why a request or an answer was not taken."""

    NOT_EMPLOYEE = "not_employee"
    NO_SERVICE = "no_service"
    EMPTY = "empty"
    TOO_LONG = "too_long"
    MISSING = "missing"
    FORBIDDEN = "forbidden"
    CLOSED = "closed"
    WRONG_FORM = "wrong_form"


@dataclass(frozen=True)
class Sent:
    request: InternalRequest | None
    refusal: Refusal | None = None
    acknowledgement: Speech | None = None


async def owner_recipients(session: AsyncSession, owner_id: int | None) -> list[Recipient]:
    """The service's owner; the officers as well while the owner is unknown or unreachable."""
    owner = await person_recipient(session, owner_id)
    if owner is not None and owner.held is None:
        return [owner]
    return [*([owner] if owner is not None else []), *await officer_recipients(session)]


def check_text(text: str | None) -> tuple[str, Refusal | None]:
    """The visible text, or why it cannot be taken (empty, or over the limit)."""
    clean = visible(text or "")
    if not clean:
        return "", Refusal.EMPTY
    if len(clean) > TEXT_LIMIT:
        return clean, Refusal.TOO_LONG
    return clean, None


async def internal_service(session: AsyncSession, process_id: int) -> Process | None:
    """An active internal service (a registry process for internal clients), or None."""
    process = await session.get(Process, process_id)
    if process is None or not process.active or process.client_type != ClientType.INTERNAL:
        return None
    return process


async def author_label(session: AsyncSession, person: Person) -> str:
    """Who asks, as a colleague sees them: name or @username, and their department."""
    name = person.full_name or (f"@{person.username}" if person.username else f"#{person.id}")
    department = (
        await session.get(Department, person.department_id) if person.department_id else None
    )
    return f"{name}, {department.name}" if department else name


async def submit(
    session: AsyncSession,
    *,
    author_id: int | None,
    process_id: int,
    form: RequestForm,
    text: str | None,
    now: datetime,
    tz: ZoneInfo,
    _: Translator,
) -> Sent:
    """Store the request, put it before the owner and acknowledge its receipt (§10(1))."""
    author = await session.get(Person, author_id) if author_id else None
    if author is None or not author.is_employee:
        return Sent(None, Refusal.NOT_EMPLOYEE)
    process = await internal_service(session, process_id)
    if process is None:
        return Sent(None, Refusal.NO_SERVICE)
    clean, problem = check_text(text)
    if problem is not None:
        return Sent(None, problem)
    received = now.astimezone(tz).date()
    request = InternalRequest(
        process_id=process.id,
        author_id=author.id,
        form=form,
        text=clean,
        status=RequestStatus.OPEN,
        received_at=now,
        received_on=received,
        due_on=due_on(form, received),
        acknowledged_at=now,
    )
    session.add(request)
    await session.flush()
    notice = notices.to_owner(_, request, process.name, await author_label(session, author))
    for to in await owner_recipients(session, process.owner_id):
        await enqueue(
            session,
            chat_id=to,
            text=notice.text,
            actions=notice.actions,
            kind="internal_request",
            lane=OutboxLane.ALERT,
            dedupe_key=f"ir:{request.id}:{to}",
        )
    return Sent(request, acknowledgement=notices.acknowledgement(_, request, process.name))


async def owned_request(
    session: AsyncSession, request_id: int, owned: frozenset[int]
) -> tuple[InternalRequest | None, Refusal | None]:
    """The request if the actor owns its service and it is still open."""
    request = await session.get(InternalRequest, request_id)
    if request is None:
        return None, Refusal.MISSING
    if request.process_id not in owned:
        return None, Refusal.FORBIDDEN
    if request.status != RequestStatus.OPEN:
        return None, Refusal.CLOSED
    return request, None


async def close(
    session: AsyncSession,
    request_id: int,
    *,
    owned: frozenset[int],
    by: int | None,
    outcome: RequestStatus,
    text: str | None,
    now: datetime,
    _: Translator,
) -> Refusal | None:
    """Answer or refuse; the author is told. A refusal without its reasons is not taken (§3);
    a written request needs a written answer (§10(3)); an oral one may be marked answered."""
    request, problem = await owned_request(session, request_id, owned)
    if request is None:
        return problem
    if outcome is RequestStatus.ANSWERED and text is None and request.form is RequestForm.WRITTEN:
        return Refusal.WRONG_FORM
    clean: str | None = None
    if text is not None or outcome is RequestStatus.REFUSED:
        clean, problem = check_text(text)
        if problem is not None:
            return problem
    request.status = outcome
    request.answer = clean
    request.closed_at = now
    request.closed_by = by
    process = await session.get(Process, request.process_id)
    author = await person_recipient(session, request.author_id)
    if author is not None:
        notice = notices.answer_to_author(_, request, process.name if process else "")
        await enqueue(
            session,
            chat_id=author,
            text=notice.text,
            kind="internal_request_answer",
            lane=OutboxLane.INTERACTIVE,
            dedupe_key=f"ir-answer:{request.id}",
        )
    return None


async def authored(session: AsyncSession, author_id: int) -> list[tuple[InternalRequest, str]]:
    """The author's own requests with their services' names, newest first."""
    result = await session.execute(
        sa.select(InternalRequest, Process.name)
        .join(Process, Process.id == InternalRequest.process_id)
        .where(InternalRequest.author_id == author_id)
        .order_by(InternalRequest.id.desc())
        .limit(20)
    )
    return [(request, name) for request, name in result]
