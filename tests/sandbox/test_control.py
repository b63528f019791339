"""The control API over HTTP via SandboxClient, a real Dispatcher, and ``python -m sandbox``."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import pytest
from aiogram import Bot, Dispatcher, F
from aiogram.filters import CommandStart
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from sandbox import SandboxClient, SandboxError, SandboxServer
from sandbox.errors import ApiError
from sandbox.telegram.formatting import parse_html, parse_markdown, parse_markdown_v2, parse_text

ROOT = Path(__file__).resolve().parents[2]


def kb(*buttons: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=t, callback_data=d)] for t, d in buttons]
    )


async def test_client_drives_a_conversation(server: SandboxServer, bot: Bot) -> None:
    async with SandboxClient(server.base_url) as client:
        assert (await client.health())["bot"]["id"] == 1000001
        user = await client.register_user(10, username="olga", language_code="ru")
        assert user["username"] == "olga"
        injected = await client.inject_message(10, "/start")
        assert injected["message"]["entities"][0]["type"] == "bot_command"

        waiter = asyncio.create_task(client.wait_for_message(10, lambda m: "Оцените" in m["text"]))
        await asyncio.sleep(0.05)
        assert not waiter.done()
        started = time.monotonic()
        sent = await bot.send_message(10, "Оцените", reply_markup=kb(("5 ⭐", "rate:5")))
        message = await asyncio.wait_for(waiter, 2)
        assert time.monotonic() - started < 0.5  # event-driven, not polling
        assert message["message_id"] == sent.message_id
        assert message["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "rate:5"

        button = await client.find_button(10, "5")
        assert button is not None and button["callback_data"] == "rate:5"
        assert await client.find_button(10, "missing") is None
        with pytest.raises(SandboxError) as exc:
            await client.inject_callback(10, sent.message_id, "rate:6")
        assert exc.value.status == 400 and "no button" in exc.value.message
        forged = await client.inject_callback(10, sent.message_id, "rate:6", force=True)
        assert forged["callback_query"]["data"] == "rate:6"

        pressed = await client.press_button(10, "5 ⭐")
        query_id = pressed["callback_query"]["id"]
        answer_waiter = asyncio.create_task(client.wait_for_callback_answer(query_id, 2))
        await asyncio.sleep(0.05)
        assert await client.callback_answer(query_id) is None
        await bot.answer_callback_query(query_id, text="Спасибо!")
        assert (await answer_waiter)["text"] == "Спасибо!"
        with pytest.raises(TimeoutError):
            await client.wait_for_callback_answer(forged["callback_query"]["id"], 0.1)

        await bot.edit_message_text("Готово", chat_id=10, message_id=sent.message_id)
        messages = await client.wait_for(10, lambda ms: ms[-1]["text"] == "Готово", 1)
        assert messages[-1]["history"][0]["text"] == "Оцените"
        last = await client.last_message(10)
        assert last is not None and last["text"] == "Готово"
        with pytest.raises(TimeoutError):
            await client.wait_for(10, lambda ms: len(ms) > 5, 0.2)

        edited = await client.inject_edited_message(10, injected["message"]["message_id"], "/help")
        assert edited["update"]["edited_message"]["text"] == "/help"
        raw = await client.inject_update({"weird_future_update": {"x": 1}})
        assert raw["update_id"] > edited["update"]["update_id"]
        kinds = [next(k for k in u if k != "update_id") for u in await client.pending_updates()]
        assert kinds[0] == "message" and kinds[-1] == "weird_future_update"

        stats = await client.stats()
        assert stats["messages_per_chat"] == {10: 1} and stats["edits_total"] == 1
        chat = await client.chat(10)
        assert chat is not None and chat["chat"]["username"] == "olga"
        assert await client.chat(999) is None
        assert [c["chat"]["id"] for c in await client.list_chats()] == [10]

        await client.reset()
        assert (await client.stats())["messages_total"] == 0
        assert await client.messages(10) == []


async def test_client_limits_faults_blocking(server: SandboxServer, bot: Bot) -> None:
    async with SandboxClient(server.base_url) as client:
        await client.register_user(1)
        limits = await client.set_rate_limits(True, per_chat_burst=1)
        assert limits["enabled"] and limits["per_chat_burst"] == 1
        await bot.send_message(1, "a")
        with pytest.raises(Exception, match="retry after"):
            await bot.send_message(1, "b")
        await client.set_rate_limits(False)

        fault = await client.add_fault("bad_request", description="custom", method="sendMessage")
        assert (await client.list_faults())[0]["id"] == fault["id"]
        assert await client.remove_fault(fault["id"])
        await client.add_fault("server_error", count=5)
        await client.clear_faults()
        assert await client.list_faults() == []
        with pytest.raises(SandboxError):
            await client.add_fault("no-such-kind")

        await client.block_user(1)
        with pytest.raises(Exception, match="blocked"):
            await bot.send_message(1, "x")
        await client.block_user(1, False)
        await bot.send_message(1, "x")

        config = await client.update_config(callback_ttl=0.0)
        assert config["callback_ttl"] == 0.0
        with pytest.raises(SandboxError):
            await client.update_config(nope=1)
        await client.create_chat(-100, "group", title="Отдел")
        got = await client.inject_message(2, "hi", chat_type="group", chat_id=-100)
        assert got["message"]["chat"]["title"] == "Отдел"
        doc = await client.inject_message(2, document={"file_name": "a.pdf", "data": b"%PDF"})
        assert doc["message"]["document"]["file_name"] == "a.pdf"
        assert (await client.webhook_info())["url"] == ""


async def test_dispatcher_polling_end_to_end(server: SandboxServer, bot: Bot) -> None:
    dp = Dispatcher()

    @dp.message(CommandStart())
    async def start(message: Message) -> None:
        await message.answer("Здравствуйте!", reply_markup=kb(("Оставить отзыв", "feedback")))

    @dp.callback_query(F.data == "feedback")
    async def feedback(query: CallbackQuery) -> None:
        await query.answer("Пишите")
        if isinstance(query.message, Message):
            await query.message.edit_text("Напишите отзыв одним сообщением")

    polling = asyncio.create_task(
        dp.start_polling(bot, handle_signals=False, close_bot_session=False, polling_timeout=1)
    )
    try:
        server.inject_message(50, "/start", first_name="Пётр")
        greeting = await server.wait_for_message(50, timeout=3)
        assert greeting["text"] == "Здравствуйте!"
        query_id = server.press_button(50, "отзыв")["callback_query"]["id"]
        assert (await server.wait_for_callback_answer(query_id, 3))["text"] == "Пишите"
        await server.wait_for(50, lambda ms: ms[-1]["text"].startswith("Напишите"), 3)
    finally:
        await dp.stop_polling()
        await asyncio.wait_for(polling, 3)


async def test_python_m_sandbox_runs_standalone() -> None:
    root = ROOT
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sandbox",
        "--port",
        "0",
        cwd=root,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stderr is not None
        line = (await asyncio.wait_for(proc.stderr.readline(), 10)).decode()
        base_url = line.strip().rsplit(" ", 1)[-1]
        assert base_url.startswith("http://127.0.0.1:")
        async with SandboxClient(base_url) as client:
            assert (await client.health())["base_url"] == base_url
    finally:
        proc.terminate()
        assert await asyncio.wait_for(proc.wait(), 5) == 0


def test_formatting_rules() -> None:
    text, entities = parse_html('<b>жир <i>курсив</i></b> 😀<a href="https://x.ru">ссылка</a>')
    assert text == "жир курсив 😀ссылка"
    assert entities == [
        {"type": "bold", "offset": 0, "length": 10},
        {"type": "italic", "offset": 4, "length": 6},
        {"type": "text_link", "offset": 13, "length": 6, "url": "https://x.ru"},  # 😀 is 2 units
    ]
    assert parse_html("a &lt;b&gt; &amp; &#1071; &unknown;")[0] == "a <b> & Я &unknown;"
    assert parse_html('<pre><code class="language-python">x</code></pre>')[1] == [
        {"type": "pre", "offset": 0, "length": 1, "language": "python"}
    ]
    for bad, reason in [
        ("<b>x</i>", "Unmatched end tag"),
        ("x</b>", "Unexpected end tag"),
        ("<span>x</span>", 'must have class "tg-spoiler"'),
        ("a < b", "Unclosed start tag"),
    ]:
        with pytest.raises(ApiError, match=reason):
            parse_html(bad)

    assert parse_markdown_v2(r"*жир* _к_ __u__ ~s~ ||sp|| `c` [t](http://a.b) 1\.5") == (
        "жир к u s sp c t 1.5",
        [
            {"type": "bold", "offset": 0, "length": 3},
            {"type": "italic", "offset": 4, "length": 1},
            {"type": "underline", "offset": 6, "length": 1},
            {"type": "strikethrough", "offset": 8, "length": 1},
            {"type": "spoiler", "offset": 10, "length": 2},
            {"type": "code", "offset": 13, "length": 1},
            {"type": "text_link", "offset": 15, "length": 1, "url": "http://a.b"},
        ],
    )
    with pytest.raises(ApiError, match="Character '!' is reserved"):
        parse_markdown_v2("Hello!")
    with pytest.raises(ApiError, match="Can't find end of Bold entity"):
        parse_markdown_v2("*open")
    assert parse_markdown("*b* _i_ `c`")[0] == "b i c"
    with pytest.raises(ApiError, match="Can't find end of the entity"):
        parse_markdown("snake_case")
    assert parse_text("  <b>x</b>  ", "HTML", None) == (
        "x",
        [{"type": "bold", "offset": 0, "length": 1}],
    )
