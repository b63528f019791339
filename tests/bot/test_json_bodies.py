"""Bot API calls go out as JSON documents; a call carrying a file keeps the multipart form."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.telegram_session import TolerantSession
from tests.conftest import TEST_TOKEN

MESSAGE = {"message_id": 7, "date": 0, "chat": {"id": 42, "type": "private"}, "text": "x"}


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
