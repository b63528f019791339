"""A crowd in MAX within its 30 requests a second: every person gets every answer.

MAX refuses a bot's 31st request in a second with 429 and names no delay. The handlers'
replies, the outbox and the long poll share one budget (bot.max.pacing); a reply refused
anyway is tried again after a pause instead of being lost.
"""

from __future__ import annotations

import asyncio

from sandbox.simulated import SimulatedUser
from tests.max.conftest import Running

CROWD = 40


async def test_a_crowd_within_the_limit_gets_every_answer_and_no_429(running: Running) -> None:
    running.max.set_rate_limits(True)  # MAX's 30 requests a second, burst 30
    crowd = [SimulatedUser(running.max, 5570000 + n, timeout=30.0) for n in range(CROWD)]
    await asyncio.gather(*(p.start("t-SUP01-EPGU", expect="Прежде чем начать") for p in crowd))
    await asyncio.gather(*(p.tap("Дать согласие", expect="Вопрос 1") for p in crowd))
    await asyncio.gather(*(p.tap("5", expect="комментарий") for p in crowd))
    assert running.max.stats()["rate_limited"] == 0
    assert running.max_channel.pacer.waited > 0  # the crowd was held back, not refused


async def test_a_reply_refused_with_429_is_sent_again(running: Running) -> None:
    citizen = SimulatedUser(running.max, 5579999)
    running.max.add_fault(
        "retry_after", method="sendMessage", chat_id=running.max.private_chat_id(5579999)
    )
    await citizen.start("t-SUP01-EPGU", expect="Прежде чем начать")
    assert running.max.stats()["faults_injected"] == 1
