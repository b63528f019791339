"""Both channels at once, in process: the real dispatcher, inboxes and outbox senders over
HTTP against the Telegram and MAX stand-ins."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from aiogram import Bot
from pydantic import SecretStr

from bot.delivery import OutboxSender
from bot.factory import create_bot, create_dispatcher
from bot.intake import Inbox, durable_polling
from bot.max.channel import MAX_RATE_PER_SECOND, MaxChannel, create_max_channel
from bot.max.polling import durable_max_polling
from core.channels import Channel
from core.settings import Settings
from sandbox import MaxSandboxServer, SandboxServer
from storage.database import SessionPool
from surveys.catalogue import sync_questionnaires
from tests.conftest import SmallRegistry

MAX_TOKEN = "max-channel-test-token"


@dataclass
class Running:
    """The bot serving both messengers; `stop()` ends its tasks."""

    telegram: SandboxServer
    max: MaxSandboxServer
    telegram_bot: Bot
    max_channel: MaxChannel
    senders: list[OutboxSender]
    stop_event: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def stop(self) -> None:
        self.stop_event.set()
        await asyncio.gather(*self.tasks)
        await self.telegram_bot.session.close()
        await self.max_channel.bot.session.close()


@pytest.fixture
async def stand_ins() -> AsyncIterator[tuple[SandboxServer, MaxSandboxServer]]:
    async with SandboxServer() as telegram, MaxSandboxServer() as max_server:
        yield telegram, max_server


@pytest.fixture
def both_settings(
    settings: Settings, stand_ins: tuple[SandboxServer, MaxSandboxServer]
) -> Settings:
    telegram, max_server = stand_ins
    return settings.model_copy(
        update={
            "telegram_api_url": telegram.base_url,
            "max_token": SecretStr(MAX_TOKEN),
            "max_api_url": max_server.base_url,
        }
    )


@pytest.fixture
async def running(
    both_settings: Settings,
    session_pool: SessionPool,
    registry: SmallRegistry,
    stand_ins: tuple[SandboxServer, MaxSandboxServer],
) -> AsyncIterator[Running]:
    await sync_questionnaires(session_pool)
    telegram, max_server = stand_ins
    dispatcher = create_dispatcher(both_settings, session_pool)
    bot = create_bot(both_settings)
    channel = create_max_channel(both_settings, session_pool)
    senders = [
        OutboxSender(bot, session_pool, rate_per_second=25),
        OutboxSender(
            channel.bot, session_pool, rate_per_second=MAX_RATE_PER_SECOND, channel=Channel.MAX
        ),
    ]
    run = Running(telegram, max_server, bot, channel, senders)
    telegram_inbox = Inbox(session_pool, dispatcher, bot, workers=4)
    max_inbox = Inbox(session_pool, dispatcher, channel.bot, workers=4, channel=Channel.MAX)
    run.tasks = [
        asyncio.create_task(durable_polling(telegram_inbox, run.stop_event, poll_seconds=1)),
        asyncio.create_task(
            durable_max_polling(
                max_inbox, channel.client, channel.translator, run.stop_event, poll_seconds=1
            )
        ),
        *(asyncio.create_task(s.run(run.stop_event, idle=0.1)) for s in senders),
    ]
    try:
        yield run
    finally:
        await run.stop()
