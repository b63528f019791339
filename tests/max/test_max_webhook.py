"""MAX's webhook: a POSTed update is stored, then answered 200, then handled once."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from pydantic import SecretStr

from bot.factory import create_dispatcher
from bot.intake import Inbox
from bot.max.channel import MaxChannel, create_max_channel
from bot.max.webhook import MAX_SECRET_HEADER, max_route, max_start
from bot.webhook import webhook_app
from core.channels import Channel
from core.settings import Settings
from sandbox import MaxSandboxServer
from storage.database import SessionPool
from surveys.catalogue import sync_questionnaires
from tests.conftest import SmallRegistry
from tests.max.conftest import MAX_TOKEN

SECRET = "max-webhook-secret"


@pytest.fixture
async def max_server() -> AsyncIterator[MaxSandboxServer]:
    async with MaxSandboxServer() as server:
        yield server


@pytest.fixture
async def channel(
    settings: Settings, session_pool: SessionPool, max_server: MaxSandboxServer
) -> AsyncIterator[MaxChannel]:
    configured = settings.model_copy(
        update={"max_token": SecretStr(MAX_TOKEN), "max_api_url": max_server.base_url}
    )
    channel = create_max_channel(configured, session_pool)
    yield channel
    await channel.bot.session.close()


async def test_a_posted_max_update_is_handled_once_and_the_webhook_is_subscribed(
    settings: Settings,
    session_pool: SessionPool,
    registry: SmallRegistry,
    max_server: MaxSandboxServer,
    channel: MaxChannel,
) -> None:
    await sync_questionnaires(session_pool)
    dispatcher = create_dispatcher(settings, session_pool)
    inbox = Inbox(session_pool, dispatcher, channel.bot, workers=2, channel=Channel.MAX)
    route = max_route(inbox, channel.translator, "/hook/max", SECRET)
    stop = asyncio.Event()
    url = "https://bot.example/hook/max"
    await max_start(inbox, channel.client, url, SECRET, True, stop)()
    max_server.register_user(4242)
    update = {
        "update_type": "bot_started",
        "timestamp": int(time.time() * 1000),
        "chat_id": max_server.private_chat_id(4242),
        "user": {"user_id": 4242, "first_name": "Тест", "is_bot": False, "name": "Тест"},
        "payload": "t-SUP01-EPGU",
        "user_locale": "ru",
    }
    async with TestServer(webhook_app(None, "/hook", "unused", [route])) as server:
        async with aiohttp.ClientSession() as http:
            target = server.make_url("/hook/max")
            body = json.dumps(update)
            wrong = await http.post(target, data=body, headers={MAX_SECRET_HEADER: "nope"})
            garbage = await http.post(target, data="[1]", headers={MAX_SECRET_HEADER: SECRET})
            first = await http.post(target, data=body, headers={MAX_SECRET_HEADER: SECRET})
            second = await http.post(target, data=body, headers={MAX_SECRET_HEADER: SECRET})
            assert (wrong.status, garbage.status, first.status, second.status) == (
                401,
                400,
                200,
                200,
            )
        chat = max_server.private_chat_id(4242)
        await max_server.wait_for(
            chat, lambda ms: any("Прежде чем начать" in str(m.get("text")) for m in ms), 15
        )
        await inbox.drain()
    assert len(max_server.messages(chat)) == 1  # the second copy changed nothing
    for _ in range(50):
        if max_server.subscriptions:
            break
        await asyncio.sleep(0.05)
    stop.set()
    assert [s["url"] for s in max_server.subscriptions] == [url]
