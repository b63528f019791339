"""The outbox: written in the event's transaction, sent within limits, once, by lane."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import sqlalchemy as sa
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.delivery import OutboxSender
from sandbox import SandboxServer
from storage.database import SessionPool
from storage.delivery_models import OutboxLane, OutboxMessage, OutboxStatus
from storage.models import Person
from storage.outbox import enqueue


@pytest.fixture
async def sandbox() -> AsyncIterator[SandboxServer]:
    async with SandboxServer() as server:
        yield server


@pytest.fixture
async def bot(sandbox: SandboxServer) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(sandbox.base_url))
    bot = Bot("1000001:outbox-test-token-abcdefghijkl", session=session)
    yield bot
    await bot.session.close()


async def queue(
    pool: SessionPool, chats: list[int], lane: OutboxLane = OutboxLane.BULK, prefix: str = "m"
) -> None:
    async with pool() as session, session.begin():
        for chat in chats:
            await enqueue(
                session,
                chat_id=chat,
                text=f"{prefix}-{chat}",
                kind="test",
                lane=lane,
                dedupe_key=f"{prefix}:{chat}",
            )


async def drain(sender: OutboxSender, pool: SessionPool, limit: float = 20) -> None:
    async def loop() -> None:
        while True:
            await sender.run_once()
            async with pool() as session:
                left = await session.scalar(
                    sa.select(sa.func.count(OutboxMessage.id)).where(
                        OutboxMessage.status == OutboxStatus.PENDING
                    )
                )
            if not left:
                return
            await asyncio.sleep(0.05)

    await asyncio.wait_for(loop(), limit)


def delivered(sandbox: SandboxServer, chat: int) -> list[str]:
    return [str(m.get("text")) for m in sandbox.messages(chat)]


async def statuses(pool: SessionPool) -> dict[int, OutboxStatus]:
    async with pool() as session:
        rows = await session.execute(sa.select(OutboxMessage.chat_id, OutboxMessage.status))
        return {row[0]: row[1] for row in rows}


async def test_rolled_back_event_sends_nothing_and_dedupe_queues_once(
    session_pool: SessionPool, sandbox: SandboxServer, bot: Bot
) -> None:
    sandbox.register_user(1)
    with pytest.raises(RuntimeError):
        async with session_pool() as session, session.begin():
            await enqueue(session, chat_id=1, text="never", kind="test")
            raise RuntimeError("the event failed")
    await queue(session_pool, [1])
    await queue(session_pool, [1])  # same dedupe keys: nothing new
    await drain(OutboxSender(bot, session_pool), session_pool)
    assert delivered(sandbox, 1) == ["m-1"]


async def test_rate_limits_are_honoured(
    session_pool: SessionPool, sandbox: SandboxServer, bot: Bot
) -> None:
    chats = list(range(100, 160))
    for chat in chats:
        sandbox.register_user(chat)
    sandbox.set_rate_limits(enabled=True, global_rate=30, global_burst=30)
    await queue(session_pool, chats)
    await queue(session_pool, [100], prefix="second")  # same chat: 1 msg/s
    sender = OutboxSender(bot, session_pool, rate_per_second=25)
    await drain(sender, session_pool)
    assert sandbox.stats()["rate_limited"] == 0
    assert all(delivered(sandbox, chat)[0] == f"m-{chat}" for chat in chats)
    assert delivered(sandbox, 100) == ["m-100", "second-100"]


async def test_429_5xx_403_400_are_handled(
    session_pool: SessionPool, sandbox: SandboxServer, bot: Bot
) -> None:
    for chat in (1, 2, 3, 4, 5):
        sandbox.register_user(chat)
    async with session_pool() as session, session.begin():
        session.add(Person(telegram_id=3))
    sandbox.add_fault("retry_after", chat_id=1, count=1, retry_after=1)
    sandbox.add_fault("server_error", chat_id=2, count=2)
    sandbox.block_user(3)
    sandbox.add_fault("bad_request", chat_id=4, count=1, description="Bad Request: chat not found")
    await queue(session_pool, [1, 2, 3, 4, 5])
    await queue(session_pool, [3], prefix="later")
    sender = OutboxSender(bot, session_pool)
    deadline = asyncio.get_running_loop().time() + 20
    while asyncio.get_running_loop().time() < deadline:
        await sender.run_once()
        result = await statuses(session_pool)
        if result[1] == result[2] == OutboxStatus.SENT:
            break
        async with session_pool() as session, session.begin():  # move retries forward
            await session.execute(sa.update(OutboxMessage).values(next_attempt_at=sa.func.now()))
        await asyncio.sleep(0.2)
    result = await statuses(session_pool)
    assert result[1] == OutboxStatus.SENT and delivered(sandbox, 1) == ["m-1"]
    assert result[2] == OutboxStatus.SENT and delivered(sandbox, 2) == ["m-2"]
    # A person of the registry who blocked the bot: kept for them (issue #13, point 5), not lost.
    assert result[3] == OutboxStatus.HELD and delivered(sandbox, 3) == []
    assert result[4] == OutboxStatus.FAILED and result[5] == OutboxStatus.SENT
    async with session_pool() as session:
        person = await session.scalar(sa.select(Person).where(Person.telegram_id == 3))
        reasons = dict(
            (
                await session.execute(sa.select(OutboxMessage.chat_id, OutboxMessage.last_error))
            ).all()
        )
    assert person is not None and person.unreachable and person.unreachable_reason == "blocked"
    assert "chat not found" in str(reasons[4])


async def test_alerts_go_before_bulk(
    session_pool: SessionPool, sandbox: SandboxServer, bot: Bot
) -> None:
    bulk = list(range(1000, 1100))
    for chat in [*bulk, 7]:
        sandbox.register_user(chat)
    await queue(session_pool, bulk)
    await queue(session_pool, [7], lane=OutboxLane.ALERT, prefix="alert")
    order: list[Any] = []
    original = bot.send_message

    async def record(chat_id: int, text: str, **kwargs: Any) -> Any:
        order.append(chat_id)
        return await original(chat_id, text, **kwargs)

    bot.send_message = record  # type: ignore[method-assign]
    await drain(OutboxSender(bot, session_pool, rate_per_second=200), session_pool)
    assert order[0] == 7 and len(order) == 101


SENDER_SCRIPT = """
import asyncio, sys
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from bot.delivery import OutboxSender
from storage.database import create_engine, create_session_pool

async def main(url, db):
    bot = Bot("1000001:outbox-test-token-abcdefghijkl",
              session=AiohttpSession(api=TelegramAPIServer.from_base(url)))
    sender = OutboxSender(bot, create_session_pool(create_engine(db)), rate_per_second=100)
    await sender.run(asyncio.Event(), idle=0.05)

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


async def test_kill_9_mid_batch_loses_nothing(
    session_pool: SessionPool, sandbox: SandboxServer, settings: Any
) -> None:
    """Killed hard and restarted: every message arrives; a duplicate only from the window."""
    import signal
    import sys

    chats = list(range(5000, 5200))
    for chat in chats:
        sandbox.register_user(chat)
    await queue(session_pool, chats)

    async def start() -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            SENDER_SCRIPT,
            sandbox.base_url,
            settings.database_url,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )

    first = await start()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 180
    await sandbox.wait_for(chats[49], bool, 60)  # about 50 sent: well inside the batch
    first.send_signal(signal.SIGKILL)
    await first.wait()
    at_kill = sandbox.stats()["messages_total"]
    assert 0 < at_kill < len(chats), "killed mid-batch"
    second = await start()
    try:
        while loop.time() < deadline:
            if all(s == OutboxStatus.SENT for s in (await statuses(session_pool)).values()):
                break
            await asyncio.sleep(0.2)
    finally:
        second.send_signal(signal.SIGKILL)
        await second.wait()
    counts = [len(delivered(sandbox, chat)) for chat in chats]
    left = [s for s in (await statuses(session_pool)).values() if s != OutboxStatus.SENT]
    assert left == [], "every message recorded as sent"
    assert min(counts) == 1, "nothing lost"
    duplicates = sum(c - 1 for c in counts)
    # The documented window: sends in flight plus outcomes not yet committed by the writer.
    assert duplicates <= 32 + 100, "duplicates only from the at-least-once window"


async def test_people_telegram_cannot_reach_are_held_with_the_reason(
    session_pool: SessionPool, sandbox: SandboxServer, bot: Bot
) -> None:
    """Issue #13, point 5: 400 chat not found and 403 keep a person's messages, not fail them."""
    sandbox.register_user(11)
    sandbox.register_user(12)
    async with session_pool() as session, session.begin():
        session.add_all([Person(telegram_id=10), Person(telegram_id=11), Person(telegram_id=12)])
    sandbox.add_fault("blocked", chat_id=11, count=5, description="Forbidden: user is deactivated")
    sandbox.add_fault("blocked", chat_id=12, count=5)
    # 10 never opened the bot: the sandbox, like Telegram, does not know the chat; 20 is a
    # respondent's chat (nobody's in the registry): given up as before.
    await queue(session_pool, [10, 11, 12, 20])
    await drain(OutboxSender(bot, session_pool), session_pool)
    result = await statuses(session_pool)
    assert (result[10], result[11], result[12]) == (OutboxStatus.HELD,) * 3
    assert result[20] == OutboxStatus.FAILED
    async with session_pool() as session:
        people = {
            p.telegram_id: (p.unreachable, p.unreachable_reason, p.unreachable_since is not None)
            for p in (await session.scalars(sa.select(Person))).all()
        }
    assert people == {
        10: (True, "not_started", True),
        11: (True, "deactivated", True),
        12: (True, "blocked", True),
    }


async def test_non_json_answers_back_off_like_a_5xx(
    session_pool: SessionPool, sandbox: SandboxServer, bot: Bot
) -> None:
    """Even over aiogram's own session (ClientDecodeError), a proxy's 502 page is a retry."""
    for chat in (6, 7):
        sandbox.register_user(chat)
    sandbox.add_fault("html_502", chat_id=6, count=1)
    sandbox.add_fault("text_500", chat_id=7, count=1)
    await queue(session_pool, [6, 7])
    sender = OutboxSender(bot, session_pool)
    await sender.run_once()
    await asyncio.gather(*sender._tasks)
    async with session_pool() as session:
        rows = (
            await session.execute(
                sa.select(OutboxMessage.status, OutboxMessage.attempts, OutboxMessage.last_error)
            )
        ).all()
    assert [(status, attempts) for status, attempts, _error in rows] == [
        (OutboxStatus.PENDING, 1),
        (OutboxStatus.PENDING, 1),
    ], "counted and backed off, not picked again at once"
    assert all("ClientDecodeError" in str(error) for _s, _a, error in rows)
    async with session_pool() as session, session.begin():
        await session.execute(sa.update(OutboxMessage).values(next_attempt_at=sa.func.now()))
    await drain(sender, session_pool)
    assert delivered(sandbox, 6) == ["m-6"] and delivered(sandbox, 7) == ["m-7"]
