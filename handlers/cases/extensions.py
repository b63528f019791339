"""More time for a step: the owner asks with a reason, the officer refuses or grants a date."""

from __future__ import annotations

from datetime import date
from html import escape
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
from handlers.callbacks import CaseCb, ExtensionCb
from handlers.cases.access import Denied, case_access, officer_access
from handlers.cases.dates import DateTyped, date_step
from handlers.cases.flow import (
    after_typed,
    ask,
    load_card,
    message_of,
    person,
    refuse,
    show,
    stale_text,
    today_of,
    typed,
)
from handlers.filters import TYPED_TEXT
from reengineering.case_queries import extension_ref
from reengineering.cases import CaseError, decide_extension, request_extension
from reengineering.reminders import format_date
from storage.uow import UnitOfWork
from surveys.actors import Actor

router = Router(name=__name__)


class ExtensionStates(StatesGroup):
    """The owner's reason, then the officer's new due date; the data names the case."""

    reason = State()
    due = State()


@router.callback_query(CaseCb.filter(F.a == "ext"), case_access())
async def ask_extension(
    query: CallbackQuery, callback_data: CaseCb, uow: UnitOfWork, actor: Actor, state: FSMContext
) -> None:
    prompt = _(
        "Why does step {step} need more time? Write the reason in one message; it goes to the "
        "client-centricity officer. /cancel — do not ask."
    ).format(step=escape(callback_data.s))
    await ask(query, uow, actor, state, callback_data, ExtensionStates.reason, prompt)


@router.message(StateFilter(ExtensionStates.reason), TYPED_TEXT)
async def extension_reason(
    message: Message,
    uow: UnitOfWork,
    actor: Actor,
    state: FSMContext,
    settings: Settings,
    clock: Clock,
) -> None:
    reason = await typed(message)
    if reason is None:
        return
    now = clock()
    today = today_of(settings, now)

    async def action(session: AsyncSession, data: dict[str, Any]) -> None:
        await request_extension(
            session, data["case"], data["step"], person(actor), reason=reason, on=today, at=now, _=_
        )

    done = _("The request has been sent to the client-centricity officer.")
    await after_typed(message, uow, actor, state, today, action, done)


@router.callback_query(ExtensionCb.filter(), officer_access())
async def extension_answer(
    query: CallbackQuery,
    callback_data: ExtensionCb,
    uow: UnitOfWork,
    actor: Actor,
    state: FSMContext,
    settings: Settings,
    clock: Clock,
) -> None:
    """The officer refuses at once, or grants after typing the new due date."""
    now = clock()
    today = today_of(settings, now)
    try:
        async with uow.transaction() as session:
            extension = await extension_ref(session, callback_data.e)
            if extension is None:
                raise CaseError(stale_text())
            if not callback_data.ok:
                await decide_extension(
                    session, extension.id, person(actor), granted=False, on=today, at=now, _=_
                )
            card = await load_card(session, extension.case_id, today)
    except CaseError as error:
        await refuse(query, error.text(_))
        return
    if not callback_data.ok:
        await query.answer(_("Refused; the owner is told."))
        await show(message_of(query), card, actor, edit=True)
        return
    await state.set_state(ExtensionStates.due)
    await state.update_data(case=extension.case_id, ext=callback_data.e)
    await query.answer()
    if (message := message_of(query)) is not None:
        proposed = extension.proposed_due
        hint = " " + _("Proposed: {date}.").format(date=format_date(proposed)) if proposed else ""
        await message.answer(
            _("New due date of step {step}, as DD.MM.YYYY.").format(
                step=escape(extension.step_code)
            )
            + hint
            + " "
            + _("/cancel — do not decide now.")
        )


@date_step(router, ExtensionStates.due)
async def extension_due_on(message: Message, new_due: date, typed: DateTyped) -> None:
    actor = typed.actor

    async def action(session: AsyncSession, data: dict[str, Any]) -> None:
        if not actor.is_officer:
            raise Denied(data["case"])
        await decide_extension(
            session, int(data["ext"]), person(actor), granted=True, on=typed.today,
            at=typed.now, new_due=new_due, _=_,
        )  # fmt: skip

    done = _("Extended until {date}; the owner is told.").format(date=format_date(new_due))
    await typed.done(message, action, done)
