"""Loading a case's rows for the workflow, the plan and research; a missing row is a CaseError."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from core.i18n import Translator
from core.wording import Msgid, __, speaking
from reengineering.cases.errors import CaseError
from reengineering.cases.views import case_number
from reengineering.templates import StepTemplate
from storage.cases_models import CaseStatus, CaseStep, PlanItem, ReengineeringCase, StepStatus
from storage.models import Person, Process

__all__ = [
    "active_row",
    "load_case",
    "load_open_case",
    "load_person",
    "load_process",
    "person_name",
    "plan_item_rows",
    "step_rows",
]


async def load_case(session: AsyncSession, case_id: int) -> ReengineeringCase:
    """The case with this id, open or closed."""
    case = await session.get(ReengineeringCase, case_id)
    if case is None:
        raise CaseError(__("Reengineering {number} is not found."), number=case_number(case_id))
    return case


async def load_open_case(session: AsyncSession, case_id: int) -> ReengineeringCase:
    """The case with this id, which must still be open."""
    case = await load_case(session, case_id)
    if case.status != CaseStatus.OPEN:
        raise CaseError(
            __("Reengineering {number} is already closed."), number=case_number(case_id)
        )
    return case


async def load_process(session: AsyncSession, process_id: int) -> Process:
    """The case's process from the registry."""
    process = await session.get(Process, process_id)
    if process is None:
        raise CaseError(__("The process is not in the registry."))
    return process


async def step_rows(session: AsyncSession, case_id: int) -> dict[str, CaseStep]:
    """The case's steps by step id, in template order."""
    rows = await session.scalars(
        sa.select(CaseStep).where(CaseStep.case_id == case_id).order_by(CaseStep.position)
    )
    return {row.step_code: row for row in rows}


async def active_row(
    session: AsyncSession, case: ReengineeringCase, step: StepTemplate
) -> CaseStep:
    """The step's row, which must be active now."""
    rows = await step_rows(session, case.id)
    row = rows.get(step.id)
    if row is None or row.status != StepStatus.ACTIVE:
        raise CaseError(
            __("Step {step} «{title}» is not expected now."), step=step.id, title=step.title
        )
    return row


async def plan_item_rows(session: AsyncSession, case_id: int) -> list[PlanItem]:
    """The measures of the case's action plan in annex order."""
    rows = await session.scalars(
        sa.select(PlanItem)
        .where(PlanItem.case_id == case_id)
        .order_by(PlanItem.section, PlanItem.position, PlanItem.id)
    )
    return list(rows)


def case_owner_id(case: ReengineeringCase, process: Process) -> int | None:
    """Who owns this case: the one an instruction named for it (seed 003 §1.4), else the
    process owner of the registry."""
    return case.owner_id if case.owner_id is not None else process.owner_id


async def load_person(session: AsyncSession, person_id: int | None) -> Person | None:
    """The person with this id, or None."""
    return await session.get(Person, person_id) if person_id is not None else None


async def load_officer(session: AsyncSession, person_id: int | None, refusal: Msgid) -> Person:
    """The person with this id when they are the client-centricity officer; otherwise the
    action is refused with ``refusal`` (what only the officer does)."""
    person = await load_person(session, person_id)
    if person is None or not person.is_officer:
        raise CaseError(refusal)
    return person


def person_name(
    person: Person | None, _: Translator | None = None, role: str | None = None
) -> str | None:
    """How a person is named in a case: full name, @username, or their role, never an id.

    Issue #17, point 4: «Ответственный за процесс: сотрудник id 3» … become names or roles.
    ``role`` is how the caller knows the person (the process owner); else the officer or an
    employee, said to be without a name in the registry, so the officer knows to add it.
    """
    if person is None:
        return None
    if person.full_name:
        return person.full_name
    if person.username:
        return f"@{person.username}"
    _ = speaking(_)
    if role is None:
        role = _("the client-centricity officer") if person.is_officer else _("an employee")
    return _("{role} (no name in the registry)").format(role=role)
