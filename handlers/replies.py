"""Answering in place: a tap acknowledged, a message edited, a page shown again or anew.

Telegram refuses an edit of a message that is gone or too old, and an edit that changes
nothing; none of these may stop the answer a person is waiting for.
"""

from __future__ import annotations

from contextlib import suppress

from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message


async def ack(query: CallbackQuery, text: str | None = None, show_alert: bool = False) -> None:
    """Answer the tap; a late answer ("query is too old") or a 5xx must not stop the next
    question: the spinner ends by itself, the question does not show itself."""
    with suppress(TelegramAPIError):
        await query.answer(text, show_alert=show_alert)


async def edit_in_place(message: Message, text: str, markup: object | None = None) -> bool:
    """Edit in place; an identical edit (a double tap that slipped through) is harmless.

    False when Telegram refused the edit (the message was deleted, or is too old).
    """
    try:
        await message.edit_text(text, reply_markup=markup)  # type: ignore[arg-type]
    except TelegramBadRequest as error:
        return "not modified" in error.message
    return True


async def show_page(
    message: Message, text: str, markup: InlineKeyboardMarkup, *, edit: bool
) -> None:
    """A list's page: in place of the page shown (`edit`, a pager's tap) or as a new message.

    An edit Telegram refuses (the same page tapped again) leaves the page as it is.
    """
    if edit:
        with suppress(TelegramBadRequest):
            await message.edit_text(text, reply_markup=markup)
        return
    await message.answer(text, reply_markup=markup)
