"""Bot API behaviour over real HTTP: identity, updates, sending, editing and validation."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aiohttp
import pytest
from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramUnauthorizedError,
)
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from sandbox import SandboxServer
from tests.sandbox.conftest import TOKEN, close_bot, make_bot


def kb(*buttons: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=t, callback_data=d)] for t, d in buttons]
    )


async def raw_call(
    http: aiohttp.ClientSession, server: SandboxServer, method: str, **payload: Any
) -> tuple[int, dict[str, Any]]:
    async with http.post(f"{server.base_url}/bot{TOKEN}/{method}", json=payload) as resp:
        return resp.status, await resp.json()


async def test_get_me(bot: Bot) -> None:
    me = await bot.get_me()
    assert me.id == 1000001
    assert me.is_bot
    assert me.first_name == "Otklik Sandbox"
    assert me.username == "otklik_sandbox_bot"


async def test_get_me_configurable_and_token_checks(http: aiohttp.ClientSession) -> None:
    async with SandboxServer(token="42:secret", bot_username="other_bot") as srv:
        async with http.get(f"{srv.base_url}/bot42:secret/getMe") as resp:
            assert resp.status == 200
            assert (await resp.json())["result"]["username"] == "other_bot"
        async with http.post(f"{srv.base_url}/botnot-a-token/getMe") as resp:
            assert resp.status == 401
            assert await resp.json() == {
                "ok": False,
                "error_code": 401,
                "description": "Unauthorized",
            }
        wrong = make_bot(srv, "42:wrong")
        try:
            with pytest.raises(TelegramUnauthorizedError):
                await wrong.get_me()
        finally:
            await close_bot(wrong)


async def test_unknown_method_and_case_insensitive_names(
    server: SandboxServer, http: aiohttp.ClientSession
) -> None:
    status, body = await raw_call(http, server, "noSuchMethod")
    assert status == 404
    assert body == {"ok": False, "error_code": 404, "description": "Not Found: method not found"}
    status, body = await raw_call(http, server, "GETME")
    assert status == 200 and body["ok"]


async def test_form_urlencoded_and_query_params(
    server: SandboxServer, http: aiohttp.ClientSession
) -> None:
    server.register_user(5)
    markup = json.dumps({"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]})
    url = f"{server.base_url}/bot{TOKEN}/sendMessage"
    async with http.post(url, data={"chat_id": "5", "text": "123", "reply_markup": markup}) as r:
        body = await r.json()
    assert body["result"]["text"] == "123"
    assert body["result"]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "a"
    async with http.get(url, params={"chat_id": "5", "text": "via query"}) as r:
        assert (await r.json())["result"]["text"] == "via query"


async def test_get_updates_offset_semantics(server: SandboxServer, bot: Bot) -> None:
    ids = [server.inject_message(100 + i, f"m{i}")["update"]["update_id"] for i in range(5)]
    assert ids == sorted(ids) and len(set(ids)) == 5

    updates = await bot.get_updates()
    assert [u.update_id for u in updates] == ids
    assert updates[0].message is not None and updates[0].message.text == "m0"

    assert [u.update_id for u in await bot.get_updates(limit=2)] == ids[:2]

    # Confirming ids[2] forgets everything below it forever.
    assert [u.update_id for u in await bot.get_updates(offset=ids[2])] == ids[2:]
    assert [u.update_id for u in await bot.get_updates()] == ids[2:]
    assert [u.update_id for u in await bot.get_updates(offset=1)] == ids[2:]

    # Negative offset: only the last N remain, previous ones are forgotten.
    assert [u.update_id for u in await bot.get_updates(offset=-1)] == ids[4:]
    assert [u.update_id for u in await bot.get_updates()] == ids[4:]

    assert await bot.get_updates(offset=ids[4] + 1) == []
    new = server.inject_message(100, "later")["update"]["update_id"]
    assert new > ids[4]
    assert [u.update_id for u in await bot.get_updates(offset=ids[4] + 1)] == [new]


async def test_long_polling_wakes_on_update_and_times_out(server: SandboxServer, bot: Bot) -> None:
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    assert not poll.done()
    server.inject_message(7, "hello")
    updates = await asyncio.wait_for(poll, 2)
    assert time.monotonic() - started < 1.5
    assert updates[0].message is not None and updates[0].message.text == "hello"

    started = time.monotonic()
    assert await bot.get_updates(offset=updates[0].update_id + 1, timeout=1) == []
    assert 0.9 <= time.monotonic() - started < 2.5


async def test_second_poll_terminates_first_with_conflict(server: SandboxServer, bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    second = asyncio.create_task(bot.get_updates(timeout=5))
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates"):
        await asyncio.wait_for(first, 2)
    server.inject_message(1, "x")
    assert len(await asyncio.wait_for(second, 2)) == 1


async def test_allowed_updates_filter_new_updates(server: SandboxServer, bot: Bot) -> None:
    await bot.get_updates(allowed_updates=["callback_query"])
    assert server.inject_message(3, "ignored")["update"] is None
    await bot.get_updates(allowed_updates=[])
    assert server.inject_message(3, "seen")["update"] is not None
    assert len(await bot.get_updates()) == 1


async def test_send_edit_callback_delete_roundtrip(server: SandboxServer, bot: Bot) -> None:
    server.inject_message(42, "/start", username="ivan", language_code="ru")
    sent = await bot.send_message(
        42, "<b>Оцените</b> услугу", parse_mode="HTML", reply_markup=kb(("Хорошо", "r:5"))
    )
    assert isinstance(sent, Message)
    assert sent.message_id == 2  # the user's /start was message 1 of this chat
    assert sent.text == "Оцените услугу"
    assert sent.entities is not None and sent.entities[0].type == "bold"
    assert sent.entities[0].length == 7
    assert sent.chat.id == 42 and sent.from_user is not None and sent.from_user.is_bot

    pressed = server.press_button(42, "Хорош")
    query_id = pressed["callback_query"]["id"]
    updates = await bot.get_updates()
    query = updates[-1].callback_query
    assert isinstance(query, CallbackQuery)
    assert query.data == "r:5" and query.id == query_id
    assert query.message is not None and query.message.message_id == sent.message_id
    assert await bot.answer_callback_query(query.id, text="Спасибо", show_alert=True)
    assert server.callback_answer(query_id) == {
        "text": "Спасибо",
        "show_alert": True,
        "url": None,
        "cache_time": 0,
    }
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query.id)
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query("nonexistent")
    server.update_config(callback_ttl=0.0)
    late = server.inject_callback(42, sent.message_id, "r:5")["callback_query"]["id"]
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(late)
    server.update_config(callback_ttl=15.0)

    edited = await bot.edit_message_text(
        "Спасибо!", chat_id=42, message_id=sent.message_id, reply_markup=kb(("Ещё", "more"))
    )
    assert isinstance(edited, Message) and edited.edit_date is not None
    marked = await bot.edit_message_reply_markup(chat_id=42, message_id=sent.message_id)
    assert isinstance(marked, Message) and marked.reply_markup is None

    view = server.last_message(42)
    assert view is not None
    assert view["text"] == "Спасибо!" and "reply_markup" not in view
    assert [h["text"] for h in view["history"]] == ["Оцените услугу", "Спасибо!"]

    assert await bot.delete_message(42, sent.message_id)
    assert server.messages(42) == []
    assert server.messages(42, include_deleted=True)[0]["deleted"] is True
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(42, sent.message_id)
    assert server.stats()["messages_per_chat"] == {42: 1}


async def test_message_ids_are_per_chat(server: SandboxServer, bot: Bot) -> None:
    server.register_user(1)
    server.register_user(2)
    a = [(await bot.send_message(1, "a")).message_id for _ in range(3)]
    b = [(await bot.send_message(2, "b")).message_id for _ in range(2)]
    assert a == [1, 2, 3] and b == [1, 2]


async def test_reply_keyboards_and_replies(server: SandboxServer, bot: Bot) -> None:
    incoming = server.inject_message(9, "вопрос")["message"]
    keyboard = ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text="Да")]], resize_keyboard=True)
    msg = await bot.send_message(
        9, "ответ", reply_markup=keyboard, reply_to_message_id=incoming["message_id"]
    )
    assert msg.reply_to_message is not None and msg.reply_to_message.text == "вопрос"
    assert msg.reply_markup is None  # Telegram only echoes inline keyboards
    snap = server.chat(9)
    assert snap is not None and snap["reply_keyboard"]["keyboard"] == [[{"text": "Да"}]]
    await bot.send_message(9, "убрал", reply_markup=ReplyKeyboardRemove())
    snap = server.chat(9)
    assert snap is not None and snap["reply_keyboard"] is None
    with pytest.raises(TelegramBadRequest, match="message to be replied not found"):
        await bot.send_message(9, "x", reply_to_message_id=999)


async def test_validation_errors_surface_as_bad_request(server: SandboxServer, bot: Bot) -> None:
    server.register_user(77)
    await bot.send_message(77, "x" * 4096)
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(77, "x" * 4097)
    # Length is counted after entity parsing.
    await bot.send_message(77, "<b>" + "я" * 4096 + "</b>", parse_mode="HTML")
    await bot.send_message(77, "&lt;" * 4096, parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(77, "&amp;" * 4097, parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(77, "<b>unclosed", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="Unsupported start tag"):
        await bot.send_message(77, "line<br>break", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="is reserved"):
        await bot.send_message(77, "Итого: 5.", parse_mode="MarkdownV2")
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(77, "   ")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(987654, "hi")

    await bot.send_message(77, "ok", reply_markup=kb(("a", "d" * 64)))
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(77, "x", reply_markup=kb(("a", "d" * 65)))
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(77, "x", reply_markup=kb(("a", "ж" * 33)))  # 66 bytes

    with pytest.raises(TelegramBadRequest, match="caption is too long"):
        await bot.send_document(77, BufferedInputFile(b"x", "a.txt"), caption="c" * 1025)


async def test_malformed_markup_and_edit_errors(
    server: SandboxServer, bot: Bot, http: aiohttp.ClientSession
) -> None:
    server.register_user(8)
    bad_markups: list[Any] = [
        {"inline_keyboard": [{"text": "a", "callback_data": "b"}]},
        {"inline_keyboard": [[{"text": "no action"}]]},
        {"inline_keyboard": [[{"text": "two", "callback_data": "b", "url": "https://x.y"}]]},
        {"inline_keyboard": [[{"callback_data": "no text"}]]},
        {"inline_keyboard": [[{"text": "u", "url": "not a url"}]]},
        {"keyboard": "nope"},
        {"remove_keyboard": False},
        {"inline_keyboard": [], "keyboard": []},
        "not an object",
    ]
    for markup in bad_markups:
        status, body = await raw_call(
            http, server, "sendMessage", chat_id=8, text="t", reply_markup=markup
        )
        assert status == 400, markup
        assert body["description"].startswith("Bad Request: "), body
    url = f"{server.base_url}/bot{TOKEN}/sendMessage"
    async with http.post(url, data={"chat_id": "8", "text": "t", "reply_markup": "{oops"}) as r:
        assert r.status == 400
    assert server.stats()["messages_total"] == 0

    sent = await bot.send_message(8, "same", reply_markup=kb(("a", "a")))
    with pytest.raises(TelegramBadRequest, match="message is not modified") as exc:
        await bot.edit_message_text(
            "same", chat_id=8, message_id=sent.message_id, reply_markup=kb(("a", "a"))
        )
    assert "exactly the same as a current content and reply markup" in str(exc.value)
    # Omitting reply_markup removes the keyboard, so that is a modification.
    await bot.edit_message_text("same", chat_id=8, message_id=sent.message_id)
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=8, message_id=999)
    user_msg = server.inject_message(8, "mine")["message"]
    with pytest.raises(TelegramBadRequest, match="message can't be edited"):
        await bot.edit_message_text("x", chat_id=8, message_id=user_msg["message_id"])


async def test_chat_actions_commands_menu_and_misc(server: SandboxServer, bot: Bot) -> None:
    server.register_user(11, first_name="Анна")
    assert await bot.send_chat_action(11, "typing")
    snap = server.chat(11)
    assert snap is not None and snap["chat_actions"] == {"typing": 1}
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_chat_action(12, "typing")

    commands = [BotCommand(command="start", description="Начать")]
    assert await bot.set_my_commands(commands)
    assert [(c.command, c.description) for c in await bot.get_my_commands()] == [
        ("start", "Начать")
    ]
    assert await bot.get_my_commands(language_code="en") == []
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == []
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Bad Command", description="x")])

    assert await bot.set_chat_menu_button()
    chat = await bot.get_chat(11)
    assert chat.first_name == "Анна" and chat.type == "private"
    assert await bot.log_out() and await bot.close()


async def test_groups_and_channels(server: SandboxServer, bot: Bot) -> None:
    injected = server.inject_message(5, "hi all", chat_type="supergroup", chat_id=-1005)
    assert injected["message"]["chat"]["type"] == "supergroup"
    server.inject_message(0, "post", chat_type="channel", chat_id=-1009)
    updates = await bot.get_updates()
    assert updates[0].message is not None and updates[0].message.chat.id == -1005
    assert updates[1].channel_post is not None
    msg = await bot.send_message(-1005, "hello group")
    assert msg.chat.type == "supergroup"
    post = await bot.send_message(-1009, "to channel")
    assert post.sender_chat is not None and post.from_user is None
