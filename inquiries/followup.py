"""Internal requests' follow-up: the owner reminded before the deadline, the officers told
when it passes, and the officer's list of what is late.

Run by an hourly job; each notice has a dedupe key, so a second run queues nothing twice.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from core.i18n import Translator
from inquiries import notices
from inquiries.deadlines import remind_on
from inquiries.service import author_label, owner_recipients
from storage.delivery_models import OutboxLane
from storage.inquiries_models import InternalRequest, RequestForm, RequestStatus
from storage.models import Person, Process
from storage.outbox import enqueue
from storage.recipients import officer_recipients

# An oral request due today is recalled in the afternoon, while the working day still lasts.
ORAL_REMINDER_AT = time(14, 0)


async def _open_with_services(
    session: AsyncSession, *, due_before: date | None = None
) -> list[tuple[InternalRequest, Process]]:
    query = (
        sa.select(InternalRequest, Process)
        .join(Process, Process.id == InternalRequest.process_id)
        .where(InternalRequest.status == RequestStatus.OPEN)
        .order_by(InternalRequest.due_on, InternalRequest.id)
    )
    if due_before is not None:
        query = query.where(InternalRequest.due_on < due_before)
    return [(request, process) for request, process in await session.execute(query)]


def _reminder_due(request: InternalRequest, now: datetime, tz: ZoneInfo) -> bool:
    local = now.astimezone(tz)
    if local.date() < remind_on(request.form, request.due_on):
        return False
    return request.form is RequestForm.WRITTEN or local.time() >= ORAL_REMINDER_AT


async def follow_up(
    session: AsyncSession, now: datetime, tz: ZoneInfo, *, _: Translator
) -> tuple[int, int]:
    """Queue the owners' reminders and the officers' late notices; (reminded, late)."""
    today = now.astimezone(tz).date()
    reminded = late = 0
    officers = await officer_recipients(session)
    for request, process in await _open_with_services(session):
        if today > request.due_on:
            notice = notices.late_to_officers(_, request, process.name)
            for to in officers:
                late += int(
                    await enqueue(
                        session,
                        chat_id=to,
                        text=notice.text,
                        kind="internal_request_late",
                        lane=OutboxLane.ALERT,
                        dedupe_key=f"ir-late:{request.id}:{to}",
                    )
                )
            continue
        if not _reminder_due(request, now, tz):
            continue
        author = await session.get(Person, request.author_id)
        label = await author_label(session, author) if author else ""
        notice = notices.to_owner(_, request, process.name, label, reminder=True)
        for to in await owner_recipients(session, process.owner_id):
            reminded += int(
                await enqueue(
                    session,
                    chat_id=to,
                    text=notice.text,
                    actions=notice.actions,
                    kind="internal_request_reminder",
                    lane=OutboxLane.ALERT,
                    dedupe_key=f"ir-remind:{request.id}:{to}",
                )
            )
    return reminded, late


async def late_requests(
    session: AsyncSession, today: date
) -> list[tuple[InternalRequest, str, str]]:
    """Open requests past their day, with the service and its owner's name, oldest first."""
    late: list[tuple[InternalRequest, str, str]] = []
    for request, process in await _open_with_services(session, due_before=today):
        owner = await session.get(Person, process.owner_id) if process.owner_id else None
        name = "—"
        if owner is not None:
            name = owner.full_name or (f"@{owner.username}" if owner.username else f"#{owner.id}")
        late.append((request, process.name, name))
    return late
