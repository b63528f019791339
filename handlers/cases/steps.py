"""Step completion and the working group: mark a step done, record a decision, date a meeting."""

from __future__ import annotations

from datetime import date
from html import escape
from typing import Any

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.settings import Settings
from handlers.callbacks import CaseCb
from handlers.cases.access import case_access
from handlers.cases.dates import DateTyped, date_step
from handlers.cases.flow import (
    act,
    ask,
    message_of,
    person,
    refuse,
    stale_text,
    today_of,
)
from reengineering.case_files import case_dir
from reengineering.case_queries import CaseRef
from reengineering.cases import Transition, case_view, schedule_meeting
from reengineering.minutes import complete, decide
from reengineering.reminders import format_date
from storage.uow import UnitOfWork
from surveys.actors import Actor

router = Router(name=__name__)


class StepStates(StatesGroup):
    """Dates typed after a decision or meeting button; the data names the case and step."""

    revision_due = State()
    meeting_date = State()


@router.callback_query(CaseCb.filter(F.a == "d"), case_access())
async def mark_done(
    query: CallbackQuery,
    callback_data: CaseCb,
    case: CaseRef,
    uow: UnitOfWork,
    actor: Actor,
    settings: Settings,
    clock: Clock,
) -> None:
    now = clock()
    today = today_of(settings, now)

    async def action(session: AsyncSession) -> str:
        folder = case_dir(settings.data_dir, case.id)
        transition = await complete(
            session, case.id, callback_data.s, person(actor), on=today, at=now, folder=folder, _=_
        )
        if transition.signing:
            return _signing_text()
        return _("Step {step} is marked as done.").format(step=callback_data.s)

    await act(query, uow, actor, case, today, action)


def _signing_text() -> str:
    """Seed 003 §2.2.6, §3.3, §3.7: the step waits for the head's signature."""
    return _("The conclusion is sent to the head of the department for signature.")


def _decision_text(transition: Transition) -> str:
    if transition.signing:
        return _signing_text()
    if transition.outcome:
        return _("The decision is recorded; the case is closed.")
    return _("The decision is recorded.")


def _confirmation(callback_data: CaseCb) -> InlineKeyboardBuilder:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("Yes, record the decision"),
        callback_data=CaseCb(c=callback_data.c, a="dok", s=callback_data.s, x=callback_data.x),
    )
    builder.button(text=_("Cancel"), callback_data=CaseCb(c=callback_data.c))
    builder.adjust(1)
    return builder


@router.callback_query(CaseCb.filter(F.a == "dec"), case_access())
async def choose_decision(
    query: CallbackQuery,
    callback_data: CaseCb,
    case: CaseRef,
    uow: UnitOfWork,
    state: FSMContext,
    settings: Settings,
    clock: Clock,
) -> None:
    """A decision ends or turns the case, so it is confirmed; a return asks for its deadline."""
    async with uow.transaction() as session:
        view = await case_view(session, case.id, today=today_of(settings, clock()), _=_)
    options = {
        option: (title, revision)
        for step in view.active_steps
        if step.step_id == callback_data.s
        for option, title, revision in step.options
    }
    if callback_data.x not in options:
        await refuse(query, stale_text())
        return
    title, revision = options[callback_data.x]
    await query.answer()
    if (message := message_of(query)) is None:
        return
    if revision:
        await state.set_state(StepStates.revision_due)
        await state.update_data(case=case.id, step=callback_data.s, option=callback_data.x)
        await message.answer(
            _(
                "Step {step}: «{title}». Type the revision deadline set by the decision, "
                "as DD.MM.YYYY. /cancel — do not record."
            ).format(step=escape(callback_data.s), title=escape(title))
        )
        return
    await message.answer(
        _("Record the decision on step {step}: «{title}»?").format(
            step=escape(callback_data.s), title=escape(title)
        ),
        reply_markup=_confirmation(callback_data).as_markup(),
    )


@router.callback_query(CaseCb.filter(F.a == "dok"), case_access())
async def record_decision_button(
    query: CallbackQuery,
    callback_data: CaseCb,
    case: CaseRef,
    uow: UnitOfWork,
    actor: Actor,
    settings: Settings,
    clock: Clock,
) -> None:
    now = clock()
    today = today_of(settings, now)

    async def action(session: AsyncSession) -> str:
        c = callback_data
        folder = case_dir(settings.data_dir, case.id)
        transition = await decide(
            session, case.id, c.s, c.x, person(actor), on=today, at=now, folder=folder, _=_
        )
        return _decision_text(transition)

    await act(query, uow, actor, case, today, action)


@date_step(router, StepStates.revision_due)
async def revision_due_on(message: Message, due: date, typed: DateTyped) -> None:
    async def action(session: AsyncSession, data: dict[str, Any]) -> None:
        folder = case_dir(typed.settings.data_dir, data["case"])
        await decide(
            session, data["case"], data["step"], data["option"], person(typed.actor),
            on=typed.today, at=typed.now, revision_due=due, folder=folder, _=_,
        )  # fmt: skip

    done = _("The decision is recorded: revision until {date}.").format(date=format_date(due))
    await typed.done(message, action, done)


@router.callback_query(CaseCb.filter(F.a == "mt"), case_access())
async def ask_meeting(
    query: CallbackQuery, callback_data: CaseCb, uow: UnitOfWork, actor: Actor, state: FSMContext
) -> None:
    prompt = _(
        "Date of the working-group meeting that considers the action plan, as DD.MM.YYYY. "
        "/cancel — do not enter."
    )
    officer_only = _("The date of the working-group meeting is entered by the officer.")
    target = StepStates.meeting_date
    await ask(query, uow, actor, state, callback_data, target, prompt, officer_only=officer_only)


@date_step(router, StepStates.meeting_date)
async def meeting_date_on(message: Message, meeting_on: date, typed: DateTyped) -> None:
    async def action(session: AsyncSession, data: dict[str, Any]) -> None:
        await schedule_meeting(
            session, data["case"], meeting_on, person(typed.actor), on=typed.today,
            at=typed.now, _=_,
        )  # fmt: skip

    done = _("The meeting date is entered: {date}.").format(date=format_date(meeting_on))
    await typed.done(message, action, done)
