"""The officer sets the due date of a step the regulation counts none for (seeds 000, 001)."""

from __future__ import annotations

from datetime import date
from typing import Any

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.settings import Settings
from handlers.callbacks import CaseCb
from handlers.cases.access import case_access
from handlers.cases.dates import date_step, working_date
from handlers.cases.flow import after_typed, ask, person, today_of
from handlers.filters import TYPED_TEXT
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


@router.message(StateFilter(DueStates.due_date), TYPED_TEXT)
async def due_date(message: Message, state: FSMContext, **data: Any) -> None:
    """A day off is pointed out, with the next working day offered (handlers.cases.dates)."""
    if (due := await working_date(message, data)) is not None:
        await due_date_on(message, due, state=state, **data)


@date_step(DueStates.due_date)
async def due_date_on(
    message: Message,
    due: date,
    *,
    uow: UnitOfWork,
    actor: Actor,
    state: FSMContext,
    settings: Settings,
    clock: Clock,
    **_data: Any,
) -> None:
    now = clock()
    today = today_of(settings, now)

    async def action(session: AsyncSession, data: dict[str, Any]) -> None:
        await set_due_date(
            session, data["case"], data["step"], due, person(actor), on=today, at=now, _=_
        )

    done = _("The due date is set: {date}.").format(date=format_date(due))
    await after_typed(message, uow, actor, state, today, action, done, keep_state_on_error=True)
