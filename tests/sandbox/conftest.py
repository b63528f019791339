"""Fixtures: a fresh sandbox per test and a real aiogram Bot pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from sandbox import SandboxServer

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
