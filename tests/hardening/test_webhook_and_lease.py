"""Webhook intake with the secret header, and one scheduler leader among replicas."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
import sqlalchemy as sa
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.factory import create_dispatcher
from bot.intake import Inbox
from bot.webhook import SECRET_HEADER, serve_webhook, webhook_secret
from core.settings import Settings
from jobs.leader import Leadership
from sandbox import SandboxServer
from sandbox.telegram.simulated import SimulatedUser
from storage.database import SessionPool
from storage.delivery_models import InboxUpdate
from storage.models import Response
from surveys.catalogue import sync_questionnaires
from tests.conftest import SmallRegistry


@pytest.fixture
async def sandbox() -> AsyncIterator[SandboxServer]:
    async with SandboxServer(webhook_retry_base=0.05) as server:
        yield server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_webhook_checks_the_secret_and_carries_a_whole_questionnaire(
    sandbox: SandboxServer, session_pool: SessionPool, settings: Settings, registry: SmallRegistry
) -> None:
    await sync_questionnaires(session_pool)
    bot = Bot(
        "1000001:webhook-test-token-abcdefghijk",
        session=AiohttpSession(api=TelegramAPIServer.from_base(sandbox.base_url)),
    )
    inbox = Inbox(session_pool, create_dispatcher(settings, session_pool), bot)
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/hook"
    stop = asyncio.Event()
    server = asyncio.create_task(
        serve_webhook(
            inbox,
            stop,
            url=url,
            listen=f"127.0.0.1:{port}",
            secret=webhook_secret(settings),
            max_connections=10,
            allowed_updates=None,
        )
    )
    try:
        for _ in range(100):
            if (await bot.get_webhook_info()).url == url:
                break
            await asyncio.sleep(0.05)
        async with aiohttp.ClientSession() as http:
            forged = await http.post(url, json={"update_id": 1}, headers={SECRET_HEADER: "no"})
            missing = await http.post(url, json={"update_id": 1})
        assert (forged.status, missing.status) == (401, 401)
        user = SimulatedUser(sandbox, 7100, timeout=20)
        await user.say("/start t-SUP01-EPGU", expect="Прежде чем начать")
        await user.tap("Дать согласие", expect="Вопрос 1")
        await user.tap("4", expect="комментарий")
        await user.tap("Пропустить", expect="в каком качестве")
        await user.tap("Гражданин", expect="Спасибо")
    finally:
        stop.set()
        await server
        await bot.session.close()
    async with session_pool() as session:
        assert await session.scalar(sa.select(sa.func.count(Response.id))) == 1
        statuses = set((await session.scalars(sa.select(InboxUpdate.status))).all())
    assert statuses == {"done"}


async def test_one_leader_and_takeover_when_it_dies(session_pool: SessionPool) -> None:
    now = datetime(2025, 3, 3, 9, tzinfo=UTC)
    clock = {"now": now}
    replicas = [
        Leadership(session_pool, ttl=timedelta(seconds=30), clock=lambda: clock["now"])
        for _ in range(3)
    ]
    runs: list[str] = []

    async def job(name: str) -> None:
        runs.append(name)

    leaders = [await r.renew() for r in replicas]
    assert leaders == [True, False, False]
    for replica in replicas:
        await replica.guard(job)(replica.holder)
    assert runs == [replicas[0].holder]

    clock["now"] = now + timedelta(seconds=20)  # the leader renews in time: still the leader
    assert [await r.renew() for r in replicas] == [True, False, False]
    clock["now"] = now + timedelta(seconds=80)  # replica 0 died: its lease lapsed
    assert await replicas[1].renew() is True
    assert await replicas[2].renew() is False
    assert await replicas[0].renew() is False  # it came back: it no longer leads


async def test_webhook_refuses_odd_secrets_and_absurd_bodies_without_failing(
    session_pool: SessionPool, settings: Settings, registry: SmallRegistry
) -> None:
    """A non-ASCII secret header is a wrong secret (401); deep or broken JSON is not an update
    (400); neither is stored, and a real update afterwards is still taken (200)."""
    from aiohttp.test_utils import TestServer

    from bot.webhook import webhook_app
    from tests.mocked_bot import make_bot

    bot, _recording = make_bot()
    inbox = Inbox(session_pool, create_dispatcher(settings, session_pool), bot)
    secret = webhook_secret(settings)
    good = {SECRET_HEADER: secret}
    deep = b'{"update_id": 5, "x": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    nested = b'{"update_id": 6, "x": ' + b'{"a": ' * 500 + b"1" + b"}" * 500 + b"}"
    async with TestServer(webhook_app(inbox, "/hook", secret)) as server:
        url = str(server.make_url("/hook"))
        async with aiohttp.ClientSession() as http:
            statuses = []
            for header in ("секрет", secret[:-1] + "é", "\u200b" + secret):
                response = await http.post(url, data=b"{}", headers={SECRET_HEADER: header})
                statuses.append(response.status)
            assert statuses == [401, 401, 401]
            for body in (deep, nested, b"{not json", b"[]", '{"update_id": "ы"}'.encode()):
                response = await http.post(url, data=body, headers=good)
                statuses.append(response.status)
            assert statuses[3:] == [400, 400, 400, 400, 400]
            response = await http.post(url, json={"update_id": 7}, headers=good)
            assert response.status == 200
    await inbox.drain()
    async with session_pool() as session:
        stored = set((await session.scalars(sa.select(InboxUpdate.update_id))).all())
    assert stored == {7}
