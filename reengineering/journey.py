"""The customer-journey analysis cadence of seed 000 as a ground for reengineering.

Order 984, п. 2 пп. 1 абз. 2: «Анализ клиентского пути проводится в обязательном порядке при
подготовке к реинжинирингу. Анализ клиентского пути предоставления государственной услуги
(сервиса) проводится не реже одного раза в три года или, в случае внесения изменений в
законодательство, регулирующее порядок предоставлении государственной услуги (сервиса),
когда такие изменения влияют на изменения клиентского пути».

The template marks the analysis step (``journey_analysis: true``) and words the ground with
its period (``grounds.journey_due.cadence_years``). When that period has passed since the
last analysis of a process (the latest completion of such a step in any of its cases), the
daily job opens a case on the ground ``journey_due`` — or links the ground to the process's
open case. The change of law is the other ground (``law_change``), recorded by the officer.
A process never analysed under such a template has no date to count from: the review date
(п. 3, «не реже одного раза в три года») covers it.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from core.calendar import WorkingCalendar
from core.i18n import Translator
from reengineering.cases import current_regulation, open_on_due_ground, template_of
from registry.catalog import add_years
from storage.cases_models import (
    CaseStep,
    Ground,
    ReengineeringCase,
    StepStatus,
)
from storage.models import Process

__all__ = ["last_journey_analyses", "open_due_journey_analyses"]


async def last_journey_analyses(session: AsyncSession) -> dict[int, date]:
    """The day each process's customer journey was last analysed, by process id."""
    rows = await session.execute(
        sa.select(
            ReengineeringCase.process_id,
            ReengineeringCase.template_id,
            CaseStep.step_code,
            CaseStep.done_on,
        )
        .join(CaseStep, CaseStep.case_id == ReengineeringCase.id)
        .where(CaseStep.status == StepStatus.DONE, CaseStep.done_on.is_not(None))
    )
    journey_steps: dict[str, tuple[str, ...]] = {}
    last: dict[int, date] = {}
    for process_id, template_id, step_code, done_on in rows:
        if template_id not in journey_steps:
            journey_steps[template_id] = template_of(template_id).journey_steps()
        if done_on is None or step_code not in journey_steps[template_id]:
            continue
        if done_on > last.get(process_id, date.min):
            last[process_id] = done_on
    return last


async def open_due_journey_analyses(
    session: AsyncSession,
    now: datetime,
    today: date,
    calendar: WorkingCalendar,
    _: Translator | None = None,
) -> tuple[list[int], list[int]]:
    """Open (or link) a case on ``journey_due`` for every process whose last analysis is
    older than the regulation's period. Nothing happens under a regulation without one.

    As with the review date, a ground already past when the case opens counts from today.
    Returns the ids of opened and of linked cases.
    """
    template = template_of(await current_regulation(session))
    ground = template.grounds.get(Ground.JOURNEY_DUE.value)
    if ground is None or ground.cadence_years is None:
        return [], []
    opened: list[int] = []
    linked: list[int] = []
    last = await last_journey_analyses(session)
    processes = await session.scalars(
        sa.select(Process).where(Process.active, Process.id.in_(list(last))).order_by(Process.id)
    )
    for process in list(processes):
        due = add_years(last[process.id], ground.cadence_years)
        if due > today:
            continue
        result = await open_on_due_ground(
            session, process.id, Ground.JOURNEY_DUE, due,
            today=today, now=now, calendar=calendar, _=_,
        )  # fmt: skip
        if result is not None and result.created:
            opened.append(result.case_id)
        elif result is not None and result.linked:
            linked.append(result.case_id)
    return opened, linked
