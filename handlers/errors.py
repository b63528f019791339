"""The last line of defence: the person always gets a clear answer, the log the traceback."""

from __future__ import annotations

import logging
from contextlib import suppress

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import ErrorEvent
from aiogram.utils.i18n import gettext as _

router = Router(name=__name__)
log = logging.getLogger(__name__)


@router.errors(ExceptionTypeFilter(Exception))
async def unexpected_error(event: ErrorEvent, bot: Bot) -> bool:
    update = event.update
    # Only the update id and kind: never the text or the sender.
    log.error(
        "update %s (%s) failed", update.update_id, update.event_type, exc_info=event.exception
    )
    text = _("Sorry, something went wrong on our side. Please try again in a minute.")
    query = update.callback_query
    with suppress(TelegramAPIError):
        if query is not None:
            try:
                await query.answer(text, show_alert=True)
            except TelegramAPIError:
                # Already answered («Готовлю отчёт…»): Telegram takes one answer per button,
                # so the apology goes to the chat instead of being lost.
                if query.message is not None:
                    await bot.send_message(query.message.chat.id, text)
        elif update.message is not None:
            await update.message.answer(text)
    return True
