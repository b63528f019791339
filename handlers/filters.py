"""Router filters: roles, and magic filters that run on the event loop."""

from __future__ import annotations

from typing import Any

from aiogram import F
from aiogram.filters import Filter
from aiogram.types import TelegramObject
from magic_filter import MagicFilter


class IsOfficer(Filter):
    """Passes only for a client-centricity officer (data prepared by ActorMiddleware)."""

    async def __call__(self, event: TelegramObject, **data: Any) -> bool:
        actor = data.get("actor")
        return bool(actor is not None and actor.is_officer)


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
