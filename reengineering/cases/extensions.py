"""More time on a step: the owner asks, the officer grants a new due date or refuses."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from core.calendar import WorkingCalendar
from core.i18n import Translator
from core.text import is_blank, visible
from core.wording import __, speaking
from reengineering.cases.audit import audit_event, moment
from reengineering.cases.errors import CaseError
from reengineering.cases.notices import notify_extension_decision, notify_extension_request
from reengineering.cases.records import (
    active_row,
    case_owner_id,
    load_officer,
    load_open_case,
    load_person,
    load_process,
    step_rows,
)
from reengineering.cases.steps import template_of, template_step
from reengineering.cases.workflow import refresh_case
from storage.cases_models import CaseExtension, ExtensionStatus, StepStatus

__all__ = ["decide_extension", "request_extension"]


async def request_extension(
    session: AsyncSession,
    case_id: int,
    step_id: str,
    actor_id: int,
    *,
    reason: str,
    on: date,
    proposed_due: date | None = None,
    at: datetime | None = None,
    _: Translator | None = None,
) -> int:
    """The owner asks for more time on an active step; officers are told. Returns its id."""
    _ = speaking(_)
    case = await load_open_case(session, case_id)
    template = template_of(case.template_id, case.template_version)
    step = template_step(template, step_id)
    process = await load_process(session, case.process_id)
    person = await load_person(session, actor_id)
    if person is None or not (person.is_officer or case_owner_id(case, process) == person.id):
        raise CaseError(__("A deadline extension is asked by the process owner."))
    row = await active_row(session, case, step)
    if is_blank(reason):
        raise CaseError(__("Give the reason why more time is needed."))
    if proposed_due is not None and proposed_due < on:
        raise CaseError(__("The proposed deadline cannot be in the past."))
    pending = await session.scalar(
        sa.select(CaseExtension.id).where(
            CaseExtension.case_id == case.id,
            CaseExtension.step_code == step.id,
            CaseExtension.status == ExtensionStatus.PENDING,
        )
    )
    if pending is not None:
        raise CaseError(__("An extension request for this step is already awaiting a decision."))
    extension = CaseExtension(
        case_id=case.id,
        step_code=step.id,
        activation=row.activation,
        requested_by_id=actor_id,
        reason=visible(reason),
        proposed_due=proposed_due,
        requested_at=moment(on, at),
        status=ExtensionStatus.PENDING,
    )
    session.add(extension)
    await session.flush()
    await audit_event(
        session, case.id, "extension_requested", on=on, at=at, actor_id=actor_id,
        step_id=step.id, extension_id=extension.id, reason=extension.reason,
        proposed_due=proposed_due,
    )  # fmt: skip
    await notify_extension_request(session, case, process, step, row, extension, _)
    return extension.id


async def decide_extension(
    session: AsyncSession,
    extension_id: int,
    actor_id: int,
    *,
    granted: bool,
    on: date,
    new_due: date | None = None,
    comment: str | None = None,
    at: datetime | None = None,
    calendar: WorkingCalendar | None = None,
    _: Translator | None = None,
) -> None:
    """The officer grants a new due date for the step, or refuses; the owner is told."""
    _ = speaking(_)
    extension = await session.get(CaseExtension, extension_id)
    if extension is None:
        raise CaseError(__("The extension request is not found."))
    if extension.status != ExtensionStatus.PENDING:
        raise CaseError(__("This request is already decided."))
    await load_officer(
        session, actor_id, __("An extension is decided by the client-centricity officer.")
    )
    case = await load_open_case(session, extension.case_id)
    rows = await step_rows(session, case.id)
    row = rows[extension.step_code]
    if row.status != StepStatus.ACTIVE or row.activation != extension.activation:
        raise CaseError(__("The step the extension was asked for is no longer in progress."))
    if granted:
        if new_due is None:
            raise CaseError(__("Give the new deadline."))
        if new_due < on:
            raise CaseError(__("The new deadline cannot be in the past."))
        row.extended_due = new_due
    extension.status = ExtensionStatus.GRANTED if granted else ExtensionStatus.REFUSED
    extension.decided_by_id = actor_id
    extension.decided_at = moment(on, at)
    extension.new_due = new_due if granted else None
    extension.comment = comment
    await audit_event(
        session, case.id, "extension_granted" if granted else "extension_refused", on=on,
        at=at, actor_id=actor_id, step_id=extension.step_code, extension_id=extension.id,
        new_due=new_due if granted else None, comment=comment,
    )  # fmt: skip
    await refresh_case(session, case, on=on, at=at, calendar=calendar, _=_)
    process = await load_process(session, case.process_id)
    step = template_of(case.template_id, case.template_version).step(extension.step_code)
    await notify_extension_decision(session, case, process, step, extension, _, granted=granted)
