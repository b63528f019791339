"""The officer chooses the organisation's reengineering regulation (/regulation, the menu).

Included under the officer-only router (handlers.build_root_router), so only
client-centricity officers reach it; the choice applies to cases opened afterwards, open cases
keep their own.
"""

from __future__ import annotations

from contextlib import suppress
from html import escape

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from handlers.callbacks import MenuCb, RegulationCb
from handlers.replies import show_page
from reengineering.cases import CaseError
from reengineering.regulation import (
    RegulationSummary,
    current_regulation,
    regulation_summaries,
    set_regulation,
)
from storage.uow import UnitOfWork
from surveys.actors import Actor

router = Router(name=__name__)


def _line(item: RegulationSummary, current: str) -> str:
    mark = "✅" if item.id == current else "▫️"
    deadlines = (
        _("deadlines counted by the regulation")
        if item.counted
        else _("due dates set by the officer")
    )
    return f"{mark} <b>{escape(item.title)}</b>\n    " + _("{steps} steps; {deadlines}").format(
        steps=item.steps, deadlines=deadlines
    )


def _choices(current: str) -> tuple[str, InlineKeyboardMarkup]:
    summaries = regulation_summaries()
    builder = InlineKeyboardBuilder()
    for item in summaries:
        if item.id != current:
            builder.button(text=item.title[:60], callback_data=RegulationCb(t=item.id))
    builder.adjust(1)
    lines = [
        _("<b>The reengineering regulation of the organisation</b>"),
        _("New cases open under the chosen one; open cases keep their own."),
        "",
        *(_line(item, current) for item in summaries),
    ]
    return "\n".join(lines), builder.as_markup()


async def _show(message: Message, uow: UnitOfWork, *, edit: bool) -> None:
    async with uow.transaction() as session:
        current = await current_regulation(session)
    text, markup = _choices(current)
    await show_page(message, text, markup, edit=edit)


@router.message(Command("regulation"))
async def regulation_command(message: Message, uow: UnitOfWork) -> None:
    await _show(message, uow, edit=False)


@router.callback_query(MenuCb.filter(F.item == "regulation"))
async def regulation_from_menu(query: CallbackQuery, uow: UnitOfWork) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        await _show(query.message, uow, edit=False)


@router.callback_query(RegulationCb.filter())
async def choose_regulation(
    query: CallbackQuery, callback_data: RegulationCb, uow: UnitOfWork, actor: Actor
) -> None:
    """A tap asks to confirm; the confirmation stores the choice (officers only)."""
    message = query.message if isinstance(query.message, Message) else None
    if not actor.is_officer:  # the router is officer-only; never trust a forged button
        await query.answer(_("Only the client-centricity officer chooses the regulation."))
        return
    summaries = {item.id: item for item in regulation_summaries()}
    chosen = summaries.get(callback_data.t)
    if chosen is None:
        await query.answer()
        if message is not None:
            await _show(message, uow, edit=True)
        return
    if not callback_data.ok:
        builder = InlineKeyboardBuilder()
        builder.button(text=_("Choose"), callback_data=RegulationCb(t=chosen.id, ok=True))
        builder.button(text=_("Cancel"), callback_data=RegulationCb())
        builder.adjust(1)
        await query.answer()
        if message is not None:
            with suppress(TelegramBadRequest):
                await message.edit_text(
                    _(
                        "Open new reengineering cases under «{title}»? Open cases keep the "
                        "regulation they were opened under."
                    ).format(title=escape(chosen.title)),
                    reply_markup=builder.as_markup(),
                )
        return
    try:
        async with uow.transaction() as session:
            await set_regulation(session, chosen.id)
    except CaseError as error:
        await query.answer(error.text(_), show_alert=True)
        return
    await query.answer(_("The regulation is chosen."))
    if message is not None:
        await _show(message, uow, edit=True)
