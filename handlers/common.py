"""Everyone: /start without a link, /help, /forget."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from handlers.callbacks import ForgetCb, MenuCb
from handlers.filters import inline
from handlers.keyboards import main_menu
from handlers.menus import Roles
from handlers.render import in_max
from storage.uow import UnitOfWork
from surveys.actors import Actor
from surveys.forgetting import forget_person
from surveys.unreachable import WELCOME_PAYLOAD

router = Router(name=__name__)


def greeting() -> str:
    return _(
        "<b>Hello! This is the feedback bot.</b>\n\n"
        "Here you can rate the service you received: scan the QR code at the place of "
        "service, or choose the service below, or simply type part of its name."
    )


@router.message(CommandStart(deep_link=False))
async def start(message: Message, actor: Actor) -> None:
    await message.answer(
        _welcome(actor), reply_markup=main_menu(actor.is_employee, actor.is_officer)
    )


def staff_greeting(actor: Actor) -> str:
    """What this person can do, by role (#17.2: «Owners and the officer get the citizen's
    greeting on /start … /start and /help that say what this person can do»)."""
    if actor.is_officer:
        title = _("<b>Hello! You are the client-centricity officer in the feedback bot.</b>")
    elif actor.is_owner:
        title = _("<b>Hello! You own processes in the feedback bot: {count}.</b>").format(
            count=len(actor.owned_process_ids)
        )
    else:
        title = _("<b>Hello! You are registered in the feedback bot as an employee.</b>")
    citizen = _(
        "Like everyone, you can rate a service you received: choose it below or type part "
        "of its name."
    )
    return "\n\n".join((title, "\n".join(role_lines(actor)), citizen))


def role_lines(actor: Actor) -> list[str]:
    """The commands of this person's roles, one line each; none for a citizen."""
    lines: list[str] = []
    if actor.is_employee:
        lines.append(_("/rate — rate an internal service: IT, accounting, facilities"))
        lines.append(_("/request — send a request to an internal service; /myrequests — yours"))
    if actor.is_officer:
        lines.append(_("/stats — satisfaction of all processes, the overview chart and reports"))
        lines.append(_("/cases — all reengineering cases; open a case by instruction"))
        lines.append(_("/invite — create an invite link for employees of a department"))
        lines.append(_("/campaign — survey employees about internal services"))
        lines.append(_("/late — internal requests past their deadline"))
    elif actor.is_owner:
        lines.append(
            _("/stats — satisfaction of your processes: trend, pains, comments and reports")
        )
        lines.append(_("/cases — your reengineering cases: steps, deadlines, decisions"))
    if Roles.of(actor).staff:
        lines.append(_("/quiet — your quiet hours, when the bot does not write to you first"))
    if actor.is_owner:
        lines.append(_("Low scores with a comment on your processes come here at once."))
    return lines


@router.message(CommandStart(deep_link=True), inline(F.text == f"/start {WELCOME_PAYLOAD}"))
async def start_from_invitation(message: Message, actor: Actor) -> None:
    """The link an officer passes on to someone the bot could not reach (surveys.unreachable)."""
    await start(message, actor)


def _welcome(actor: Actor) -> str:
    """The greeting, and the news that what waited for the person is on its way."""
    hello = staff_greeting(actor) if Roles.of(actor).staff else greeting()
    if not actor.released:
        return hello
    waited = _("Messages that waited for you: {count}. They follow now.").format(
        count=actor.released
    )
    return f"{hello}\n\n{waited}"


@router.message(Command("help"))
async def help_command(message: Message, actor: Actor) -> None:
    lines = [
        _("<b>What I can do</b>"),
        _("/start — rate a service (or scan the QR code at the place of service)"),
        *(line for line in role_lines(actor) if line.startswith("/")),
    ]
    lines.append(_("/forget — delete the link between you and your answers"))
    lines.append("")
    lines.append(
        _("Answers are stored pseudonymously, without your name or MAX id.")
        if in_max(actor.telegram_id)
        else _("Answers are stored pseudonymously, without your name or Telegram id.")
    )
    await message.answer("\n".join(lines))


def _forget_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Yes, delete"), callback_data=ForgetCb(ok=True))
    builder.button(text=_("Cancel"), callback_data=ForgetCb(ok=False))
    return builder.as_markup()


@router.message(Command("forget"))
async def forget_command(message: Message) -> None:
    await message.answer(
        _(
            "Delete the link between you and your answers? Your answers stay in the statistics "
            "without any link to you; your consents to be contacted are withdrawn and your "
            "client category is forgotten. This cannot be undone."
        ),
        reply_markup=_forget_keyboard(),
    )


@router.callback_query(MenuCb.filter(F.item == "forget"))
async def forget_from_menu(query: CallbackQuery) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        await forget_command(query.message)


@router.callback_query(ForgetCb.filter())
async def forget_confirmed(
    query: CallbackQuery, callback_data: ForgetCb, uow: UnitOfWork, actor: Actor, state: FSMContext
) -> None:
    if not callback_data.ok:
        await query.answer(_("Cancelled."))
        if isinstance(query.message, Message):
            await query.message.edit_text(_("Nothing was deleted."))
        return
    staff = actor.person_id is not None
    async with uow.transaction() as session:
        report = await forget_person(session, actor.key, actor.telegram_id, staff=staff)
    await state.clear()
    await query.answer()
    if isinstance(query.message, Message):
        lines = [
            _(
                "Done: {count} of your answers are no longer linked to you. They stay in the "
                "statistics without your name or any link to this chat; a questionnaire you had "
                "begun cannot be continued. To rate a service again, send /start or scan the QR "
                "code."
            ).format(count=report.responses)
        ]
        if staff:
            lines.append(
                _(
                    "Your staff role stays, and with it your MAX account: the bot brings you "
                    "alerts and tasks through it. To give up the role, ask the client-centricity "
                    "officer."
                )
                if in_max(actor.telegram_id)
                else _(
                    "Your staff role stays, and with it your Telegram account: the bot brings you "
                    "alerts and tasks through it. To give up the role, ask the client-centricity "
                    "officer."
                )
            )
        await query.message.edit_text("\n\n".join(lines))
