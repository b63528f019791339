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
from storage.models import RegistryChange

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
