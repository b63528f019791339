"""What every case conversation does the same way: refuse, act on a case, ask, read the answer."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from html import escape
from typing import Any

from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from core.settings import Settings
from core.text import visible
from handlers.callbacks import CaseCb
from handlers.cases.access import Denied, case_session
from handlers.cases.render import Card, card_keyboard, card_text
from reengineering.case_files import case_step
from reengineering.case_queries import CaseRef, research_open
from reengineering.cases import CaseError, case_view
from storage.uow import UnitOfWork
from surveys.actors import Actor

TEXT_LIMIT = 1000
ALERT_LIMIT = 200
DATE_RE = re.compile(r"^\s*(\d{1,2})\.(\d{1,2})\.(\d{4})\s*$")

CaseAction = Callable[[AsyncSession], Awaitable[str | None]]
TypedAction = Callable[[AsyncSession, dict[str, Any]], Awaitable[str | None]]


def parse_date(text: str) -> date | None:
    """ДД.ММ.ГГГГ as people type it; None when it is not a real date."""
    match = DATE_RE.match(text)
    if match is None:
        return None
    day, month, year = (int(part) for part in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return None


def today_of(settings: Settings, now: datetime) -> date:
    return now.astimezone(settings.tz).date()


def message_of(query: CallbackQuery) -> Message | None:
    return query.message if isinstance(query.message, Message) else None


def person(actor: Actor) -> int:
    assert actor.person_id is not None, "checked by handlers.cases.access"
    return actor.person_id


def denied_text() -> str:
    return _("You do not have access to this case.")


def stale_text() -> str:
    return _("This button is no longer active.")


async def refuse(query: CallbackQuery, text: str) -> None:
    await query.answer(text[:ALERT_LIMIT], show_alert=True)


async def load_card(session: AsyncSession, case_id: int, today: date) -> Card:
    view = await case_view(session, case_id, today=today, _=_)
    return Card(view, await research_open(session, case_id))


async def show(message: Message | None, card: Card, actor: Actor, *, edit: bool) -> None:
    """The card in place of the pressed message, or as a new message after typed input."""
    if message is None:
        return
    text, markup = card_text(card.view), card_keyboard(card, actor)
    if edit:
        try:
            await message.edit_text(text, reply_markup=markup)
            return
        except TelegramBadRequest as error:
            if "not modified" in str(error):
                return
    await message.answer(text, reply_markup=markup)


async def act(
    query: CallbackQuery,
    uow: UnitOfWork,
    actor: Actor,
    case: CaseRef,
    today: date,
    action: CaseAction,
) -> Card | None:
    """One transaction: the domain call and the fresh card; then say and show it."""
    try:
        async with uow.transaction() as session:
            said = await action(session)
            card = await load_card(session, case.id, today)
    except CaseError as error:
        await refuse(query, error.text(_))
        return None
    await query.answer(said[:ALERT_LIMIT] if said else None)
    await show(message_of(query), card, actor, edit=True)
    return card


async def nothing(_session: AsyncSession) -> None:
    return None


async def ask(
    query: CallbackQuery,
    uow: UnitOfWork,
    actor: Actor,
    state: FSMContext,
    callback_data: CaseCb,
    target: State,
    prompt: str,
    officer_only: str | None = None,
    **extra: Any,
) -> None:
    """Remember the case (and step) in the state, then ask for the typed answer.

    ``officer_only``: the refusal for anyone else who may see the case, said before the
    prompt rather than after the typed answer.
    """
    async with uow.transaction() as session:
        step = callback_data.s
        known = not step or await case_step(session, callback_data.c, step) is not None
    if not known:  # a step code the case's template does not have: forged or outdated
        await refuse(query, stale_text())
        return
    if officer_only is not None and not actor.is_officer:
        await refuse(query, officer_only)
        return
    await state.set_state(target)
    await state.update_data(case=callback_data.c, step=callback_data.s, **extra)
    await query.answer()
    if (message := message_of(query)) is not None:
        await message.answer(prompt)


async def typed(message: Message, limit: int = TEXT_LIMIT) -> str | None:
    text = visible(message.text)
    if not text:
        await message.answer(_("An empty message cannot be saved. Please write your answer."))
        return None
    if len(text) > limit:
        await message.answer(
            _(
                "The text is {length} characters long; the limit is {limit}. Please shorten it."
            ).format(length=len(text), limit=limit)
        )
        return None
    return text


async def after_typed(
    message: Message,
    uow: UnitOfWork,
    actor: Actor,
    state: FSMContext,
    today: date,
    action: TypedAction,
    done_text: str,
    *,
    keep_state_on_error: bool = False,
) -> bool:
    """Run the domain call on the remembered case; say what happened, then show the card."""
    data = await state.get_data()
    case_id = int(data.get("case", 0))
    try:
        async with case_session(uow, actor, case_id) as session:
            outcome = await action(session, data)
            card = await load_card(session, case_id, today)
    except Denied:
        await state.clear()
        await message.answer(denied_text())
        return False
    except CaseError as error:
        if keep_state_on_error:
            await message.answer(escape(error.text(_)) + "\n" + _("Type another date or /cancel."))
        else:
            await state.clear()
            await message.answer(escape(error.text(_)))
        return False
    await state.clear()
    await message.answer(outcome if isinstance(outcome, str) else done_text)
    await show(message, card, actor, edit=False)
    return True
