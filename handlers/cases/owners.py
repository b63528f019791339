"""The officer gives one case to another owner by instruction (seed 003 §1.4).

«Изменить ответственного по делу» lists the employees, those of the process's department
first; choosing one calls ``reengineering.cases.owners.assign_case_owner``, which tells the
new and the previous owner. The registry's process owner is unchanged for other cases.
"""

from __future__ import annotations

import sqlalchemy as sa
from aiogram import F, Router
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.settings import Settings
from handlers.callbacks import CaseCb
from handlers.cases.access import case_access
from handlers.cases.flow import act, message_of, person, refuse, today_of
from reengineering.case_queries import CaseRef, process_department
from reengineering.cases.owners import assign_case_owner
from reengineering.cases.records import person_name
from storage.models import Person
from storage.uow import UnitOfWork
from surveys.actors import Actor

router = Router(name=__name__)
PAGE = 10


async def _employees(session: AsyncSession, department_id: int | None) -> list[tuple[int, str]]:
    """Employees, the process's department first, by name."""
    people = await session.scalars(
        sa.select(Person)
        .where(Person.is_employee)
        .order_by((Person.department_id == department_id).desc(), Person.full_name, Person.id)
    )
    return [(p.id, person_name(p, _) or "") for p in people]


@router.callback_query(CaseCb.filter(F.a == "ow"), case_access())
async def case_owner(
    query: CallbackQuery,
    callback_data: CaseCb,
    case: CaseRef,
    uow: UnitOfWork,
    actor: Actor,
    settings: Settings,
    clock: Clock,
) -> None:
    if not actor.is_officer:
        await refuse(query, _("Another owner of a case is named by the client-centricity officer."))
        return
    choice = callback_data.x
    if choice.isdigit():
        now = clock()
        today = today_of(settings, now)

        async def action(session: AsyncSession) -> str:
            await assign_case_owner(
                session, case.id, int(choice), person(actor), on=today, at=now, _=_
            )
            return _("The case is given to another owner; both are told.")

        await act(query, uow, actor, case, today, action)
        return
    page = int(choice[1:]) if choice.startswith("p") and choice[1:].isdigit() else 0
    async with uow.reading() as session:
        people = await _employees(session, await process_department(session, case.process_id))
    builder = InlineKeyboardBuilder()
    for person_id, name in people[page * PAGE : (page + 1) * PAGE]:
        builder.button(text=name[:60], callback_data=CaseCb(c=case.id, a="ow", x=str(person_id)))
    if (page + 1) * PAGE < len(people):
        builder.button(text="»", callback_data=CaseCb(c=case.id, a="ow", x=f"p{page + 1}"))
    builder.button(text=_("Cancel"), callback_data=CaseCb(c=case.id))
    builder.adjust(1)
    await query.answer()
    if (message := message_of(query)) is not None:
        await message.edit_text(
            _("Who owns this case by instruction (clause 1.4)? The process owner stays the same."),
            reply_markup=builder.as_markup(),
        )
