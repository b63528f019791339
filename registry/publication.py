"""Publishing the registry on the body's site after each change (seed 002 §2.1, §3.1).

§2.1: «Перечень размещается на официальном сайте министерства в разделе «Документы»».
§3.1: «Актуальная версия Перечня размещается на официальном сайте министерства не позднее
5 рабочих дней с момента внесения изменений». An import that changed the registry records a
change due for publication; the officer records the publication, which settles every change
made before it.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from core.calendar import WorkingCalendar
from core.i18n import Translator
from core.speech import Action, Intent
from storage.delivery_models import OutboxLane
from storage.models import RegistryChange
from storage.outbox import enqueue
from storage.recipients import officer_recipients

PUBLISH_WITHIN_WORKING_DAYS = 5  # seed 002 §3.1


async def record_change(
    session: AsyncSession, today: date, calendar: WorkingCalendar
) -> RegistryChange:
    """A change made today, to be published within 5 working days after it."""
    publish_by = calendar.add_working_days(today, PUBLISH_WITHIN_WORKING_DAYS)
    change = RegistryChange(changed_on=today, publish_by=publish_by)
    session.add(change)
    await session.flush()
    return change


async def unpublished(session: AsyncSession) -> RegistryChange | None:
    """The oldest change not yet published: its deadline is the one that binds."""
    query = (
        sa.select(RegistryChange)
        .where(RegistryChange.published_on.is_(None))
        .order_by(RegistryChange.id)
        .limit(1)
    )
    change: RegistryChange | None = await session.scalar(query)
    return change


async def record_publication(
    session: AsyncSession, day: date, person_id: int | None = None, *, upto: int | None = None
) -> int:
    """The registry was published on `day`: every change made until then (up to the change
    `upto`, when a reminder's button names it) is settled. Returns how many."""
    query = sa.update(RegistryChange).where(
        RegistryChange.published_on.is_(None), RegistryChange.changed_on <= day
    )
    if upto is not None:
        query = query.where(RegistryChange.id <= upto)
    result = await session.execute(query.values(published_on=day, published_by=person_id))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _nominal_days(change: RegistryChange, calendar: WorkingCalendar) -> list[date]:
    """When the officer hears of a change: the day it is made, the working day before the
    deadline, the deadline itself, and once when it has passed."""
    due = change.publish_by
    return sorted(
        {
            change.changed_on,
            calendar.add_working_days(due, -1),
            due,
            calendar.add_working_days(due, 1),
        }
    )


def reminder_text(change: RegistryChange, today: date, _: Translator) -> str:
    """Seed 002 §3.1, in the reminder: by when, and how to publish and record it."""
    dates = {"changed": f"{change.changed_on:%d.%m.%Y}", "due": f"{change.publish_by:%d.%m.%Y}"}
    if today > change.publish_by:
        first = _(
            "The registry of touchpoints changed on {changed}, and its current version has not "
            "been published: the deadline was {due}."
        ).format(**dates)
    else:
        first = _(
            "The registry of touchpoints changed on {changed}: publish its current version on "
            "the body's site by {due}."
        ).format(**dates)
    rule = _(
        "The procedure (clause 3.1): the current version of the list is placed on the official "
        'site no later than 5 working days after the changes, in the section "Documents".'
    )
    how = _(
        'Write the document with "otklik registry export --publish FILE", place it on the site '
        'and press the button below (or run "otklik registry published").'
    )
    return "\n\n".join((first, rule, how))


async def queue_publication_reminders(
    session: AsyncSession, today: date, calendar: WorkingCalendar, _: Translator
) -> int:
    """Today's reminder of the oldest unpublished change to every officer, through the outbox;
    the key names the change and the nominal day, so a rerun (or the job after the import
    that queued it) adds nothing, and after downtime only the latest one goes out."""
    change = await unpublished(session)
    if change is None:
        return 0
    passed = [day for day in _nominal_days(change, calendar) if day <= today]
    if not passed:
        return 0
    nominal = passed[-1]
    text = reminder_text(change, today, _)
    actions = ((Action(Intent.REGISTRY_PUBLISHED, (change.id,), _("Published")),),)
    queued = 0
    for officer in dict.fromkeys(await officer_recipients(session)):
        queued += await enqueue(
            session,
            chat_id=officer,
            text=text,
            kind="registry_publication",
            lane=OutboxLane.ALERT,
            dedupe_key=f"rem:registry:{change.id}:{nominal.isoformat()}:{officer}",
            actions=actions,
        )
    return queued
