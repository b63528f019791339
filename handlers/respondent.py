"""Citizens: a touchpoint link or QR → consent → questions on one edited message → thanks.

Finding a service without a link is handlers.finder; showing and opening a questionnaire is
handlers.asking.
"""

from __future__ import annotations

import logging
from contextlib import suppress

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import CommandObject, CommandStart, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from handlers import keyboards
from handlers.asking import (
    open_questionnaire,
    outsider_to,
    present_opening,
    render_step,
    session_of,
    show_question,
)
from handlers.callbacks import AnswerCb, ConsentCb, OptInCb
from handlers.filters import TYPED_TEXT, inline
from handlers.render import thanks_text
from handlers.replies import ack, edit_in_place
from registry import directory
from registry.links import PAYLOAD_PREFIX
from storage.uow import UnitOfWork
from surveys import opt_ins, profiles
from surveys import service as surveys
from surveys.actors import Actor
from surveys.forgetting import was_forgotten
from surveys.invites import INVITE_PREFIX
from surveys.service import Outcome, StepResult, SurveyPolicy

SEARCH_LIMIT = 48  # places a search offers, a page at a time

router = Router(name=__name__)
# Answers to a questionnaire: the most frequent updates by far, so the root router tries
# these handlers first instead of every other router's filters (about 25 routers and 60
# checks for a message). What they take is the respondent's whatever the routers below hold:
# callback data with the respondent's own prefixes, a touchpoint's link (`/start t-…`: no
# other /start payload has that prefix), and typed text outside any conversation state (every
# other text handler waits in a state of its own). The same handlers stay registered in their
# place below for what only reaches them there (another payload, text in a stale state).
answers = Router(name=__name__ + ".answers")
log = logging.getLogger(__name__)


@answers.message(
    CommandStart(deep_link=True), inline(F.text.startswith("/start " + PAYLOAD_PREFIX))
)
@router.message(CommandStart(deep_link=True), inline(~F.text.contains(" " + INVITE_PREFIX)))
async def start_with_payload(
    message: Message,
    command: CommandObject,
    bot: Bot,
    uow: UnitOfWork,
    actor: Actor,
    clock: Clock,
    policy: SurveyPolicy,
) -> None:
    payload = (command.args or "").strip()
    result: StepResult | None = None
    async with uow.transaction() as session:  # one transaction: the link and the opening
        target = await directory.payload_target(session, payload)
        if target is not None:
            result = await open_questionnaire(
                session,
                actor,
                touchpoint_id=target[0],
                process_id=target[1],
                policy=policy,
                now=clock(),
            )
    if target is None:
        await message.answer(
            _(
                "This link is not recognised: perhaps the QR code is outdated. "
                "Choose the service from the list or type part of its name."
            ),
            reply_markup=keyboards.main_menu(actor.is_employee, actor.is_officer),
        )
        return
    await present_opening(
        bot, uow, message.chat.id, result, touchpoint_id=target[0], process_id=target[1]
    )


async def _consent_refusal(
    session: AsyncSession, actor: Actor, callback_data: ConsentCb
) -> str | None:
    """Why this consent may not open the questionnaire (the same checks as /rate), or None."""
    if callback_data.tp == 0 and not actor.is_employee:
        return _("Rating internal services is for employees.")
    if callback_data.tp != 0:  # a touchpoint of an internal service is for employees too
        if await outsider_to(session, actor, callback_data.tp, callback_data.pr):
            return _("Rating internal services is for employees.")
        return None
    internal = {pid for pid, _name in await directory.internal_services(session)}
    if callback_data.pr not in internal:  # an internal service: only one of those rated now
        return _("This service is not being rated at the moment.")
    return None


@answers.callback_query(ConsentCb.filter())
async def consent(
    query: CallbackQuery,
    callback_data: ConsentCb,
    bot: Bot,
    uow: UnitOfWork,
    actor: Actor,
    clock: Clock,
    policy: SurveyPolicy,
) -> None:
    message = query.message if isinstance(query.message, Message) else None
    if not callback_data.ok:
        await ack(query)
        if message is not None:
            await edit_in_place(message, _("Understood. Nothing has been saved. Thank you!"))
        return
    async with uow.transaction() as session:  # one transaction: the checks, consent, opening
        refusal = await _consent_refusal(session, actor, callback_data)
        if refusal is None:
            now = clock()
            await surveys.give_consent(session, actor.key, now)
            result = await open_questionnaire(
                session,
                actor,
                touchpoint_id=callback_data.tp,
                process_id=callback_data.pr,
                policy=policy,
                now=now,
                message_id=message.message_id if message is not None else None,
                consented=True,
            )
    if refusal is not None:
        await ack(query, refusal, show_alert=True)
        return
    await ack(query)
    await present_opening(
        bot,
        uow,
        actor.telegram_id,
        result,
        touchpoint_id=callback_data.tp,
        process_id=callback_data.pr,
        message=message,
    )


@answers.callback_query(AnswerCb.filter())
async def answer_button(
    query: CallbackQuery,
    callback_data: AnswerCb,
    bot: Bot,
    uow: UnitOfWork,
    actor: Actor,
    clock: Clock,
    policy: SurveyPolicy,
) -> None:
    async with uow.transaction() as session:
        result = await surveys.press_button(
            session,
            policy,
            actor.key,
            session_id=callback_data.s,
            version=callback_data.v,
            raw=callback_data.x,
            now=clock(),
        )
    message = query.message if isinstance(query.message, Message) else None
    if result.outcome == Outcome.STALE and result.view is None:
        if await _after_forget(query, uow, callback_data.s):
            return
    if result.outcome == Outcome.STALE:
        await ack(query, _("This question has already been answered."))
        if result.view is not None:  # the question now current, in place of the old keyboard
            await show_question(bot, uow, actor.telegram_id, result.view, message)
        return
    if result.outcome == Outcome.ALREADY_DONE:
        await ack(query, _("Your answers have already been saved."))
        if isinstance(query.message, Message):
            recontact, answer = result.extra["opt_in"]
            commented = bool(result.extra.get("commented"))
            markup = keyboards.opt_in_keyboard(
                session_of(result), recontact, answer, commented=commented
            )
            text = thanks_text(actor.telegram_id, commented=commented or answer)
            await edit_in_place(query.message, text, markup)
        return
    if result.outcome == Outcome.REJECTED:
        await query.answer(
            _("This option is not available here. Please choose one of the buttons.")
        )
        return
    await ack(query)
    await render_step(bot, uow, actor.telegram_id, result, message)


@answers.callback_query(OptInCb.filter())
async def opt_in(
    query: CallbackQuery, callback_data: OptInCb, uow: UnitOfWork, actor: Actor, clock: Clock
) -> None:
    async with uow.transaction() as session:
        changed = await opt_ins.set_opt_in(
            session,
            actor.key,
            session_id=callback_data.s,
            kind=callback_data.k,
            chat_id=actor.telegram_id,
            now=clock(),
        )
        respondent = await profiles.get_respondent(session, actor.key)
        flags = (respondent.recontact_ok, respondent.answer_ok) if respondent else (False, False)
        commented = await opt_ins.offers_answer(session, callback_data.s)
    if changed is None:
        if not await _after_forget(query, uow, callback_data.s):
            await query.answer(_("This button is no longer active."))
        return
    await query.answer(_("Saved. You can withdraw this with /forget."))
    if isinstance(query.message, Message):
        with suppress(TelegramBadRequest):
            await query.message.edit_reply_markup(
                reply_markup=keyboards.opt_in_keyboard(callback_data.s, *flags, commented=commented)
            )


async def _after_forget(query: CallbackQuery, uow: UnitOfWork, session_id: int) -> bool:
    """An old button under a questionnaire the person unlinked with /forget: say so and how to
    start again, in place of the dead keyboard (not «already answered»)."""
    async with uow.transaction() as session:
        if not await was_forgotten(session, session_id):
            return False
    await ack(query)
    text = _(
        "Your answers are no longer linked to you (/forget), so this button no longer works. "
        "To rate a service again, send /start or scan the QR code."
    )
    if isinstance(query.message, Message):
        await edit_in_place(query.message, text)
    return True


@answers.message(StateFilter(None), TYPED_TEXT)
@router.message(TYPED_TEXT)
async def typed_text(
    message: Message,
    bot: Bot,
    uow: UnitOfWork,
    actor: Actor,
    clock: Clock,
    policy: SurveyPolicy,
    state: FSMContext,
) -> None:
    """A typed answer inside a questionnaire; outside one, a search for a service."""
    text = message.text or ""
    async with uow.transaction() as session:
        result = await surveys.answer_text(session, policy, actor.key, text=text, now=clock())
    if result.outcome == Outcome.NO_SESSION:
        async with uow.transaction() as session:
            found = await directory.search_touchpoints(session, text, SEARCH_LIMIT)
        if found:  # the words, for its other pages (finder.search_page); /forget clears them
            await state.update_data(search=text)
        await _search_answer(message, found, actor)
        return
    if result.outcome == Outcome.TOO_LONG:
        await message.answer(
            _(
                "Your message is {length} characters long; the limit is {limit}. "
                "Please shorten it and send it again."
            ).format(length=len(text.strip()), limit=result.extra["limit"])
        )
        return
    if result.outcome == Outcome.EXPECTS_BUTTON and result.view is not None:
        await message.answer(_("Please answer with the buttons under the question."))
        await show_question(bot, uow, message.chat.id, result.view, None)
        return
    if result.outcome == Outcome.REJECTED:
        await message.answer(_("An empty message cannot be saved. Please write your answer."))
        return
    await _close_keyboard(bot, message.chat.id, result)
    await render_step(bot, uow, message.chat.id, result, None)


async def _close_keyboard(bot: Bot, chat_id: int, result: StepResult) -> None:
    """A typed answer goes on in a new message: the question answered loses its buttons
    («Пропустить», «← Назад»), so none stays live above the next question or the thanks."""
    answered = result.extra.get("answered_message_id")
    if answered:
        with suppress(TelegramBadRequest):
            await bot.edit_message_reply_markup(
                chat_id=chat_id, message_id=int(answered), reply_markup=None
            )


async def _search_answer(message: Message, found: list[tuple[int, str]], actor: Actor) -> None:
    if not found:
        await message.answer(
            _("Nothing was found. Try another word, or choose the service from the list."),
            reply_markup=keyboards.main_menu(actor.is_employee, actor.is_officer),
        )
        return
    await message.answer(
        _("Here is what I found. Choose the place where you were served:"),
        reply_markup=keyboards.search_results(found, 0),
    )
