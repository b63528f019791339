"""Showing a questionnaire and opening one, after the step's commit and never before.

Shared by the respondent's handlers (handlers.respondent), the finder, invitations,
campaigns and a case's research questionnaire: each opens with `begin` or
`open_questionnaire` + `present_opening`, and shows what a step led to with `render_step`.
"""

from __future__ import annotations

from datetime import datetime

from aiogram import Bot
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from handlers import keyboards
from handlers.render import consent_text, current_locale, question_text, thanks_text
from handlers.replies import edit_in_place
from registry import directory
from storage.uow import UnitOfWork
from surveys import profiles
from surveys import service as surveys
from surveys.actors import Actor
from surveys.service import Outcome, StepResult, SurveyPolicy
from surveys.views import QuestionView

EXTERNAL = "touchpoint"
INTERNAL = "internal_service"


async def show_question(
    bot: Bot, uow: UnitOfWork, chat_id: int, view: QuestionView, message: Message | None
) -> None:
    """Show the question by editing `message`, or by a new message remembered for later edits."""
    text = question_text(view)
    markup = keyboards.question_keyboard(view, current_locale())
    if message is not None and await edit_in_place(message, text, markup):
        message_id = message.message_id
    else:  # no message to edit, or it cannot be edited any more: the question anew
        sent = await bot.send_message(chat_id, text, reply_markup=markup)
        message_id = sent.message_id
    if view.message_id != message_id:
        async with uow.transaction() as session:
            await surveys.set_message(session, view.session_id, message_id)


async def render_step(
    bot: Bot, uow: UnitOfWork, chat_id: int, result: StepResult, message: Message | None
) -> None:
    """Say what happened after the step was committed (never before)."""
    if result.outcome == Outcome.QUESTION and result.view is not None:
        if result.resumed:
            await bot.send_message(
                chat_id, _("You have an unfinished questionnaire, let us go on.")
            )
            message = None
        await show_question(bot, uow, chat_id, result.view, message)
    elif result.outcome == Outcome.COMPLETED and result.response_id is not None:
        commented = bool(result.extra.get("commented"))
        text, markup = (
            thanks_text(chat_id, commented=commented),
            keyboards.opt_in_keyboard(session_of(result), False, False, commented=commented),
        )
        if message is not None:
            await edit_in_place(message, text, markup)
        else:
            await bot.send_message(chat_id, text, reply_markup=markup)
    elif result.outcome == Outcome.LIMIT:
        await bot.send_message(
            chat_id,
            _(
                "You have already rated this service today — thank you! "
                "You can rate it again tomorrow."
            ),
        )
    elif result.outcome == Outcome.EXPIRED:
        text = _("This questionnaire has expired. Open the link again to start anew.")
        if message is not None:
            await edit_in_place(message, text)
        else:
            await bot.send_message(chat_id, text)
    elif result.outcome == Outcome.UNAVAILABLE:
        await bot.send_message(chat_id, _("This service is not being rated at the moment."))
    elif result.outcome == Outcome.EMPLOYEES_ONLY:
        await bot.send_message(chat_id, _("Rating internal services is for employees."))


def session_of(result: StepResult) -> int:
    return int(result.extra.get("session_id", 0))


async def outsider_to(
    session: AsyncSession, actor: Actor, touchpoint_id: int | None, process_id: int | None
) -> bool:
    """A non-employee asking for an internal service (by link, button or forged data)."""
    if actor.is_employee:
        return False
    return await directory.is_internal_service(
        session, touchpoint_id=touchpoint_id, process_id=process_id
    )


async def open_questionnaire(
    session: AsyncSession,
    actor: Actor,
    *,
    touchpoint_id: int,
    process_id: int,
    policy: SurveyPolicy,
    now: datetime,
    questionnaire_code: str | None = None,
    message_id: int | None = None,
    consented: bool = False,
) -> StepResult | None:
    """Inside the caller's transaction: open (or resume) the questionnaire; None until the
    person has consented. ``message_id``: the message the first question will be shown in.
    An internal service is for employees: anyone else is refused before consent is asked.
    ``consented``: the caller has just checked the service and recorded the consent."""
    if not consented:
        if await outsider_to(session, actor, touchpoint_id, process_id):
            return StepResult(Outcome.EMPLOYEES_ONLY)
        if not await profiles.has_consented(session, actor.key):
            return None
    return await surveys.start_survey(
        session,
        policy,
        actor.key,
        questionnaire_code=questionnaire_code or (EXTERNAL if touchpoint_id else INTERNAL),
        touchpoint_id=touchpoint_id or None,
        process_id=process_id or None,
        department_id=None if touchpoint_id else actor.department_id,
        now=now,
        message_id=message_id,
    )


async def present_opening(
    bot: Bot,
    uow: UnitOfWork,
    chat_id: int,
    result: StepResult | None,
    *,
    touchpoint_id: int,
    process_id: int,
    message: Message | None = None,
) -> None:
    """After the commit: the consent note (no result yet) or the first question."""
    if result is not None:
        await render_step(bot, uow, chat_id, result, message)
        return
    text = consent_text(chat_id)
    markup = keyboards.consent_keyboard(touchpoint_id, process_id)
    if message is not None:
        await edit_in_place(message, text, markup)
    else:
        await bot.send_message(chat_id, text, reply_markup=markup)


async def begin(
    bot: Bot,
    uow: UnitOfWork,
    actor: Actor,
    chat_id: int,
    *,
    touchpoint_id: int,
    process_id: int,
    clock: Clock,
    policy: SurveyPolicy,
    message: Message | None = None,
    questionnaire_code: str | None = None,
) -> None:
    """Ask for consent on first use, then open (or resume) the questionnaire.

    ``questionnaire_code`` overrides the default (touchpoint or internal service), e.g. the
    research questionnaire of a reengineering case.
    """
    async with uow.transaction() as session:
        result = await open_questionnaire(
            session,
            actor,
            touchpoint_id=touchpoint_id,
            process_id=process_id,
            policy=policy,
            now=clock(),
            questionnaire_code=questionnaire_code,
        )
    await present_opening(
        bot,
        uow,
        chat_id,
        result,
        touchpoint_id=touchpoint_id,
        process_id=process_id,
        message=message,
    )
