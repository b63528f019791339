"""One scenario, both stand-ins: the control API drives Telegram and MAX the same way.

Only the bot differs (each speaks its messenger's Bot API over HTTP); the person's side,
the reads, the waits and the faults are the same ``SandboxClient`` calls.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any, Protocol

import aiohttp
import pytest

from sandbox import MaxSandboxServer, SandboxClient, SandboxServer
from sandbox.simulated import SimulatedUser
from tests.sandbox.conftest import TOKEN


class ChannelBot(Protocol):
    """The few things the scenario's bot does, in either messenger's wire format."""

    async def next_update(self) -> dict[str, Any]: ...

    async def send_question(self, chat_id: int, text: str) -> int: ...

    async def answer(self, query_id: str, note: str, chat_id: int, new_text: str) -> None: ...


class TelegramBot:
    def __init__(self, http: aiohttp.ClientSession, base: str) -> None:
        self.http, self.url, self.offset = http, f"{base}/bot{TOKEN}", 0
        self.last_message_id = 0

    async def _call(self, method: str, **params: Any) -> Any:
        async with self.http.post(f"{self.url}/{method}", json=params) as resp:
            body = await resp.json()
        return body.get("result") if body["ok"] else body

    async def next_update(self) -> dict[str, Any]:
        (update,) = await self._call("getUpdates", offset=self.offset, timeout=2)
        self.offset = update["update_id"] + 1
        if "callback_query" in update:
            query = update["callback_query"]
            return {"kind": "press", "query_id": query["id"], "data": query["data"]}
        text = update["message"]["text"]
        return {
            "kind": "start",
            "payload": text.partition(" ")[2],
            "chat_id": update["message"]["chat"]["id"],
        }

    async def send_question(self, chat_id: int, text: str) -> int:
        keyboard = [
            [{"text": "Да", "callback_data": "yes"}, {"text": "Нет", "callback_data": "no"}]
        ]
        sent = await self._call(
            "sendMessage", chat_id=chat_id, text=text, reply_markup={"inline_keyboard": keyboard}
        )
        self.last_message_id = sent["message_id"] if "message_id" in sent else 0
        return int(sent.get("error_code", 200))

    async def answer(self, query_id: str, note: str, chat_id: int, new_text: str) -> None:
        await self._call("answerCallbackQuery", callback_query_id=query_id, text=note)
        await self._call(
            "editMessageText", chat_id=chat_id, message_id=self.last_message_id, text=new_text
        )


class MaxBot:
    def __init__(self, http: aiohttp.ClientSession, base: str) -> None:
        self.http, self.base, self.marker = http, base, None
        self.headers = {"Authorization": "max-token"}

    async def _call(
        self, method: str, path: str, params: dict[str, Any], body: Any = None
    ) -> tuple[int, Any]:
        query = {k: str(v) for k, v in params.items() if v is not None}
        async with self.http.request(
            method, self.base + path, params=query, json=body, headers=self.headers
        ) as resp:
            return resp.status, await resp.json()

    async def next_update(self) -> dict[str, Any]:
        _, answer = await self._call("GET", "/updates", {"timeout": 2, "marker": self.marker})
        self.marker = answer["marker"]
        (update,) = answer["updates"]
        if update["update_type"] == "message_callback":
            callback = update["callback"]
            return {
                "kind": "press",
                "query_id": callback["callback_id"],
                "data": callback["payload"],
            }
        return {"kind": "start", "payload": update.get("payload", ""), "chat_id": update["chat_id"]}

    async def send_question(self, chat_id: int, text: str) -> int:
        keyboard = [
            [
                {"type": "callback", "text": "Да", "payload": "yes"},
                {"type": "callback", "text": "Нет", "payload": "no"},
            ]
        ]
        body = {
            "text": text,
            "attachments": [{"type": "inline_keyboard", "payload": {"buttons": keyboard}}],
        }
        status, _ = await self._call("POST", "/messages", {"chat_id": chat_id}, body)
        return status

    async def answer(self, query_id: str, note: str, chat_id: int, new_text: str) -> None:
        body = {"notification": note, "message": {"text": new_text, "attachments": []}}
        await self._call("POST", "/answers", {"callback_id": query_id}, body)


SEND = {"telegram": "sendMessage", "max": "sendMessage"}


@pytest.fixture(params=["telegram", "max"])
async def stand_in(
    request: pytest.FixtureRequest,
) -> AsyncIterator[SandboxServer | MaxSandboxServer]:
    kind = MaxSandboxServer if request.param == "max" else SandboxServer
    async with kind() as server:
        yield server


@pytest.fixture
async def channel(
    stand_in: SandboxServer | MaxSandboxServer, http: aiohttp.ClientSession
) -> AsyncIterator[tuple[str, SandboxClient, ChannelBot]]:
    name = "max" if isinstance(stand_in, MaxSandboxServer) else "telegram"
    async with SandboxClient(stand_in.base_url) as client:
        bot: ChannelBot = (MaxBot if name == "max" else TelegramBot)(http, stand_in.base_url)
        yield name, client, bot


async def test_start_question_press_answer_the_same_way(
    channel: tuple[str, SandboxClient, ChannelBot],
) -> None:
    name, client, bot = channel
    link = await client.deep_link("org42")
    assert link.endswith("?start=org42") and ("max.ru" in link) == (name == "max")
    chat_id = await client.private_chat_id(5)
    await client.inject_start(5, "org42", first_name="Анна")
    start = await bot.next_update()
    assert start == {"kind": "start", "payload": "org42", "chat_id": chat_id}
    assert await bot.send_question(chat_id, "Оцените приём") == 200
    question = await client.wait_for_message(chat_id, lambda m: "Оцените" in m["text"])
    assert (await client.find_button(chat_id, "Нет", callback_only=True)) is not None
    pressed = await client.press_button(5, "Да")
    press = await bot.next_update()
    assert press == {"kind": "press", "query_id": pressed["query_id"], "data": "yes"}
    await bot.answer(press["query_id"], "Спасибо!", chat_id, "Принято")
    answer = await client.wait_for_callback_answer(pressed["query_id"], 2)
    assert answer["text"] == "Спасибо!"
    shown = await client.wait_for(chat_id, lambda ms: ms[-1]["text"] == "Принято")
    assert shown[-1]["message_id"] == question["message_id"]
    stats = await client.stats()
    assert stats["messages_per_chat"] == {chat_id: 1} and stats["callback_answers"] == 1


async def test_faults_and_limits_are_set_the_same_way(
    channel: tuple[str, SandboxClient, ChannelBot],
) -> None:
    name, client, bot = channel
    await client.register_user(5)
    chat_id = await client.private_chat_id(5)
    await client.add_fault("retry_after", method=SEND[name])
    assert await bot.send_question(chat_id, "x") == 429
    await client.add_fault("server_error", status=502, method=SEND[name])
    assert await bot.send_question(chat_id, "x") == 502
    assert await client.messages(chat_id) == []
    await client.set_rate_limits(True, global_rate=1, global_burst=1, per_chat_burst=1)
    assert await bot.send_question(chat_id, "x") == 200
    assert await bot.send_question(chat_id, "x") == 429
    assert (await client.stats())["faults_injected"] == 2


async def test_a_simulated_person_runs_the_same_script_on_both(
    stand_in: SandboxServer | MaxSandboxServer,
    channel: tuple[str, SandboxClient, ChannelBot],
) -> None:
    _name, _client, bot = channel

    async def serve() -> None:
        start = await bot.next_update()
        await bot.send_question(start["chat_id"], f"Оцените приём ({start['payload']})")
        press = await bot.next_update()
        await bot.answer(
            press["query_id"], "Спасибо!", start["chat_id"], f"Принято: {press['data']}"
        )

    serving = asyncio.create_task(serve())
    person = SimulatedUser(stand_in, 5, timeout=3)
    await person.start("org42", expect="Оцените приём (org42)")
    assert person.buttons() == ["Да", "Нет"] and person.has_button("Нет")
    await person.tap("Да", expect="Принято: yes")
    assert person.texts() == ["Принято: yes"] and person.buttons() == []
    await serving
