"""Whatever no other handler took: stickers, photos, stale buttons, unknown commands."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from handlers.filters import inline
from handlers.keyboards import main_menu
from storage.uow import UnitOfWork
from surveys import service as surveys
from surveys.actors import Actor

router = Router(name=__name__)


@router.message(inline(F.chat.type == "private"))
async def anything_else(message: Message, uow: UnitOfWork, actor: Actor) -> None:
    async with uow.transaction() as session:
        in_survey = await surveys.open_session_of(session, actor.key) is not None
    if in_survey:
        await message.answer(
            _("I can only take answers as buttons or text. Please answer the question above.")
        )
    elif message.text and message.text.startswith("/"):
        await message.answer(_("Unknown command. See /help."))
    else:
        await message.answer(
            _("I did not understand. Choose what you would like to do:"),
            reply_markup=main_menu(actor.is_employee, actor.is_officer),
        )


@router.callback_query()
async def stale_button(query: CallbackQuery) -> None:
    await query.answer(_("This button is no longer active."))
