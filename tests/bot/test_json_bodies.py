"""Bot API calls go out as JSON documents; a call carrying a file keeps the multipart form."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.telegram_session import TolerantSession
from tests.conftest import TEST_TOKEN

MESSAGE: dict[str, Any] = {
    "message_id": 7,
    "date": 0,
    "chat": {"id": 42, "type": "private"},
    "text": "x",
}


@pytest.fixture
async def received() -> AsyncIterator[tuple[list[dict[str, Any]], str]]:
    """A Bot API stand-in recording each request's content type and parameters."""
    requests: list[dict[str, Any]] = []

    async def method(request: web.Request) -> web.Response:
        entry: dict[str, Any] = {"type": request.content_type}
        if request.content_type == "application/json":
            entry["params"] = await request.json()
        else:
            form = await request.post()
            entry["params"] = {key: str(value) for key, value in form.items()}
        requests.append(entry)
        return web.json_response({"ok": True, "result": MESSAGE})

    app = web.Application()
    app.router.add_post("/bot{token}/{method}", method)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield requests, str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


def _bot(base: str) -> Bot:
    session = TolerantSession(api=TelegramAPIServer.from_base(base))
    return Bot(TEST_TOKEN, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


async def test_a_message_with_its_keyboard_is_one_json_document(
    received: tuple[list[dict[str, Any]], str],
) -> None:
    requests, base = received
    bot = _bot(base)
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Пять «с плюсом»", callback_data="a:5")]]
    )
    try:
        sent = await bot.send_message(
            42,
            "Оцените услугу «Справка» & <b>честно</b>",
            reply_markup=markup,
            disable_notification=False,
        )
    finally:
        await bot.session.close()
    assert sent.message_id == 7
    [request] = requests
    assert request["type"] == "application/json"
    params = request["params"]
    assert params["text"] == "Оцените услугу «Справка» & <b>честно</b>"
    assert params["parse_mode"] == "HTML"  # the bot's default, filled in as aiogram does
    # The keyboard is an object inside the document, not a JSON string inside a form.
    assert params["reply_markup"] == {
        "inline_keyboard": [[{"text": "Пять «с плюсом»", "callback_data": "a:5"}]]
    }
    # Empty values are left out, as aiogram's form leaves them out.
    assert "disable_notification" not in params


async def test_a_file_goes_as_multipart(received: tuple[list[dict[str, Any]], str]) -> None:
    requests, base = received
    bot = _bot(base)
    try:
        await bot.send_document(42, BufferedInputFile(b"a;b\n", "report.csv"), caption="Отчёт")
    finally:
        await bot.session.close()
    [request] = requests
    assert request["type"] == "multipart/form-data"
    assert request["params"]["caption"] == "Отчёт"
    assert request["params"]["chat_id"] == "42"


def _methods() -> list[Any]:
    from datetime import UTC, datetime

    from aiogram.methods import (
        AnswerCallbackQuery,
        BanChatMember,
        EditMessageReplyMarkup,
        EditMessageText,
        SendMediaGroup,
        SendMessage,
    )
    from aiogram.types import InputMediaPhoto, LinkPreviewOptions

    markup = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Назад", callback_data="a:<")]]
    )
    return [
        SendMessage(chat_id=1, text="Вопрос «1»", reply_markup=markup),
        SendMessage(chat_id=1, text="x", link_preview_options=LinkPreviewOptions(is_disabled=True)),
        EditMessageText(chat_id=1, message_id=2, text="<b>Шаг</b>", reply_markup=markup),
        EditMessageReplyMarkup(chat_id=1, message_id=2, reply_markup=None),
        AnswerCallbackQuery(callback_query_id="7", text="Готово", show_alert=False),
        BanChatMember(chat_id=1, user_id=2, until_date=datetime(2030, 1, 1, tzinfo=UTC)),
        SendMediaGroup(chat_id=1, media=[InputMediaPhoto(media="file-id", caption="Фото")]),
    ]


def test_the_fast_body_is_what_aiograms_preparation_gives() -> None:
    session = TolerantSession()
    bot = Bot(TEST_TOKEN, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))
    for method in _methods():
        fast, prepared = session.json_body(bot, method), session.prepared_body(bot, method)
        assert fast is not None and prepared is not None, method
        assert json.loads(fast) == json.loads(prepared), type(method).__name__


async def test_answers_read_from_json_text_as_aiogram_reads_them() -> None:
    from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter, TelegramServerError
    from aiogram.methods import AnswerCallbackQuery, EditMessageText, GetUpdates, SendMessage

    session = TolerantSession()
    bot = Bot(TEST_TOKEN, session=session)
    message = {
        **MESSAGE,
        "entities": [{"type": "bold", "offset": 0, "length": 1}],
        "reply_markup": {"inline_keyboard": [[{"text": "5", "callback_data": "a:5"}]]},
    }
    update = {
        "update_id": 9,
        "callback_query": {
            "id": "1",
            "chat_instance": "c",
            "data": "a:5",
            "message": message,
            "from": {"id": 42, "is_bot": False, "first_name": "Иван"},
        },
    }
    cases: list[tuple[Any, Any]] = [
        (SendMessage(chat_id=42, text="x"), message),
        (EditMessageText(chat_id=42, message_id=7, text="x"), True),
        (AnswerCallbackQuery(callback_query_id="1"), True),
        (GetUpdates(), [update]),
    ]
    try:
        for method, result in cases:
            content = json.dumps({"ok": True, "result": result})
            fast = session.check_response(bot, method, 200, content)
            by_aiogram = BaseSession.check_response(session, bot, method, 200, content)
            assert fast == by_aiogram and type(fast.result) is type(by_aiogram.result)
            if isinstance(fast.result, list):
                assert fast.result[0].callback_query.bot is bot  # the context reaches objects
        edit = EditMessageText(chat_id=42, message_id=7, text="x")
        refused = json.dumps({"ok": False, "error_code": 400, "description": "Bad Request: x"})
        with pytest.raises(TelegramBadRequest):
            session.check_response(bot, edit, 400, refused)
        limited = {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests",
            "parameters": {"retry_after": 3},
        }
        with pytest.raises(TelegramRetryAfter):
            session.check_response(bot, edit, 429, json.dumps(limited))
        with pytest.raises(TelegramServerError):
            session.check_response(bot, edit, 200, "<html>502</html>")
    finally:
        await bot.session.close()


async def test_an_edit_is_answered_true_without_building_the_edited_message() -> None:
    """An edit's answer is the whole edited message, which nothing reads: once Telegram said
    ok it is `True` (the edits' result type is `Message | bool`); a refusal still raises."""
    from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
    from aiogram.methods import EditMessageReplyMarkup, EditMessageText

    session = TolerantSession()
    bot = Bot(TEST_TOKEN, session=session)
    edited = {
        **MESSAGE,
        "reply_markup": {"inline_keyboard": [[{"text": "5", "callback_data": "a:5"}]]},
    }
    content = json.dumps({"ok": True, "result": edited})
    refused = json.dumps({"ok": False, "error_code": 400, "description": "Bad Request: x"})
    try:
        for edit in (
            EditMessageText(chat_id=42, message_id=7, text="x"),
            EditMessageReplyMarkup(chat_id=42, message_id=7),
        ):
            assert session.check_response(bot, edit, 200, content).result is True
            with pytest.raises(TelegramBadRequest):
                session.check_response(bot, edit, 400, refused)
            with pytest.raises(TelegramAPIError):  # "ok": false whatever the status says
                session.check_response(bot, edit, 200, refused)
    finally:
        await bot.session.close()
