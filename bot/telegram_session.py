"""The Bot API session: JSON request bodies, answers that are not JSON are server errors, and
answer types stay built.

aiogram's `AiohttpSession` posts every call as an urlencoded form: the keyboard is dumped to a
JSON string, then the whole form, Cyrillic text and all, is percent-encoded byte by byte. The
Bot API takes `application/json` bodies as well, so a call without a file is posted as one JSON
document here: about 60 µs of CPU against 165 µs for a question with its keyboard
(bench/README.md, survey_throughput). A call carrying a file keeps aiogram's multipart form.

A proxy in front of the Bot API (nginx, a corporate gateway) answers a failure with an HTML
502 page or a plain-text 500. aiogram raises `ClientDecodeError` for that, which is not a
`TelegramAPIError`, so every loop that retries 5xx (polling, the outbox sender, start-up)
would stop. Here such an answer becomes a `TelegramServerError`, retried like any 5xx.

aiogram validates every answer as `Response[<the method's result type>]`. pydantic keeps
parametrized models only weakly, so each full garbage collection dropped them and the next
answer built the validator again: a tenth of a second of CPU per type, several times a
minute under load (bench/README.md, survey_throughput). This session holds each one it has
used, so each is built once per process.

aiogram's models are built on first use (bot.aiogram_lazy), which is right for the hundreds
of types this bot never touches but wrong for those every questionnaire needs: the update,
the message, the callback, the keyboard and the five calls of a respondent's answer took
about 0.4 s of CPU out of the first respondents' answers after each start. `build_hot_models`
builds them at start-up instead (`bot.factory.create_bot`), before the heap is frozen.

An edit is answered with the whole edited message, keyboard and all: thirteen aiogram models
and about 0.1 ms of CPU for a question of seven buttons, on nearly every answer a respondent
gives, for a message the bot has just written and never reads back. Telegram's own answer
to an edit may be `True` (an inline message), so the edits' result type is `Message | bool`;
once Telegram said ok, an edit gets `True` here (`ANSWER_NOT_READ`).
"""

from __future__ import annotations

import json
from functools import lru_cache
from http import HTTPStatus
from typing import Any, ClassVar, cast

from aiogram import Bot
from aiogram.client.default import Default
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import ClientDecodeError, TelegramNetworkError, TelegramServerError
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageReplyMarkup,
    EditMessageText,
    GetUpdates,
    SendMessage,
    TelegramMethod,
)
from aiogram.methods.base import Response, TelegramType
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from aiohttp import ClientError, ClientTimeout
from pydantic import BaseModel, ValidationError

JSON_HEADERS = {"Content-Type": "application/json"}


class _NotPlain(Exception):
    """A value only aiogram's preparation turns into JSON (a file, a date, a default)."""


def _not_plain(value: Any) -> Any:
    raise _NotPlain


_PLAIN_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_not_plain)
HOT_TYPES = (Update, Message, CallbackQuery, InlineKeyboardMarkup, InlineKeyboardButton)
"""What every update of a questionnaire parses or builds."""
HOT_METHODS = (
    GetUpdates,
    SendMessage,
    EditMessageText,
    EditMessageReplyMarkup,
    AnswerCallbackQuery,
)
"""The calls of a respondent's answer, and the poll that brings it."""
ANSWER_NOT_READ = (EditMessageText, EditMessageReplyMarkup)
"""Calls whose answer (the edited message) is checked for ok and not built: nothing reads it."""


class _Ok(BaseModel):
    """The part of a Bot API answer an unread result needs: whether it succeeded."""

    ok: bool


@lru_cache(maxsize=16)
def _timeout(seconds: float) -> ClientTimeout:
    return ClientTimeout(total=seconds)


class TolerantSession(AiohttpSession):
    """`AiohttpSession` posting JSON, whose undecodable answers raise `TelegramServerError`."""

    answer_types: ClassVar[dict[Any, type[BaseModel]]] = {}
    """`Response[T]` by the method's result type T, held so pydantic never drops them."""

    def json_body(self, bot: Bot, method: TelegramMethod[TelegramType]) -> bytes | None:
        """The call's parameters as one JSON document, or None when it carries a file.

        Nearly every call is plain data once the bot's defaults are filled in: pydantic's
        dump (nothing empty) goes straight to the encoder. A call with anything else in it,
        a file, a date or a default deeper down, takes aiogram's own preparation
        (`prepare_value`), so both ways give the same parameters.
        """
        params: dict[str, Any] = {}
        for key, value in method.model_dump(warnings=False, exclude_none=True).items():
            if isinstance(value, Default):
                value = bot.default[value.name]
            if value:  # aiogram's form leaves out every empty value the same way
                params[key] = value
        try:
            return _PLAIN_JSON.encode(params).encode()
        except _NotPlain:
            return self.prepared_body(bot, method)

    def prepared_body(self, bot: Bot, method: TelegramMethod[TelegramType]) -> bytes | None:
        """`json_body` by aiogram's `prepare_value`: dates as timestamps, files attached."""
        files: dict[str, Any] = {}
        params: dict[str, Any] = {}
        for key, value in method.model_dump(warnings=False).items():
            prepared = self.prepare_value(value, bot=bot, files=files, _dumps_json=False)
            if prepared:  # aiogram's form leaves out every empty value the same way
                params[key] = prepared
        if files:
            return None
        return self.json_dumps(params).encode()

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 (aiogram's signature)
    ) -> TelegramType:
        body = self.json_body(bot, method)
        if body is None:  # a file to upload: aiogram's multipart form
            return await super().make_request(bot, method, timeout)
        session = await self.create_session()
        url = self.api.api_url(token=bot.token, method=method.__api_method__)
        try:
            async with session.post(
                url,
                data=body,
                headers=JSON_HEADERS,
                timeout=_timeout(self.timeout if timeout is None else timeout),
            ) as answer:
                content = await answer.text()
        except TimeoutError as error:  # the same errors as aiogram's own session
            raise TelegramNetworkError(method=method, message="Request timeout error") from error
        except ClientError as error:
            message = f"{type(error).__name__}: {error}"
            raise TelegramNetworkError(method=method, message=message) from error
        response = self.check_response(bot, method, answer.status, content)
        return cast(TelegramType, response.result)

    @classmethod
    def answer_type(cls, returning: Any) -> type[BaseModel]:
        """`Response[returning]`, held for the life of the process."""
        held = cls.answer_types.get(returning)
        if held is None:
            held = cls.answer_types[returning] = Response[returning]  # type: ignore[valid-type]
        return held

    def check_response(
        self, bot: Bot, method: TelegramMethod[TelegramType], status_code: int, content: str
    ) -> Response[TelegramType]:
        answer_type = self.answer_type(method.__returning__)
        if HTTPStatus.OK <= status_code <= HTTPStatus.IM_USED:
            # A success is read straight from the JSON text (pydantic's own parser); anything
            # else, and anything that does not read, gets aiogram's check and its errors.
            try:
                if isinstance(method, ANSWER_NOT_READ):
                    if _Ok.model_validate_json(content).ok:
                        done = self.answer_type(bool).model_construct(ok=True, result=True)
                        return cast(Response[TelegramType], done)
                answer = answer_type.model_validate_json(content, context={"bot": bot})
            except ValidationError:
                pass
            else:
                if isinstance(answer, Response) and answer.ok:
                    return answer
        try:
            return super().check_response(bot, method, status_code, content)
        except ClientDecodeError as error:
            # Only the status and the kind of body: the body may echo the request.
            raise TelegramServerError(
                method=method, message=f"HTTP {status_code}, the answer is not JSON"
            ) from error


def build_hot_models() -> None:
    """Build now the validators and serializers a respondent's every answer needs.

    pydantic's public `model_rebuild` completes a model still deferred and returns at once
    for one already built, so calling this again (tests, the demo) costs nothing.
    """
    for model in (*HOT_TYPES, *HOT_METHODS):
        model.model_rebuild()
    for method in HOT_METHODS:
        TolerantSession.answer_type(method.__returning__).model_rebuild()
