"""Quiet hours: parsing, their end over midnight in the organisation's time zone, and the
outbox holding what the bot says on its own to staff until they end."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from core.quiet import QuietHours, configure_quiet_hours, parse_quiet_hours
from storage.database import SessionPool
from storage.delivery_models import OutboxLane, OutboxMessage
from storage.models import Person
from storage.outbox import enqueue

MSK = ZoneInfo("Europe/Moscow")


def test_parsing() -> None:
    assert parse_quiet_hours("20-8") == QuietHours(20, 8)
    assert parse_quiet_hours(" 22:00–7:00 ") == QuietHours(22, 7)
    assert parse_quiet_hours("25-8") is None and parse_quiet_hours("вечером") is None


def test_the_end_of_quiet_hours_over_midnight_in_local_time() -> None:
    quiet = QuietHours(20, 8)
    evening = datetime(2025, 3, 12, 18, 30, tzinfo=UTC)  # 21:30 in Moscow
    assert quiet.next_allowed(evening, MSK) == datetime(2025, 3, 13, 5, tzinfo=UTC)
    night = datetime(2025, 3, 12, 23, 0, tzinfo=UTC)  # 02:00 the next day in Moscow
    assert quiet.next_allowed(night, MSK) == datetime(2025, 3, 13, 5, tzinfo=UTC)
    day = datetime(2025, 3, 12, 9, 0, tzinfo=UTC)  # 12:00
    assert quiet.next_allowed(day, MSK) == day
    assert QuietHours(13, 15).next_allowed(day, MSK) == day  # 12:00 is before 13:00
    assert QuietHours(12, 15).next_allowed(day, MSK) == datetime(2025, 3, 12, 12, tzinfo=UTC)


@pytest.fixture
def quiet_evening(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    configure_quiet_hours(QuietHours(20, 8), MSK)
    monkeypatch.setattr("storage.outbox.utcnow", lambda: datetime(2025, 3, 12, 20, 30, tzinfo=UTC))
    yield
    configure_quiet_hours(None, MSK)


async def test_staff_messages_wait_for_the_end_of_quiet_hours(
    session_pool: SessionPool, quiet_evening: None
) -> None:
    """23:30 in Moscow: an owner's alert waits until 08:00; one who chose «off» gets it now;
    a citizen's message and an answer to what someone just did are not held."""
    async with session_pool() as session, session.begin():
        session.add_all(
            [
                Person(telegram_id=7001, is_employee=True),
                Person(telegram_id=7002, quiet_hours="off"),
            ]
        )
        await session.flush()
        for chat, lane in ((7001, OutboxLane.ALERT), (7002, OutboxLane.ALERT),
                           (5001, OutboxLane.ALERT), (7001, OutboxLane.INTERACTIVE)):  # fmt: skip
            await enqueue(session, chat_id=chat, text="…", kind=f"k{chat}{lane}", lane=lane)
    async with session_pool() as session:
        rows = (await session.execute(sa.select(OutboxMessage.chat_id, OutboxMessage.lane,
                OutboxMessage.next_attempt_at).order_by(OutboxMessage.id))).all()  # fmt: skip
    now, morning = datetime(2025, 3, 12, 20, 30, tzinfo=UTC), datetime(2025, 3, 13, 5, tzinfo=UTC)
    assert [(chat, lane, at.astimezone(UTC)) for chat, lane, at in rows] == [
        (7001, OutboxLane.ALERT, morning),
        (7002, OutboxLane.ALERT, now),
        (5001, OutboxLane.ALERT, now),
        (7001, OutboxLane.INTERACTIVE, now),
    ]
