"""The Bot API session: answers that are not JSON are server errors, and answer types stay built.

A proxy in front of the Bot API (nginx, a corporate gateway) answers a failure with an HTML
502 page or a plain-text 500. aiogram raises `ClientDecodeError` for that, which is not a
`TelegramAPIError`, so every loop that retries 5xx (polling, the outbox sender, start-up)
would stop. Here such an answer becomes a `TelegramServerError`, retried like any 5xx.

aiogram validates every answer as `Response[<the method's result type>]`. pydantic keeps
parametrized models only weakly, so each full garbage collection dropped them and the next
answer built the validator again: a tenth of a second of CPU per type, several times a
minute under load (bench/README.md, survey_throughput). This session holds each one it has
used, so each is built once per process.
"""

from __future__ import annotations

from typing import Any, ClassVar

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import ClientDecodeError, TelegramServerError
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType


class TolerantSession(AiohttpSession):
    """`AiohttpSession` whose undecodable answers raise `TelegramServerError`."""

    answer_types: ClassVar[dict[Any, type]] = {}
    """`Response[T]` by the method's result type T, held so pydantic never drops them."""

    def check_response(
        self, bot: Bot, method: TelegramMethod[TelegramType], status_code: int, content: str
    ) -> Response[TelegramType]:
        returning = method.__returning__
        if returning not in self.answer_types:
            self.answer_types[returning] = Response[returning]  # type: ignore[valid-type]
        try:
            return super().check_response(bot, method, status_code, content)
        except ClientDecodeError as error:
            # Only the status and the kind of body: the body may echo the request.
            raise TelegramServerError(
                method=method, message=f"HTTP {status_code}, the answer is not JSON"
            ) from error
