"""The monthly scan: detections recorded once, owner and officers notified through the outbox."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa

from analytics.indexes import month_add
from core.settings import Settings
from jobs.scan import (
    is_first_working_day_of_month,
    last_complete_month,
    monthly_scan_job,
    scan_and_notify,
)
from storage.database import SessionPool
from storage.delivery_models import OutboxMessage
from storage.models import DeclineDetection, Person
from surveys.catalogue import sync_questionnaires
from tests.conftest import SmallRegistry
from tests.surveys.factories import add_responses, questionnaire

MEANS = [4.6, 4.5, 4.6, 4.5, 4.6, 4.5, 4.6, 4.5, 4.7, 4.4, 4.1, 3.8]


def ratings_for(mean: float, n: int = 40) -> list[int]:
    """n integer ratings with the given mean (to 0.025)."""
    total = round(mean * n)
    base, extra = divmod(total, n)
    return [base + 1] * extra + [base] * (n - extra)


async def declining_year(pool: SessionPool, registry: SmallRegistry, last: date) -> None:
    await sync_questionnaires(pool)
    async with pool() as session, session.begin():
        survey = await questionnaire(session, "touchpoint")
        for offset, mean in enumerate(MEANS):
            await add_responses(
                session,
                questionnaire=survey,
                process_id=registry.process_id,
                touchpoint_id=registry.touchpoint_id,
                ratings=ratings_for(mean),
                month=month_add(last, offset - len(MEANS) + 1),
            )
        session.add(Person(telegram_id=900002, is_officer=True))


async def test_scan_records_once_and_notifies_owner_and_officers(
    session_pool: SessionPool, registry: SmallRegistry, settings: Settings
) -> None:
    march = date(2025, 3, 1)
    await declining_year(session_pool, registry, march)
    now = lambda: datetime(2025, 4, 1, 9, tzinfo=UTC)  # noqa: E731
    first = await scan_and_notify(session_pool, settings, march, now)
    assert [d.level for d in first.new] == ["process", "touchpoint"]
    assert first.new[0].streak == 3 and "3 месяца подряд" in first.new[0].reason
    again = await scan_and_notify(session_pool, settings, march, now)
    assert again.new == [] and again.already_recorded == 2
    async with session_pool() as session:
        detections = (await session.scalars(sa.select(DeclineDetection))).all()
        outbox = (await session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id))).all()
    assert len(detections) == 2 and all(d.notified_at is not None for d in detections)
    recipients = {m.chat_id for m in outbox}
    assert recipients == {registry.owner_telegram_id, 900002}
    texts = [m.text for m in outbox if m.method == "sendMessage"]
    assert len(texts) == 4 and all("Назначение ежемесячной денежной выплаты" in t for t in texts)
    charts = {m.file_path for m in outbox if m.method == "sendPhoto"}
    assert len(charts) == 1
    chart = Path(next(iter(charts)))  # type: ignore[arg-type]
    assert chart.exists() and chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


async def test_steady_months_record_nothing(
    session_pool: SessionPool, registry: SmallRegistry, settings: Settings
) -> None:
    await sync_questionnaires(session_pool)
    async with session_pool() as session, session.begin():
        survey = await questionnaire(session, "touchpoint")
        for offset in range(6):
            await add_responses(
                session,
                questionnaire=survey,
                process_id=registry.process_id,
                ratings=ratings_for(4.5),
                month=date(2025, 1 + offset, 1),
            )
    report = await scan_and_notify(
        session_pool, settings, date(2025, 6, 1), lambda: datetime(2025, 7, 1, tzinfo=UTC)
    )
    assert report.processes == 1 and report.new == []


async def test_job_runs_only_on_the_first_working_day(
    session_pool: SessionPool, registry: SmallRegistry, settings: Settings
) -> None:
    await declining_year(session_pool, registry, date(2025, 4, 1))
    assert last_complete_month(date(2025, 5, 2)) == date(2025, 4, 1)
    # May 2025: 1-4 are holidays and a weekend, the 5th is the first working day
    assert not is_first_working_day_of_month(date(2025, 5, 2))
    assert is_first_working_day_of_month(date(2025, 5, 5))
    await monthly_scan_job(session_pool, settings, lambda: datetime(2025, 5, 2, 9, tzinfo=UTC))
    async with session_pool() as session:
        assert await session.scalar(sa.select(sa.func.count(DeclineDetection.id))) == 0
    await monthly_scan_job(session_pool, settings, lambda: datetime(2025, 5, 5, 9, tzinfo=UTC))
    await monthly_scan_job(session_pool, settings, lambda: datetime(2025, 5, 5, 9, tzinfo=UTC))
    async with session_pool() as session:
        assert await session.scalar(sa.select(sa.func.count(DeclineDetection.id))) == 2
