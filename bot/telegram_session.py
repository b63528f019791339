"""The Bot API session, with answers that are not JSON treated as the server errors they are.

A proxy in front of the Bot API (nginx, a corporate gateway) answers a failure with an HTML
502 page or a plain-text 500. aiogram raises `ClientDecodeError` for that, which is not a
`TelegramAPIError`, so every loop that retries 5xx (polling, the outbox sender, start-up)
would stop. Here such an answer becomes a `TelegramServerError`, retried like any 5xx.
"""

from __future__ import annotations

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import ClientDecodeError, TelegramServerError
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType


class TolerantSession(AiohttpSession):
    """`AiohttpSession` whose undecodable answers raise `TelegramServerError`."""

    def check_response(
        self, bot: Bot, method: TelegramMethod[TelegramType], status_code: int, content: str
    ) -> Response[TelegramType]:
        try:
            return super().check_response(bot, method, status_code, content)
        except ClientDecodeError as error:
            # Only the status and the kind of body: the body may echo the request.
            raise TelegramServerError(
                method=method, message=f"HTTP {status_code}, the answer is not JSON"
            ) from error
