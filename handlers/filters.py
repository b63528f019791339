"""Router filters: roles, and magic filters that run on the event loop."""

from __future__ import annotations

from typing import Any

from aiogram import F
from aiogram.filters import Filter
from aiogram.types import CallbackQuery, Message, TelegramObject
from magic_filter import MagicFilter


class IsOfficer(Filter):
    """Passes only for a client-centricity officer (data prepared by ActorMiddleware)."""

    async def __call__(self, event: TelegramObject, **data: Any) -> bool:
        actor = data.get("actor")
        return bool(actor is not None and actor.is_officer)


class InPrivateChat(Filter):
    """A message, or a button under one, in a one-to-one chat with the bot.

    The root router's check of every update: two attribute reads, where the magic filter
    `F.message.chat.type == "private"` walked its operations for each.
    """

    async def __call__(self, event: TelegramObject, /) -> bool:
        if isinstance(event, Message):
            return event.chat.type == "private"
        # A button's message may be one Telegram no longer shows (InaccessibleMessage): it
        # still says its chat.
        message = event.message if isinstance(event, CallbackQuery) else None
        return message is not None and message.chat.type == "private"


class Inline(Filter):
    """A magic filter (`F.text`, `F.chat.type == "private"`) evaluated in place.

    aiogram runs every synchronous filter in a thread pool, `F` expressions included: a
    thread hop and two wake-ups per check, several checks per update. These are attribute
    reads; as an awaitable Filter they run on the event loop. Use `inline(F...)` wherever a
    magic filter guards a handler or a router (a test checks none is left synchronous).
    """

    def __init__(self, magic: MagicFilter) -> None:
        self.magic = magic

    async def __call__(self, event: TelegramObject, /) -> Any:
        return self.magic.resolve(event)

    def __str__(self) -> str:
        return f"inline({self.magic!r})"


def inline(magic: MagicFilter) -> Inline:
    return Inline(magic)


# A typed message that is not a command: the answer to a prompt or a free-text question.
TYPED_TEXT = inline(F.text & ~F.text.startswith("/"))
