"""The demo's collection channels beside Telegram, each an act of the same small shape.

`otklik demo` plays Telegram through the sandbox Bot API (bot/demo.py); every other channel
(the web form, MAX) is a `ChannelAct`: it adds what it needs to the demo's settings,
starts its server once the database is ready, plays its citizens while Telegram's play,
and stops. The closing summary counts the answers of this run per collection channel.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Protocol

import sqlalchemy as sa

from bot.demo_outcome import DemoLog
from core.settings import Settings
from storage.database import SessionPool
from storage.models import ClientType, Process, Response, Touchpoint


@dataclass(frozen=True)
class DemoTouchpoint:
    """A place citizens rate: its code (the landing page's) and its bot payload."""

    code: str
    payload: str
    name: str


@dataclass(frozen=True)
class Played:
    """What an act's citizens did: their channel (`collected_via`) and the scores given."""

    via: str
    scores: list[int]


class ChannelAct(Protocol):
    """One collection channel of the demo: its settings, its server, its citizens."""

    via: str
    """The `responses.collected_via` its answers are stored with."""

    def configure(self, settings: Settings) -> Settings:
        """The demo's settings with what this channel needs (its address, its token)."""
        ...

    async def start(self, settings: Settings, pool: SessionPool, log: DemoLog) -> None:
        """Starts the channel's server over the demo's database, and says so."""
        ...

    async def play(
        self, touchpoints: list[DemoTouchpoint], rng: random.Random, log: DemoLog
    ) -> Played:
        """Plays the channel's citizens (and whoever else it has) and narrates it."""
        ...

    async def stop(self) -> None:
        """Stops what `start` started; safe to call when it did not start."""
        ...


async def external_touchpoints(pool: SessionPool) -> list[DemoTouchpoint]:
    """The active touchpoints of services for citizens, in code order."""
    async with pool() as session:
        rows = await session.execute(
            sa.select(Touchpoint.code, Touchpoint.payload, Touchpoint.name)
            .join(Process, Process.id == Touchpoint.process_id)
            .where(Process.client_type == ClientType.EXTERNAL, Touchpoint.active)
            .order_by(Touchpoint.code)
        )
        return [DemoTouchpoint(row.code, row.payload, row.name) for row in rows]


async def count_answers(pool: SessionPool) -> dict[tuple[ClientType, str], int]:
    """Stored answers by the client type and the collection channel."""
    async with pool() as session:
        rows = await session.execute(
            sa.select(Response.client_type, Response.collected_via, sa.func.count()).group_by(
                Response.client_type, Response.collected_via
            )
        )
        return {(row[0], row[1]): int(row[2]) for row in rows}
