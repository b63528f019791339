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
from reengineering.cases import open_case
from storage.cases_models import CaseGround, CaseStatus, Ground, ReengineeringCase
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
        open_id = await session.scalar(
            sa.select(ReengineeringCase.id).where(
                ReengineeringCase.process_id == process.id,
                ReengineeringCase.status == CaseStatus.OPEN,
            )
        )
        if open_id is not None:
            # The open case already covers the review when it carries this ground.
            covered = await session.scalar(
                sa.select(CaseGround.id).where(
                    CaseGround.case_id == open_id, CaseGround.ground == Ground.REVIEW_DUE
                )
            )
            if covered is not None:
                continue
        result = await open_case(
            session,
            process.id,
            Ground.REVIEW_DUE,
            arose_on=process.review_due if open_id else max(process.review_due, today),
            on=today,
            at=now,
            calendar=calendar,
            _=_,
        )
        if result.created:
            opened.append(result.case_id)
        elif result.linked:
            linked.append(result.case_id)
    return opened, linked
