"""Another owner for one case, by instruction (seed 003 §1.4).

«Мероприятия по реинжинирингу процессов осуществляются структурным подразделением, в состав
которого входит ответственное лицо, указанное в Реестре процессов, … если поручением Главы …
или заместителя Главы …, ответственного за внедрение клиентоцентричности …, не указано
иного». The registry's process owner stays the owner of the process and of its other cases;
the case's owner acts on its steps and hears its notices and reminders.
"""

from __future__ import annotations

from datetime import date, datetime
from html import escape

from sqlalchemy.ext.asyncio import AsyncSession

from core.calendar import WorkingCalendar, default_calendar
from core.i18n import Translator
from core.wording import __, speaking
from reengineering.cases.audit import audit_event
from reengineering.cases.errors import CaseError
from reengineering.cases.notices import announce_step, notify
from reengineering.cases.records import (
    case_owner_id,
    load_open_case,
    load_person,
    load_process,
    person_name,
    step_rows,
)
from reengineering.cases.steps import template_of
from reengineering.cases.views import case_number
from storage.cases_models import StepStatus
from storage.recipients import recipient_of

__all__ = ["assign_case_owner"]


async def assign_case_owner(
    session: AsyncSession,
    case_id: int,
    person_id: int,
    actor_id: int | None,
    *,
    on: date,
    at: datetime | None = None,
    calendar: WorkingCalendar | None = None,
    _: Translator | None = None,
) -> int | None:
    """Give an open case to another owner (§1.4); the previous owner's id, or None.

    Naming the process owner again gives the case back to the registry's owner. The new
    owner hears of the case and of its active steps; the previous one that it was given on.
    ``actor_id`` None is the administrator's command line (`otklik cases owner`).
    """
    _ = speaking(_)
    officer = await load_person(session, actor_id)
    if actor_id is not None and (officer is None or not officer.is_officer):
        raise CaseError(__("Another owner of a case is named by the client-centricity officer."))
    case = await load_open_case(session, case_id)
    process = await load_process(session, case.process_id)
    person = await load_person(session, person_id)
    if person is None:
        raise CaseError(__("The employee is not found."))
    previous = case_owner_id(case, process)
    if previous == person.id:
        raise CaseError(__("{name} is already the owner of this case."), name=person_name(person))
    case.owner_id = None if person.id == process.owner_id else person.id
    await audit_event(
        session, case.id, "owner_assigned", on=on, at=at, actor_id=actor_id,
        owner_id=person.id, previous_owner_id=previous,
    )  # fmt: skip
    await session.flush()
    names = {"number": case_number(case.id), "process": escape(process.name)}
    text = _(
        "👤 By instruction you are the owner of reengineering {number} «{process}» "
        "(clause 1.4 of the Procedure): its steps, notices and reminders are yours."
    ).format(**names)
    await notify(
        session, [recipient_of(person)], text, kind="case_owner",
        key=f"case:{case.id}:owner:{person.id}:{on.isoformat()}",
    )  # fmt: skip
    if (before := await load_person(session, previous)) is not None:
        text = _(
            "👤 By instruction reengineering {number} «{process}» is given to {name}; "
            "you stay the owner of the process and of its other cases."
        ).format(**names, name=escape(person_name(person, _) or ""))
        await notify(
            session, [recipient_of(before)], text, kind="case_owner",
            key=f"case:{case.id}:owner-was:{before.id}:{on.isoformat()}",
        )  # fmt: skip
    cal = calendar if calendar is not None else default_calendar()
    template = template_of(case.template_id)
    for code, row in (await step_rows(session, case.id)).items():
        if row.status == StepStatus.ACTIVE:
            await announce_step(session, case, process, template.step(code), row, cal, _)
    return previous
