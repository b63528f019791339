"""Telegram's inline keyboards as MAX's: callback data becomes a callback button's payload."""

from __future__ import annotations

from typing import Any

from aiogram.types import InlineKeyboardMarkup
from maxapi.types import CallbackButton, LinkButton
from maxapi.utils.inline_keyboard import InlineKeyboardBuilder


def keyboard(markup: Any) -> list[Any]:
    """The attachments that carry the keyboard (none for no keyboard or a reply keyboard)."""
    if not isinstance(markup, InlineKeyboardMarkup) or not markup.inline_keyboard:
        return []
    builder = InlineKeyboardBuilder()
    for row in markup.inline_keyboard:
        buttons: list[Any] = []
        for button in row:
            if button.callback_data is not None:
                buttons.append(CallbackButton(text=button.text, payload=button.callback_data))
            elif button.url is not None:
                buttons.append(LinkButton(text=button.text, url=button.url))
        if buttons:
            builder.row(*buttons)
    return [builder.as_markup()]
