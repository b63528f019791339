"""Flood control and fault injection as aiogram experiences them."""

from __future__ import annotations

import aiohttp
import pytest
from aiogram import Bot
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)

from bot.telegram_session import TolerantSession
from sandbox import SandboxServer
from tests.sandbox.conftest import TOKEN, close_bot


async def test_rate_limits_off_by_default(server: SandboxServer, bot: Bot) -> None:
    server.register_user(1)
    for i in range(40):
        await bot.send_message(1, f"m{i}")
    assert server.stats()["rate_limited"] == 0


async def test_per_chat_burst_then_retry_after(server: SandboxServer, bot: Bot) -> None:
    server.register_user(1)
    server.register_user(2)
    server.set_rate_limits(True)
    for _ in range(3):  # default burst allowance
        await bot.send_message(1, "ok")
    with pytest.raises(TelegramRetryAfter) as exc:
        await bot.send_message(1, "too fast")
    assert exc.value.retry_after >= 1
    assert "Too Many Requests: retry after" in exc.value.message
    with pytest.raises(TelegramRetryAfter):
        await bot.edit_message_text("edits count too", chat_id=1, message_id=1)
    await bot.send_message(2, "other chat is fine")
    stats = server.stats()
    assert stats["rate_limited"] == 2
    assert stats["messages_per_chat"] == {1: 3, 2: 1}
    server.set_rate_limits(False)
    await bot.send_message(1, "limits switched off")


async def test_global_limit(server: SandboxServer, bot: Bot) -> None:
    for uid in range(1, 8):
        server.register_user(uid)
    server.set_rate_limits(True, global_rate=5, global_burst=5, per_chat_rate=100)
    for uid in range(1, 6):
        await bot.send_message(uid, "x")
    with pytest.raises(TelegramRetryAfter) as exc:
        await bot.send_message(6, "x")
    assert exc.value.retry_after == 1
    assert server.stats()["messages_total"] == 5


async def test_server_errors_are_not_delivered(server: SandboxServer, bot: Bot) -> None:
    server.register_user(1)
    server.add_fault("server_error", count=2, method="sendMessage")
    with pytest.raises(TelegramServerError):
        await bot.send_message(1, "a")
    server.add_fault("5xx", status=502, count=1, method="sendMessage", chat_id=1)
    with pytest.raises(TelegramServerError):
        await bot.send_message(1, "b")
    with pytest.raises(TelegramServerError, match="Bad Gateway"):
        await bot.send_message(1, "c")
    await bot.get_me()  # other methods are untouched
    await bot.send_message(1, "d")
    assert [m["text"] for m in server.messages(1)] == ["d"]
    stats = server.stats()
    assert stats["faults_injected"] == 3
    assert stats["faults_by_kind"] == {"server_error": 3}
    assert server.list_faults() == []


async def test_blocked_bad_request_and_retry_after_faults(server: SandboxServer, bot: Bot) -> None:
    server.register_user(1)
    server.add_fault("blocked", method="sendMessage")
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(1, "x")
    server.add_fault("bad_request", description="message thread not found")
    with pytest.raises(TelegramBadRequest, match="Bad Request: message thread not found"):
        await bot.send_message(1, "x")
    server.add_fault("retry_after", retry_after=7)
    with pytest.raises(TelegramRetryAfter) as exc:
        await bot.send_message(1, "x")
    assert exc.value.retry_after == 7
    assert server.messages(1) == []


async def test_user_blocks_bot_permanently(server: SandboxServer, bot: Bot) -> None:
    server.inject_message(3, "/start")
    server.block_user(3)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(3, "news")
    updates = await bot.get_updates()
    member = updates[-1].my_chat_member
    assert member is not None and member.new_chat_member.status == "kicked"
    # Writing to the bot again unblocks it, like pressing "Restart" in Telegram.
    server.inject_message(3, "/start")
    await bot.send_message(3, "welcome back")


async def test_timeout_fault_holds_then_drops(server: SandboxServer, bot: Bot) -> None:
    server.register_user(1)
    server.add_fault("timeout", hold=3.0)
    with pytest.raises(TelegramNetworkError):
        await bot.send_message(1, "lost", request_timeout=1)
    server.add_fault("disconnect")
    with pytest.raises(TelegramNetworkError):
        await bot.send_message(1, "lost too")
    assert server.messages(1) == []
    await bot.send_message(1, "fine")


async def test_deliver_then_lose_answer_makes_duplicates(server: SandboxServer, bot: Bot) -> None:
    server.register_user(1)
    server.add_fault("server_error", deliver=True)
    with pytest.raises(TelegramServerError):
        await bot.send_message(1, "once")
    await bot.send_message(1, "once")  # the retry a naive bot would do
    assert [m["text"] for m in server.messages(1)] == ["once", "once"]


async def test_probabilistic_faults_are_seeded(http: aiohttp.ClientSession) -> None:
    async def pattern() -> list[int]:
        async with SandboxServer(fault_seed=123) as srv:
            srv.add_fault("server_error", probability=0.5)
            statuses = []
            for _ in range(30):
                async with http.post(f"{srv.base_url}/bot{TOKEN}/getMe") as resp:
                    statuses.append(resp.status)
            return statuses

    first = await pattern()
    assert first == await pattern()
    assert 0 < first.count(500) < 30


async def test_non_json_answers_html_502_and_plain_500(server: SandboxServer, bot: Bot) -> None:
    """What a proxy says when it fails: aiogram cannot decode it; Otklik's session maps it."""
    server.register_user(1)
    server.add_fault("html_502", method="sendMessage")
    server.add_fault("text_500", method="getMe")
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{server.base_url}/bot{TOKEN}/sendMessage") as answer:
            assert answer.status == 502 and answer.content_type == "text/html"
            assert "<h1>502 Bad Gateway</h1>" in await answer.text()
    with pytest.raises(ClientDecodeError):  # the library's own behaviour: a loud change if it moves
        await bot.get_me()
    tolerant = Bot(TOKEN, session=TolerantSession(api=TelegramAPIServer.from_base(server.base_url)))
    try:
        server.add_fault("text_500", method="getMe")
        with pytest.raises(TelegramServerError, match="HTTP 500, the answer is not JSON"):
            await tolerant.get_me()
        assert (await tolerant.get_me()).is_bot
    finally:
        await close_bot(tolerant)
    assert server.stats()["faults_by_kind"] == {"html_error": 1, "text_error": 2}
