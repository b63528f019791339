"""The review date of a process as a ground for reengineering.

Seed 000 п. 3: «Рейнжиниринг проводится не реже одного раза в три года». The registry gives
each process the date of its next review. When it comes, the daily job (jobs/cases.py) opens
a case on the ground ``review_due``, or links the ground to the process's open case, as
reengineering.journey does for the customer-journey analysis.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from core.calendar import WorkingCalendar
from core.i18n import Translator
from reengineering.cases import open_on_due_ground
from storage.cases_models import Ground
from storage.models import Process


async def open_due_reviews(
    session: AsyncSession,
    now: datetime,
    today: date,
    calendar: WorkingCalendar,
    _: Translator | None = None,
) -> tuple[list[int], list[int]]:
    """Open a case for every active process whose review date has come (ground: review_due).

    The ground arises on the review date; a date already past when the case opens (the bot
    was down, or the registry was imported with overdue reviews) counts from today, so the
    case does not start with every deadline already missed. A process with an open case gets
    the ground linked to it instead (once). Returns the ids of opened and of linked cases.
    """
    processes = await session.scalars(
        sa.select(Process)
        .where(Process.active, Process.review_due.is_not(None), Process.review_due <= today)
        .order_by(Process.id)
    )
    opened: list[int] = []
    linked: list[int] = []
    for process in list(processes):
        assert process.review_due is not None
        result = await open_on_due_ground(
            session, process.id, Ground.REVIEW_DUE, process.review_due,
            today=today, now=now, calendar=calendar, _=_,
        )  # fmt: skip
        if result is not None and result.created:
            opened.append(result.case_id)
        elif result is not None and result.linked:
            linked.append(result.case_id)
    return opened, linked
