"""The closed loop in Telegram: the owner answers a low score, the respondent may write back.

Neither side sees the other's identity; every relayed text goes through the outbox.
"""

from __future__ import annotations

from contextlib import suppress

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from core.clock import Clock
from core.text import visible
from handlers.callbacks import AlertCb, RelayCb
from handlers.filters import TYPED_TEXT, inline
from outreach import loop
from outreach.loop import AlertAccess, Relay
from storage.uow import UnitOfWork
from surveys.actors import Actor

router = Router(name=__name__)
TEXT_LIMIT = 3000


class FeedbackStates(StatesGroup):
    owner_answer = State()
    respondent_reply = State()


@router.callback_query(AlertCb.filter())
async def alert_button(
    query: CallbackQuery,
    callback_data: AlertCb,
    uow: UnitOfWork,
    actor: Actor,
    state: FSMContext,
    clock: Clock,
) -> None:
    async with uow.transaction() as session:
        access, alert = await loop.load_alert(
            session, callback_data.a, owned=actor.owned_process_ids, is_officer=actor.is_officer
        )
        if alert is not None and callback_data.x == "ack":
            await loop.acknowledge(session, alert, clock())
    if access != AlertAccess.OK or callback_data.x not in ("ack", "reply"):
        await query.answer(_("You do not have access to this process."), show_alert=True)
        return
    if callback_data.x == "ack":
        await query.answer(_("Marked as taken into work."))
        await _without_button(query)  # taken into work: only «Ответить» stays
        return
    await state.set_state(FeedbackStates.owner_answer)
    shown = query.message.message_id if isinstance(query.message, Message) else None
    await state.update_data(alert_id=callback_data.a, shown=shown)
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(
            _(
                "Write your answer to the client in one message. It will be sent on behalf of "
                "the organization, without your name. /cancel — do not answer now."
            )
        )


async def _without_button(query: CallbackQuery) -> None:
    """The pressed button leaves the message's keyboard; the others stay."""
    if not isinstance(query.message, Message) or query.message.reply_markup is None:
        return
    rows = [
        [button for button in row if button.callback_data != query.data]
        for row in query.message.reply_markup.inline_keyboard
    ]
    markup = InlineKeyboardMarkup(inline_keyboard=[row for row in rows if row])
    with suppress(TelegramBadRequest):
        await query.message.edit_reply_markup(reply_markup=markup)


async def _close_keyboard(bot: Bot, chat_id: int, message_id: object) -> None:
    """The message the conversation started from is handled: its buttons go away."""
    if isinstance(message_id, int):
        with suppress(TelegramBadRequest):
            await bot.edit_message_reply_markup(
                chat_id=chat_id, message_id=message_id, reply_markup=None
            )


@router.message(StateFilter(FeedbackStates.owner_answer), TYPED_TEXT)
async def owner_answer(
    message: Message, uow: UnitOfWork, actor: Actor, state: FSMContext, clock: Clock, bot: Bot
) -> None:
    text = visible(message.text)
    if not text:  # spaces or zero-width characters only: nothing to send the client
        await message.answer(_("An empty message cannot be saved. Please write your answer."))
        return
    if len(text) > TEXT_LIMIT:
        await message.answer(
            _(
                "The answer is {length} characters long; the limit is {limit}. Please shorten it."
            ).format(length=len(text), limit=TEXT_LIMIT)
        )
        return
    data = await state.get_data()
    alert_id = int(data.get("alert_id", 0))
    async with uow.transaction() as session:
        access, alert = await loop.load_alert(
            session, alert_id, owned=actor.owned_process_ids, is_officer=actor.is_officer
        )
        relay = await loop.answer_respondent(session, alert, text, clock(), _=_) if alert else None
    await state.clear()
    if access != AlertAccess.OK or relay is None:
        await message.answer(_("You do not have access to this process."))
        return
    await _close_keyboard(bot, message.chat.id, data.get("shown"))
    if relay == Relay.SENT:
        await message.answer(_("Thank you! The answer has been sent to the client."))
    else:
        await message.answer(
            _(
                "The answer is saved. The client did not ask to receive an answer, "
                "so it was not sent."
            )
        )


@router.callback_query(RelayCb.filter())
async def respondent_reply_button(
    query: CallbackQuery, callback_data: RelayCb, uow: UnitOfWork, actor: Actor, state: FSMContext
) -> None:
    async with uow.transaction() as session:
        allowed = await loop.may_reply(session, callback_data.a, actor.key)
    if not allowed:  # a crafted or stale button: refused before the prompt
        await query.answer(_("This conversation is no longer available."), show_alert=True)
        return
    await state.set_state(FeedbackStates.respondent_reply)
    shown = query.message.message_id if isinstance(query.message, Message) else None
    await state.update_data(alert_id=callback_data.a, shown=shown)
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(_("Write your reply in one message. /cancel — do not reply."))


@router.message(StateFilter(FeedbackStates.respondent_reply), TYPED_TEXT)
async def respondent_reply(
    message: Message, uow: UnitOfWork, actor: Actor, state: FSMContext, clock: Clock, bot: Bot
) -> None:
    text = visible(message.text)[:TEXT_LIMIT]
    if not text:
        await message.answer(_("An empty message cannot be saved. Please write your answer."))
        return
    data = await state.get_data()
    alert_id = int(data.get("alert_id", 0))
    async with uow.transaction() as session:
        sent = await loop.respondent_replies(session, alert_id, actor.key, text, clock(), _=_)
    await state.clear()
    if sent:
        await _close_keyboard(bot, message.chat.id, data.get("shown"))
    await message.answer(
        _("Your reply has been passed on. Thank you!")
        if sent
        else _("This conversation is no longer available.")
    )


@router.message(inline(F.text == "/cancel"))
async def cancel(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(_("Cancelled."))
