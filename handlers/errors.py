"""The last line of defence: the person always gets a clear answer, the log the traceback."""

from __future__ import annotations

import logging
from contextlib import suppress

from aiogram import Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import ErrorEvent
from aiogram.utils.i18n import gettext as _

router = Router(name=__name__)
log = logging.getLogger(__name__)


@router.errors(ExceptionTypeFilter(Exception))
async def unexpected_error(event: ErrorEvent) -> bool:
    update = event.update
    # Only the update id and kind: never the text or the sender.
    log.error(
        "update %s (%s) failed", update.update_id, update.event_type, exc_info=event.exception
    )
    text = _("Sorry, something went wrong on our side. Please try again in a minute.")
    with suppress(TelegramAPIError):
        if update.callback_query is not None:
            await update.callback_query.answer(text, show_alert=True)
        elif update.message is not None:
            await update.message.answer(text)
    return True
