"""The MAX outbox sender against the MAX stand-in: 30 requests a second, 429 and 5xx retried."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from pydantic import SecretStr

from bot.delivery import OutboxSender
from bot.max.channel import MAX_RATE_PER_SECOND, MaxChannel, create_max_channel
from core.channels import Channel, address, native_id
from core.settings import Settings
from sandbox import MaxSandboxServer
from storage.database import SessionPool
from storage.delivery_models import OutboxLane, OutboxMessage, OutboxStatus
from storage.models import Person
from storage.outbox import enqueue
from tests.max.conftest import MAX_TOKEN


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


async def queue(pool: SessionPool, users: list[int], prefix: str = "m") -> None:
    async with pool() as session, session.begin():
        for user in users:
            await enqueue(
                session,
                chat_id=address(Channel.MAX, user),
                text=f"{prefix}-{user}",
                kind="test",
                lane=OutboxLane.BULK,
                dedupe_key=f"{prefix}:{user}",
            )
            # A Telegram row with the same number: the MAX sender must leave it alone.
            await enqueue(session, chat_id=user, text="tg", kind="test", lane=OutboxLane.BULK)


async def statuses(pool: SessionPool) -> dict[int, OutboxStatus]:
    async with pool() as session:
        rows = await session.execute(
            sa.select(OutboxMessage.chat_id, OutboxMessage.status).where(
                OutboxMessage.channel == "max"
            )
        )
        return {native_id(row[0]): row[1] for row in rows}


async def drain(sender: OutboxSender, pool: SessionPool, limit: float = 30) -> None:
    async def loop() -> None:
        while True:
            await sender.run_once()
            if all(s != OutboxStatus.PENDING for s in (await statuses(pool)).values()):
                return
            async with pool() as session, session.begin():  # retries are due at once
                await session.execute(
                    sa.update(OutboxMessage)
                    .where(OutboxMessage.channel == "max")
                    .values(next_attempt_at=sa.func.now())
                )
            await asyncio.sleep(0.05)

    await asyncio.wait_for(loop(), limit)


def delivered(server: MaxSandboxServer, user: int) -> list[str]:
    return [str(m.get("text")) for m in server.messages(server.private_chat_id(user))]


async def test_max_messages_go_at_30_a_second_without_a_429(
    session_pool: SessionPool, max_server: MaxSandboxServer, channel: MaxChannel
) -> None:
    users = list(range(3000, 3090))
    for user in users:
        max_server.register_user(user)
    max_server.set_rate_limits(enabled=True, global_rate=30, global_burst=10)
    await queue(session_pool, users)
    sender = OutboxSender(
        channel.bot, session_pool, rate_per_second=MAX_RATE_PER_SECOND, channel=Channel.MAX
    )
    began = time.monotonic()
    await drain(sender, session_pool)
    took = time.monotonic() - began
    assert max_server.stats()["rate_limited"] == 0
    assert all(delivered(max_server, user) == [f"m-{user}"] for user in users)
    assert took >= (len(users) - 10) / 30 * 0.9  # paced, not a burst
    async with session_pool() as session:
        telegram_rows = await session.scalars(
            sa.select(OutboxMessage.status).where(OutboxMessage.channel == "telegram")
        )
        assert set(telegram_rows) == {OutboxStatus.PENDING}


async def test_max_429_and_5xx_are_retried_and_a_blocked_person_is_held(
    session_pool: SessionPool, max_server: MaxSandboxServer, channel: MaxChannel
) -> None:
    for user in (1, 2, 3, 4):
        max_server.register_user(user)
    async with session_pool() as session, session.begin():
        session.add(Person(max_id=3))
    max_server.add_fault("retry_after", chat_id=max_server.private_chat_id(1), count=2)
    max_server.add_fault("server_error", chat_id=max_server.private_chat_id(2), count=2)
    max_server.block_user(3)
    await queue(session_pool, [1, 2, 3, 4, 5])  # 5 never opened the bot
    sender = OutboxSender(
        channel.bot, session_pool, rate_per_second=MAX_RATE_PER_SECOND, channel=Channel.MAX
    )
    await drain(sender, session_pool)
    result = await statuses(session_pool)
    assert result[1] == result[2] == result[4] == OutboxStatus.SENT
    assert delivered(max_server, 1) == ["m-1"] and delivered(max_server, 2) == ["m-2"]
    assert result[3] == OutboxStatus.HELD  # a person of the registry: kept for them
    assert result[5] == OutboxStatus.FAILED  # nobody's chat, not found in MAX
    # Both 429s were absorbed by the channel's pacer (bot.max.pacing): paused and sent again
    # before the sender saw them; the 5xx went back to the sender's own retries.
    assert sender.stats.rate_limited == 0 and max_server.stats()["faults_injected"] >= 4
    async with session_pool() as session:
        person = await session.scalar(sa.select(Person).where(Person.max_id == 3))
    assert person is not None and person.unreachable and person.unreachable_reason == "blocked"
