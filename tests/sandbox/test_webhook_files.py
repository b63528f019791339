"""Webhook delivery with retries, and file upload/download round trips."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramBadRequest, TelegramConflictError
from aiogram.types import BufferedInputFile, Message
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from PIL import Image

from sandbox import SandboxServer


@dataclass
class Receiver:
    """A tiny webhook endpoint whose answers are scripted per request."""

    answers: list[web.Response] = field(default_factory=list)
    seen: list[tuple[dict[str, Any], str | None]] = field(default_factory=list)
    url: str = ""
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.Response:
        self.seen.append(
            (await request.json(), request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
        )
        self.changed.set()
        return self.answers.pop(0) if self.answers else web.Response(text="ok")

    async def wait_count(self, n: int) -> None:
        async with asyncio.timeout(3):
            while len(self.seen) < n:
                self.changed.clear()
                await self.changed.wait()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    rec = Receiver()
    app = web.Application()
    app.router.add_post("/hook", rec.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    rec.url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    try:
        yield rec
    finally:
        await runner.cleanup()


async def test_webhook_secret_retry_and_conflict(
    server: SandboxServer, bot: Bot, receiver: Receiver
) -> None:
    receiver.answers = [web.Response(status=500)]
    assert await bot.set_webhook(receiver.url, secret_token="s3cr3t", max_connections=1)
    with pytest.raises(TelegramConflictError, match="webhook is active"):
        await bot.get_updates()

    first = server.inject_message(1, "one")["update"]
    second = server.inject_message(1, "two")["update"]
    await receiver.wait_count(3)
    ids = [u["update_id"] for u, _ in receiver.seen]
    assert ids == [first["update_id"], first["update_id"], second["update_id"]]
    assert {secret for _, secret in receiver.seen} == {"s3cr3t"}

    info = await bot.get_webhook_info()
    assert info.url == receiver.url
    assert info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
    for _ in range(50):
        if server.stats()["updates_pending"] == 0:
            break
        await asyncio.sleep(0.01)
    assert (await bot.get_webhook_info()).pending_update_count == 0
    stats = server.stats()
    assert stats["webhook_delivered"] == 2 and stats["webhook_failed"] == 1

    assert await bot.delete_webhook()
    server.inject_message(1, "three")
    updates = await bot.get_updates()
    assert [u.message.text for u in updates if u.message] == ["three"]


async def test_webhook_reply_method_is_executed(
    server: SandboxServer, bot: Bot, receiver: Receiver
) -> None:
    reply = {"method": "sendMessage", "chat_id": 5, "text": "from webhook reply"}
    receiver.answers = [web.json_response(reply)]
    await bot.set_webhook(receiver.url)
    server.inject_message(5, "hi")
    message = await server.wait_for_message(5, timeout=3)
    assert message["text"] == "from webhook reply"


async def test_webhook_keeps_pending_updates_until_acknowledged(
    server: SandboxServer, bot: Bot, receiver: Receiver
) -> None:
    server.inject_message(2, "queued before webhook")
    receiver.answers = [web.Response(status=503), web.Response(status=503)]
    await bot.set_webhook(receiver.url)
    await receiver.wait_count(3)
    assert [u["message"]["text"] for u, _ in receiver.seen] == ["queued before webhook"] * 3


async def test_document_upload_getfile_download(server: SandboxServer, bot: Bot) -> None:
    server.register_user(4)
    payload = json.dumps({"answers": [1, 2, 3]}).encode() * 1000
    msg = await bot.send_document(
        4,
        BufferedInputFile(payload, filename="report.json"),
        caption="<i>отчёт</i>",
        parse_mode="HTML",
    )
    doc = msg.document
    assert doc is not None
    assert doc.file_name == "report.json" and doc.mime_type == "application/json"
    assert doc.file_size == len(payload) and doc.file_unique_id
    assert msg.caption == "отчёт" and msg.caption_entities is not None

    file = await bot.get_file(doc.file_id)
    assert file.file_path is not None
    downloaded = await bot.download_file(file.file_path)
    assert downloaded is not None and downloaded.read() == payload

    again = await bot.send_document(4, doc.file_id)
    assert again.document is not None and again.document.file_id == doc.file_id
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await bot.send_document(4, "no-such-file-id")
    with pytest.raises(TelegramBadRequest, match="invalid file_id"):
        await bot.get_file("no-such-file-id")


async def test_photo_upload_sizes_and_type_checks(server: SandboxServer, bot: Bot) -> None:
    server.register_user(4)
    buf = io.BytesIO()
    Image.new("RGB", (640, 320), "white").save(buf, "PNG")
    msg = await bot.send_photo(4, BufferedInputFile(buf.getvalue(), "chart.png"), caption="chart")
    assert msg.photo is not None
    assert [(p.width, p.height) for p in msg.photo] == [(90, 45), (640, 320)]
    resent = await bot.send_photo(4, msg.photo[-1].file_id)
    assert resent.photo is not None and resent.photo[-1].file_id == msg.photo[-1].file_id
    with pytest.raises(TelegramBadRequest, match="IMAGE_PROCESS_FAILED"):
        await bot.send_photo(4, BufferedInputFile(b"not an image", "x.png"))
    with pytest.raises(TelegramBadRequest, match="can't use file of type Photo as Document"):
        await bot.send_document(4, msg.photo[-1].file_id)
    view = server.last_message(4)
    assert view is not None and view["photo"][-1]["width"] == 640


async def test_user_sent_photo_can_be_downloaded(server: SandboxServer, bot: Bot) -> None:
    sent = server.inject_message(6, photo=True, caption="скан")["message"]
    file = await bot.get_file(sent["photo"][-1]["file_id"])
    assert file.file_path is not None
    data = await bot.download_file(file.file_path)
    assert data is not None and data.read().startswith(b"\x89PNG")


async def test_aiogram_webhook_handler_with_reply_in_response(
    server: SandboxServer, bot: Bot
) -> None:
    dp = Dispatcher()

    @dp.message()
    async def echo(message: Message) -> Any:
        return message.answer(f"эхо: {message.text}")  # answered inside the webhook response

    app = web.Application()
    SimpleRequestHandler(dp, bot, secret_token="tok", handle_in_background=False).register(
        app, path="/wh"
    )
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        url = f"http://127.0.0.1:{runner.addresses[0][1]}/wh"
        await bot.set_webhook(url, secret_token="tok")
        server.inject_message(8, "привет")
        reply = await server.wait_for_message(8, timeout=3)
        assert reply["text"] == "эхо: привет"
        assert server.stats()["calls_ok"]["sendmessage"] == 1
    finally:
        await runner.cleanup()
