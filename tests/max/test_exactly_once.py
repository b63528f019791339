"""MAX's updates are applied once: a double tap, and the same update delivered twice."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa

from core.channels import MAX_UPDATE_BASE
from sandbox.simulated import SimulatedUser
from storage.database import SessionPool
from storage.delivery_models import InboxUpdate
from storage.models import Response
from tests.max.conftest import Running


async def test_a_double_tap_on_a_rating_counts_once(
    running: Running, session_pool: SessionPool
) -> None:
    citizen = SimulatedUser(running.max, 5550002)
    await citizen.start("t-SUP01-EPGU", expect="Прежде чем начать")
    await citizen.tap("Дать согласие", expect="Вопрос 1")
    running.max.press_button(citizen.user_id, "5")
    await citizen.tap("5", expect="комментарий")  # the second press of the same button
    await asyncio.sleep(0.3)  # a person reads the question before answering it
    await citizen.say("Быстро", expect="в каком качестве вы обращались")
    await citizen.tap("Гражданин", expect="Спасибо")
    async with session_pool() as session:
        ratings = (await session.scalars(sa.select(Response.rating))).all()
    assert ratings == [5]


async def test_the_same_max_update_delivered_twice_is_applied_once(
    running: Running, session_pool: SessionPool
) -> None:
    """A crash before the marker's commit makes MAX deliver an update again: same inbox id."""
    citizen = SimulatedUser(running.max, 5550003)
    started = running.max.inject_start(citizen.user_id, "t-SUP01-EPGU")["update"]
    await running.max.wait_for(
        citizen.chat_id, lambda ms: any("Прежде чем начать" in str(m.get("text")) for m in ms), 15
    )
    shown = len(running.max.messages(citizen.chat_id))
    fields = {k: v for k, v in started.items() if k != "update_type"}
    running.max.enqueue("bot_started", fields)  # the very same update, timestamp and all
    for _ in range(50):  # until the bot has fetched it
        if not running.max.updates:
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)
    assert len(running.max.messages(citizen.chat_id)) == shown  # no second greeting
    await citizen.tap("Дать согласие", expect="Вопрос 1")
    async with session_pool() as session:
        rows = (await session.execute(sa.select(InboxUpdate.update_id, InboxUpdate.status))).all()
    assert all(update_id >= MAX_UPDATE_BASE and status == "done" for update_id, status in rows)
    assert len(rows) == 2  # the start (once) and the consent
