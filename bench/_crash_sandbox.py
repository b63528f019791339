"""The sandbox Bot API of the crash test, taking notes for the figures."""

from __future__ import annotations

import contextvars
import time
from collections import Counter
from typing import Any

from _crash_crowd import THANKS, text_of
from aiohttp import web
from aiohttp.typedefs import Handler

from sandbox import SandboxServer
from sandbox.errors import ApiError
from sandbox.telegram.params import Params
from sandbox.telegram.records import ChatRecord, MessageRecord

OUTBOX_PREFIX = "crash-outbox #"

SENDER: contextvars.ContextVar[str] = contextvars.ContextVar("sender", default="")


@web.middleware
async def note_sender(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Remember which bot token (which bot incarnation) made this Bot API call."""
    SENDER.set(request.match_info.get("token", ""))
    return await handler(request)


class RecordingSandbox(SandboxServer):
    """The sandbox, taking notes for the figures.

    Which bot token (one per bot incarnation) sent each outbox message; when each chat first
    showed the thanks and which bot messages came after it; which callback queries the bot
    answered too late ("query is too old").
    """

    def __init__(self, **config: Any) -> None:
        super().__init__(**config)
        self.outbox_sends: list[tuple[float, str, int, str]] = []
        self.thanks_at: dict[int, float] = {}
        self.after_thanks: dict[int, list[str]] = {}
        self.too_old: set[str] = set()
        self.api_errors: Counter[str] = Counter()

    async def call_method(self, method: str, params: Params) -> Any:
        try:
            return await super().call_method(method, params)
        except ApiError as error:
            self.api_errors[f"{method} {error.error_code}: {error.description[:60]}"] += 1
            if method.lower() == "answercallbackquery" and "too old" in error.description:
                self.too_old.add(str(params.get_str("callback_query_id")))
            raise

    def make_app(self) -> web.Application:
        app = super().make_app()
        app.middlewares.append(note_sender)
        return app

    def _note(self, chat: ChatRecord, message: dict[str, Any], new: bool) -> None:
        text = text_of(message)
        if chat.id in self.thanks_at and new:
            self.after_thanks.setdefault(chat.id, []).append(text)
        if THANKS in text and chat.id not in self.thanks_at:
            self.thanks_at[chat.id] = time.monotonic()

    def add_bot_message(
        self, chat: ChatRecord, body: dict[str, Any], sent_markup: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        message = super().add_bot_message(chat, body, sent_markup)
        self._note(chat, message, True)
        text = str(message.get("text") or "")
        if text.startswith(OUTBOX_PREFIX):
            self.outbox_sends.append((time.monotonic(), SENDER.get(), chat.id, text))
        return message

    def edit_bot_message(
        self, chat: ChatRecord, record: MessageRecord, message: dict[str, Any]
    ) -> None:
        super().edit_bot_message(chat, record, message)
        self._note(chat, message, False)
