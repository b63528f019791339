"""The due dates the officer sets where the regulation counts none (seeds 000 and 001).

Orders 984 and 77-НПА name their stages but no deadline: the client-centricity officer sets
each step's due date when the case opens (defaults from the template or the organisation),
and may move it later. The date is the step's ``entered_due``; planning turns it into the
due date, and the daily job reminds about it as about a counted deadline.
"""

from __future__ import annotations

from datetime import date, datetime
from html import escape

from sqlalchemy.ext.asyncio import AsyncSession

from core.calendar import WorkingCalendar
from core.i18n import Translator
from core.wording import __, speaking
from reengineering.cases.audit import audit_event
from reengineering.cases.errors import CaseError
from reengineering.cases.notices import notify, owner_chat
from reengineering.cases.records import (
    load_officer,
    load_open_case,
    load_process,
    step_rows,
)
from reengineering.cases.steps import template_of, template_step
from reengineering.cases.views import case_number
from reengineering.cases.workflow import refresh_case
from reengineering.reminders import format_date
from storage.cases_models import StepStatus

__all__ = ["set_due_date"]


async def set_due_date(
    session: AsyncSession,
    case_id: int,
    step_id: str,
    due: date,
    actor_id: int,
    *,
    on: date,
    at: datetime | None = None,
    calendar: WorkingCalendar | None = None,
    _: Translator | None = None,
) -> None:
    """The officer sets (or moves) the due date of a step the regulation gives no deadline."""
    _ = speaking(_)
    case = await load_open_case(session, case_id)
    step = template_step(template_of(case.template_id, case.template_version), step_id)
    await load_officer(session, actor_id, __("Due dates are set by the client-centricity officer."))
    if not step.due_by_officer:
        raise CaseError(
            __("Step {step} has a deadline set by the regulation; it cannot be entered."),
            step=step.id,
        )
    if due < on:
        raise CaseError(__("The due date cannot be in the past."))
    row = (await step_rows(session, case.id))[step.id]
    if row.status in (StepStatus.DONE, StepStatus.SKIPPED):
        raise CaseError(__("Step {step} is already done."), step=step.id)
    row.entered_due = due
    await audit_event(
        session, case.id, "due_date_set", on=on, at=at, actor_id=actor_id, step_id=step.id,
        due=due,
    )  # fmt: skip
    await refresh_case(session, case, on=on, at=at, calendar=calendar, _=_)
    if row.status != StepStatus.ACTIVE:
        return
    process = await load_process(session, case.process_id)
    owner = await owner_chat(session, process, case)
    if owner is None:
        return
    text = _(
        "🗓 The due date of step {step} «{title}» of reengineering {number} «{process}» is set "
        "by the client-centricity officer: {day}."
    ).format(
        step=step.id, title=escape(step.title), number=case_number(case.id),
        process=escape(process.name), day=format_date(due),
    )  # fmt: skip
    await notify(
        session, [owner], text, kind="case_due_set",
        key=f"case:{case.id}:{step.id}:due:{due.isoformat()}",
    )  # fmt: skip
