"""How many low-score alerts of a month were answered in time: the figure /stats shows.

README: «/stats … share of low-score feedback answered in time». Issue #17, point 3: «the share
of low-score feedback answered in time, promised in the README, appears». An alert counts in
the month it was raised (in the organisation's time zone), once it was answered or its time
is up; it is in time when the answer came by its deadline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from core.periods import month_add
from storage.models import FeedbackAlert


@dataclass(frozen=True)
class InTimeShare:
    """Alerts answered by their deadline, of those answered or past it."""

    in_time: int
    due: int


async def answered_in_time_in_month(
    session: AsyncSession, process_ids: list[int], month: date, tz: tzinfo, now: datetime
) -> InTimeShare:
    """The share for alerts raised in ``month`` on these processes."""
    first = month.replace(day=1)
    since = datetime.combine(first, time(), tz)
    until = datetime.combine(month_add(first, 1), time(), tz)
    alerts = (
        await session.scalars(
            sa.select(FeedbackAlert).where(
                FeedbackAlert.process_id.in_(process_ids),
                FeedbackAlert.created_at >= since,
                FeedbackAlert.created_at < until,
            )
        )
    ).all()
    counted = [a for a in alerts if a.answered_at is not None or a.due_at <= now]
    in_time = sum(1 for a in counted if a.answered_at is not None and a.answered_at <= a.due_at)
    return InTimeShare(in_time=in_time, due=len(counted))
