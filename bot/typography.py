"""What the bot sends has quotes inside quotes the Russian way, whoever composed the text.

Messages put names in «{process}», «{service}», «{title}» (over two hundred of them in the
catalogue), and a name may bring its own «ёлочки»: «Выдача «справки»». Rather than every
place that formats a name, the bot's session fixes the text once on its way out (aiogram's
request middleware, public API): the handlers' answers, the outbox's messages and, through
the MAX session, MAX alike.
"""

from __future__ import annotations

from typing import Any, TypeVar

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType

from core.russian import nest_quotes

TEXT_FIELDS = ("text", "caption")
SessionT = TypeVar("SessionT", bound=BaseSession)


class NestedQuotes(BaseRequestMiddleware):
    """«…«…»…» becomes «…„…“…» in a method's text or caption before it is sent."""

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        fields = type(method).model_fields  # asked first: a missing attribute costs an error
        for field in TEXT_FIELDS:
            value: Any = getattr(method, field) if field in fields else None
            if isinstance(value, str) and "«" in value:
                fixed = nest_quotes(value)
                if fixed != value:
                    setattr(method, field, fixed)
        return await make_request(bot, method)


def typeset(session: SessionT) -> SessionT:
    """`session` with `NestedQuotes` among its request middlewares (added once); returned."""
    if not any(isinstance(middleware, NestedQuotes) for middleware in session.middleware):
        session.middleware(NestedQuotes())
    return session
