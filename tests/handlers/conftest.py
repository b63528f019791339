"""The real dispatcher over a recording bot session and a migrated database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from bot.factory import create_dispatcher
from core.settings import Settings
from storage.database import SessionPool
from surveys.catalogue import sync_questionnaires
from tests.mocked_bot import Telegram, make_bot


class MovableClock:
    """Time the tests move by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(datetime(2025, 3, 12, 9, 30, tzinfo=UTC))


@pytest.fixture
def make_telegram(
    settings: Settings, session_pool: SessionPool, clock: MovableClock
) -> Callable[[], Telegram]:
    def build() -> Telegram:
        bot, session = make_bot()
        dispatcher = create_dispatcher(settings, session_pool, clock=clock)
        return Telegram(bot, dispatcher, session)

    return build


@pytest.fixture
async def telegram(
    make_telegram: Callable[[], Telegram], session_pool: SessionPool, registry: object
) -> Telegram:
    await sync_questionnaires(session_pool)
    return make_telegram()
