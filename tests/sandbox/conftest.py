"""Fixtures: a fresh sandbox per test and a real aiogram Bot pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from sandbox import MaxSandboxServer, SandboxServer

TOKEN = "123456:TEST-token_abc"


@pytest.fixture
async def server() -> AsyncIterator[SandboxServer]:
    """A sandbox on a free port, stopped after the test."""
    async with SandboxServer(webhook_retry_base=0.05, webhook_retry_max=0.2) as srv:
        yield srv


async def close_bot(bot: Bot) -> None:
    """Close aiogram's HTTP session without its 0.25 s TLS grace sleep (plain HTTP here)."""
    inner = getattr(bot.session, "_session", None)
    if inner is not None and not inner.closed:
        await inner.close()


def make_bot(server: SandboxServer, token: str = TOKEN) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(server.base_url))
    return Bot(token, session=session)


@pytest.fixture
async def bot(server: SandboxServer) -> AsyncIterator[Bot]:
    """A real aiogram Bot talking to the sandbox over HTTP."""
    b = make_bot(server)
    try:
        yield b
    finally:
        await close_bot(b)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """A raw aiohttp client for wire-level assertions."""
    async with aiohttp.ClientSession() as session:
        yield session


MAX_TOKEN = "max-sandbox-token"


class MaxHttp:
    """A bare MAX Bot API client over real HTTP: ``await api.call("POST", "/messages", ...)``."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str, token: str) -> None:
        self.session = session
        self.base_url = base_url
        self.token = token

    async def call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, object] | None = None,
        json: object = None,
        token: str | None = None,
    ) -> tuple[int, dict[str, object]]:
        """(status, JSON answer) of one request, the token in the Authorization header."""
        query = {k: str(v) for k, v in (params or {}).items() if v is not None}
        headers = {"Authorization": token if token is not None else self.token}
        async with self.session.request(
            method, self.base_url + path, params=query, json=json, headers=headers
        ) as resp:
            return resp.status, await resp.json(content_type=None)


@pytest.fixture
async def max_server() -> AsyncIterator[MaxSandboxServer]:
    async with MaxSandboxServer(callback_ttl=5.0) as srv:
        yield srv


@pytest.fixture
async def max_api(max_server: MaxSandboxServer, http: aiohttp.ClientSession) -> MaxHttp:
    return MaxHttp(http, max_server.base_url, MAX_TOKEN)
