"""The action plan of a case (план мероприятий, seed 003 §3.4–3.8 and the annex).

Measures fall into the annex's four sections and are numbered within them (1.1, 1.2, 2.1…).
When the target process uses a digital service, §3.5 requires six prototype measures; they
are added automatically, with default due dates spaced in working days, and stay editable.
The last due date of the plan is the deadline of the implementation step, so every change
recomputes the case.

Until the working group approves the plan the owner and the officer edit it; afterwards
its dates and composition change only by a working-group decision (§4.1), entered by the
officer, while executors and the owner record the progress of measures.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from core.calendar import WorkingCalendar, default_calendar
from core.i18n import Translator
from core.text import is_blank, visible
from core.wording import __, speaking
from reengineering.cases.audit import audit_event, moment
from reengineering.cases.errors import CaseError
from reengineering.cases.records import (
    case_owner_id,
    load_case,
    load_open_case,
    load_person,
    load_process,
    person_name,
    plan_item_rows,
    step_rows,
)
from reengineering.cases.steps import DEFAULT_TEMPLATE, IMPL_STEP, PLAN_STEP, plan_annex
from reengineering.cases.views import PlanItemView, numbered_items
from reengineering.cases.workflow import refresh_case
from reengineering.templates import PrototypeMeasure
from storage.cases_models import PlanItem, PlanItemStatus, ReengineeringCase, StepStatus
from storage.models import Person, Process

__all__ = [
    "ITEM_STATUS_TITLES",
    "PrototypeMeasure",
    "add_plan_item",
    "create_plan",
    "plan_items",
    "remove_plan_item",
    "set_plan_item_status",
    "update_plan_item",
]

# Msgids: whoever shows a status translates it.
ITEM_STATUS_TITLES: dict[str, str] = {
    PlanItemStatus.PLANNED: __("planned (measure)"),
    PlanItemStatus.IN_PROGRESS: __("in progress (measure)"),
    PlanItemStatus.DONE: __("done (measure)"),
    PlanItemStatus.CANCELLED: __("cancelled by a decision of the working group"),
}


# PROTOTYPE_MEASURES is served by the module __getattr__: the template file is read on use.
def __getattr__(name: str) -> tuple[PrototypeMeasure, ...]:
    """``PROTOTYPE_MEASURES``: seed 003's six measures of §3.5, read from its template file."""
    if name == "PROTOTYPE_MEASURES":
        return plan_annex(DEFAULT_TEMPLATE).prototype_measures
    raise AttributeError(name)


async def plan_items(
    session: AsyncSession, case_id: int, *, today: date | None = None
) -> list[PlanItemView]:
    """The plan of a case in annex order."""
    case = await load_case(session, case_id)
    sections = plan_annex(case.template_id).sections
    return numbered_items(await plan_item_rows(session, case_id), today=today, sections=sections)


async def _plan_approved(session: AsyncSession, case: ReengineeringCase) -> bool:
    rows = await step_rows(session, case.id)
    impl = rows.get(IMPL_STEP)
    return impl is not None and impl.status in (StepStatus.ACTIVE, StepStatus.DONE)


async def _editor(
    session: AsyncSession, case: ReengineeringCase, actor_id: int
) -> tuple[Person, Process]:
    """Who may change the plan now: owner or officer before approval, officer after."""
    process = await load_process(session, case.process_id)
    person = await load_person(session, actor_id)
    if person is None:
        raise CaseError(__("The employee is not found."))
    if await _plan_approved(session, case):
        if not person.is_officer:
            raise CaseError(
                __(
                    "The action plan is approved: its dates and measures change by a decision of "
                    "the working group, entered by the client-centricity officer (clause 4.1)."
                )
            )
    elif not (person.is_officer or case_owner_id(case, process) == person.id):
        raise CaseError(__("The action plan is drawn up by the process owner."))
    else:
        plan_step = (await step_rows(session, case.id)).get(PLAN_STEP)
        if plan_step is None or plan_step.status not in (StepStatus.ACTIVE, StepStatus.DONE):
            raise CaseError(
                __(
                    "The action plan is drawn up at step D4, after the working group approves "
                    "the target process (clause 3.4)."
                )
            )
    return person, process


def _check_section(case: ReengineeringCase, section: int) -> None:
    if section not in plan_annex(case.template_id).sections:
        raise CaseError(__("A plan section is 1 to 4 (see the action plan template)."))


async def _next_position(session: AsyncSession, case_id: int, section: int) -> int:
    current = await session.scalar(
        sa.select(sa.func.max(PlanItem.position)).where(
            PlanItem.case_id == case_id, PlanItem.section == section
        )
    )
    return int(current or 0) + 1


async def create_plan(
    session: AsyncSession,
    case_id: int,
    actor_id: int,
    *,
    uses_digital_service: bool,
    on: date,
    at: datetime | None = None,
    calendar: WorkingCalendar | None = None,
    _: Translator | None = None,
) -> list[PlanItemView]:
    """Start (or re-flag) the plan; with a digital service the six §3.5 measures are added.

    Idempotent: the prototype measures are added once; turning the flag off before approval
    removes them again.
    """
    _ = speaking(_)
    case = await load_open_case(session, case_id)
    person, process = await _editor(session, case, actor_id)
    cal = calendar if calendar is not None else default_calendar()
    items = await plan_item_rows(session, case.id)
    prototypes = [item for item in items if item.prototype_step is not None]
    case.uses_digital_service = uses_digital_service
    case.plan_created_on = case.plan_created_on or on
    if uses_digital_service and not prototypes:
        owner = await load_person(session, case_owner_id(case, process))
        responsible = person_name(owner, _, role=_("Process owner")) or _("Process owner")
        annex = plan_annex(case.template_id)
        position = await _next_position(session, case.id, annex.prototype_section)
        for offset, measure in enumerate(annex.prototype_measures):
            session.add(
                PlanItem(
                    case_id=case.id,
                    section=annex.prototype_section,
                    position=position + offset,
                    measure=measure.measure,
                    due_on=cal.add_working_days(on, measure.after_days),
                    responsible_name=responsible,
                    responsible_id=case_owner_id(case, process),
                    expected_result=measure.expected_result,
                    report_document=measure.report_document,
                    status=PlanItemStatus.PLANNED,
                    prototype_step=measure.step,
                    created_at=moment(on, at),
                )
            )
    elif not uses_digital_service and prototypes:
        if await _plan_approved(session, case):
            raise CaseError(
                __("The plan is approved: prototyping measures are removed by the working group.")
            )
        for item in prototypes:
            await session.delete(item)
    await session.flush()
    await audit_event(
        session, case.id, "plan_created", on=on, at=at, actor_id=person.id,
        uses_digital_service=uses_digital_service,
    )  # fmt: skip
    await refresh_case(session, case, on=on, at=at, calendar=calendar, _=_)
    return await plan_items(session, case.id)


async def add_plan_item(
    session: AsyncSession,
    case_id: int,
    actor_id: int,
    *,
    section: int,
    measure: str,
    due_on: date,
    responsible_name: str,
    on: date,
    responsible_id: int | None = None,
    expected_result: str = "",
    report_document: str = "",
    at: datetime | None = None,
    calendar: WorkingCalendar | None = None,
    _: Translator | None = None,
) -> int:
    """Add a measure at the end of its section; returns its id."""
    case = await load_open_case(session, case_id)
    person, _process_row = await _editor(session, case, actor_id)
    _check_section(case, section)
    if is_blank(measure):
        raise CaseError(__("Give the name of the measure."))
    if is_blank(responsible_name):
        raise CaseError(__("Give the responsible executor."))
    item = PlanItem(
        case_id=case.id,
        section=section,
        position=await _next_position(session, case.id, section),
        measure=visible(measure),
        due_on=due_on,
        responsible_name=visible(responsible_name),
        responsible_id=responsible_id,
        expected_result=visible(expected_result),
        report_document=visible(report_document),
        status=PlanItemStatus.PLANNED,
        created_at=moment(on, at),
    )
    session.add(item)
    await session.flush()
    await audit_event(
        session, case.id, "plan_item_added", on=on, at=at, actor_id=person.id,
        item_id=item.id, section=section, measure=item.measure, due_on=due_on,
    )  # fmt: skip
    await refresh_case(session, case, on=on, at=at, calendar=calendar, _=_)
    return item.id


async def _item(session: AsyncSession, item_id: int) -> PlanItem:
    item = await session.get(PlanItem, item_id)
    if item is None:
        raise CaseError(__("The plan measure is not found."))
    return item


async def update_plan_item(
    session: AsyncSession,
    item_id: int,
    actor_id: int,
    *,
    on: date,
    section: int | None = None,
    measure: str | None = None,
    due_on: date | None = None,
    responsible_name: str | None = None,
    responsible_id: int | None = None,
    expected_result: str | None = None,
    report_document: str | None = None,
    at: datetime | None = None,
    calendar: WorkingCalendar | None = None,
    _: Translator | None = None,
) -> None:
    """Change the given fields of a measure (None leaves a field as it is)."""
    item = await _item(session, item_id)
    case = await load_open_case(session, item.case_id)
    person, _process_row = await _editor(session, case, actor_id)
    changes: dict[str, Any] = {}
    if section is not None and section != item.section:
        _check_section(case, section)
        item.position = await _next_position(session, case.id, section)
        item.section = section
        changes["section"] = section
    for name, value in (
        ("measure", measure),
        ("responsible_name", responsible_name),
        ("expected_result", expected_result),
        ("report_document", report_document),
    ):
        if value is not None and visible(value) != getattr(item, name):
            setattr(item, name, visible(value))
            changes[name] = visible(value)
    if due_on is not None and due_on != item.due_on:
        changes["due_on"] = due_on
        changes["old_due_on"] = item.due_on
        item.due_on = due_on
    if responsible_id is not None and responsible_id != item.responsible_id:
        item.responsible_id = responsible_id
        changes["responsible_id"] = responsible_id
    if not changes:
        return
    await audit_event(
        session, case.id, "plan_item_changed", on=on, at=at, actor_id=person.id,
        item_id=item.id, **changes,
    )  # fmt: skip
    await session.flush()
    await refresh_case(session, case, on=on, at=at, calendar=calendar, _=_)


async def remove_plan_item(
    session: AsyncSession,
    item_id: int,
    actor_id: int,
    *,
    on: date,
    at: datetime | None = None,
    calendar: WorkingCalendar | None = None,
    _: Translator | None = None,
) -> None:
    """Delete a measure from a plan not yet approved (after approval: cancel it instead)."""
    item = await _item(session, item_id)
    case = await load_open_case(session, item.case_id)
    person, _process_row = await _editor(session, case, actor_id)
    if await _plan_approved(session, case):
        raise CaseError(__("A measure of an approved plan is cancelled, not removed."))
    await audit_event(
        session, case.id, "plan_item_removed", on=on, at=at, actor_id=person.id,
        item_id=item.id, measure=item.measure,
    )  # fmt: skip
    await session.delete(item)
    await session.flush()
    await refresh_case(session, case, on=on, at=at, calendar=calendar, _=_)


async def set_plan_item_status(
    session: AsyncSession,
    item_id: int,
    status: PlanItemStatus | str,
    actor_id: int,
    *,
    on: date,
    at: datetime | None = None,
    calendar: WorkingCalendar | None = None,
    _: Translator | None = None,
) -> None:
    """Record the progress of a measure of the approved plan.

    The owner, the officer and the measure's executor record progress; cancelling a
    measure is a working-group decision entered by the officer.
    """
    new_status = PlanItemStatus(status)
    item = await _item(session, item_id)
    case = await load_open_case(session, item.case_id)
    if not await _plan_approved(session, case):
        raise CaseError(__("Progress is recorded after the action plan is approved."))
    process = await load_process(session, case.process_id)
    person = await load_person(session, actor_id)
    allowed = person is not None and (
        person.is_officer
        or (
            new_status != PlanItemStatus.CANCELLED
            and person.id in (case_owner_id(case, process), item.responsible_id)
        )
    )
    if person is None or not allowed:
        raise CaseError(
            __("The state of a measure is changed by the process owner or its executor.")
        )
    item.status = new_status
    item.done_on = on if new_status == PlanItemStatus.DONE else None
    await audit_event(
        session, case.id, "plan_item_status", on=on, at=at, actor_id=person.id,
        item_id=item.id, status=new_status.value,
    )  # fmt: skip
    await session.flush()
    await refresh_case(session, case, on=on, at=at, calendar=calendar, _=_)
