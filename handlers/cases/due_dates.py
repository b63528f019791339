"""The officer sets the due date of a step the regulation counts none for (seeds 000, 001)."""

from __future__ import annotations

from datetime import date
from typing import Any

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.callbacks import CaseCb
from handlers.cases.access import case_access
from handlers.cases.dates import DateTyped, date_step
from handlers.cases.flow import ask, person
from reengineering.cases import set_due_date
from reengineering.reminders import format_date
from storage.uow import UnitOfWork
from surveys.actors import Actor

router = Router(name=__name__)


class DueStates(StatesGroup):
    """The date typed after «set the due date»; the data names the case and the step."""

    due_date = State()


@router.callback_query(CaseCb.filter(F.a == "due"), case_access())
async def ask_due_date(
    query: CallbackQuery, callback_data: CaseCb, uow: UnitOfWork, actor: Actor, state: FSMContext
) -> None:
    prompt = _(
        "Due date of step {step}, as DD.MM.YYYY (the regulation sets no deadline; the "
        "officer sets it). /cancel — do not enter."
    ).format(step=callback_data.s)
    officer_only = _("Due dates are set by the client-centricity officer.")
    target = DueStates.due_date
    await ask(query, uow, actor, state, callback_data, target, prompt, officer_only=officer_only)


@date_step(router, DueStates.due_date)
async def due_date_on(message: Message, due: date, typed: DateTyped) -> None:
    """A day off is pointed out first, with the next working day offered (handlers.cases.dates)."""

    async def action(session: AsyncSession, data: dict[str, Any]) -> None:
        await set_due_date(
            session, data["case"], data["step"], due, person(typed.actor),
            on=typed.today, at=typed.now, _=_,
        )  # fmt: skip

    await typed.done(
        message, action, _("The due date is set: {date}.").format(date=format_date(due))
    )
