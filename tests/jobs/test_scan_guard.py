"""The noise guard in the monthly scan, through the database: noise opens no case, a decline does.

Ratings here are spread over the whole scale (a standard deviation of about one point, as real
answers are), so a month's mean carries the sampling noise the guard has to see through.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from analytics.indexes import month_add
from bot.cli import main
from core.settings import Settings
from jobs.cases import run_case_reminders
from jobs.scan import scan_and_notify
from storage.cases_models import CaseGround, ReengineeringCase
from storage.database import SessionPool
from storage.delivery_models import OutboxMessage
from storage.models import DeclineDetection
from surveys.catalogue import sync_questionnaires
from tests.conftest import SmallRegistry
from tests.surveys.factories import add_responses, questionnaire

MARCH = date(2025, 3, 1)
STEADY = [4.21, 4.16, 4.20]
# Three decreases in a row, 0.12 in all: the literal rule's chance streak, well inside the
# noise of 100 answers a month (the standard error of the drop is about 0.16).
NOISY_STREAK = [4.24, 4.20, 4.16, 4.12]
# 0.2 a month for three months at 100 answers a month: the planted decline of the benchmark.
REAL_DECLINE = [4.24, 4.04, 3.84, 3.64]
# A 100-answer mix with a standard deviation of about 1.1, shifted to the wanted mean.
MIX = [5] * 40 + [4] * 30 + [3] * 15 + [2] * 10 + [1] * 5


def spread_ratings(mean: float, n: int = 100) -> list[int]:
    """n ratings on 1..5 with the given mean (to 1/n), spread like real answers."""
    ratings = [MIX[i * len(MIX) // n] for i in range(n)]
    target = round(mean * n)
    step = 1 if target > sum(ratings) else -1
    index = 0
    while sum(ratings) != target:
        position = (index * 37) % n  # walk the list so the shift is spread over levels
        if 1 <= ratings[position] + step <= 5:
            ratings[position] += step
        index += 1
    return ratings


async def store_year(
    pool: SessionPool, registry: SmallRegistry, means: list[float], last: date = MARCH
) -> None:
    """Seven months of answers at one touchpoint of the registry's process, ending at `last`."""
    await sync_questionnaires(pool)
    series = STEADY + means
    async with pool() as session, session.begin():
        survey = await questionnaire(session, "touchpoint")
        for offset, mean in enumerate(series):
            await add_responses(
                session,
                questionnaire=survey,
                process_id=registry.process_id,
                touchpoint_id=registry.touchpoint_id,
                ratings=spread_ratings(mean),
                month=month_add(last, offset - len(series) + 1),
            )


async def scan_then_open_cases(pool: SessionPool, settings: Settings) -> list[int]:
    """The two jobs as the scheduler runs them: the scan on 1 April, the case job that day."""
    at = lambda: datetime(2025, 4, 1, 9, tzinfo=UTC)  # noqa: E731
    await scan_and_notify(pool, settings, MARCH, at)
    report = await run_case_reminders(pool, lambda: datetime(2025, 4, 1, 12, tzinfo=UTC), settings)
    return report.opened


async def detections(pool: SessionPool) -> list[DeclineDetection]:
    async with pool() as session:
        return list(await session.scalars(sa.select(DeclineDetection)))


async def cases(pool: SessionPool) -> int:
    async with pool() as session:
        return int(await session.scalar(sa.select(sa.func.count(ReengineeringCase.id))) or 0)


async def test_noisy_streak_opens_no_case(
    session_pool: SessionPool, registry: SmallRegistry, settings: Settings
) -> None:
    await store_year(session_pool, registry, NOISY_STREAK)
    opened = await scan_then_open_cases(session_pool, settings)
    assert opened == [] and await cases(session_pool) == 0
    assert await detections(session_pool) == []
    async with session_pool() as session:
        sent = await session.scalar(sa.select(sa.func.count(OutboxMessage.id)))
    assert sent == 0


async def test_real_decline_opens_a_case_and_says_its_significance(
    session_pool: SessionPool, registry: SmallRegistry, settings: Settings
) -> None:
    await store_year(session_pool, registry, REAL_DECLINE)
    opened = await scan_then_open_cases(session_pool, settings)
    assert len(opened) == 1 and await cases(session_pool) == 1
    found = {d.level: d for d in await detections(session_pool)}
    assert set(found) == {"process", "touchpoint"}
    reason = found["process"].reason
    assert "Снижение удовлетворённости 3 месяца подряд" in reason
    assert "стандартной ошибки" in reason and "порог устойчивости — 2,5" in reason
    async with session_pool() as session:
        grounds = (await session.scalars(sa.select(CaseGround.detection_id))).all()
        alerts = (
            await session.scalars(
                sa.select(OutboxMessage.text).where(OutboxMessage.kind == "decline_process")
            )
        ).all()
    assert list(grounds) == [found["process"].id]
    assert alerts and all("стандартной ошибки" in text for text in alerts)


async def test_literal_rule_keeps_todays_trigger(
    session_pool: SessionPool, registry: SmallRegistry, settings: Settings
) -> None:
    await store_year(session_pool, registry, NOISY_STREAK)
    literal = settings.model_copy(update={"decline_guard": "literal"})
    opened = await scan_then_open_cases(session_pool, literal)
    assert len(opened) == 1
    [process_level] = [d for d in await detections(session_pool) if d.level == "process"]
    assert process_level.streak == 3 and "стандартной ошибки" not in process_level.reason


async def test_scan_command_counts_the_streaks_set_aside(
    session_pool: SessionPool,
    registry: SmallRegistry,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await store_year(session_pool, registry, NOISY_STREAK)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OTKLIK_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("OTKLIK_SECRET_KEY", "cli-secret")
    assert await asyncio.to_thread(main, ["scan", "--month", "2025-03"]) == 0
    out = capsys.readouterr().out
    assert "новых снижений 0" in out and "(не записаны) 2." in out
    monkeypatch.setenv("OTKLIK_DECLINE_GUARD", "literal")
    assert await asyncio.to_thread(main, ["scan", "--month", "2025-03"]) == 0
    out = capsys.readouterr().out
    assert "новых снижений 2" in out and "(не записаны) 0." in out
    found = [line.split(": ")[0] for line in out.splitlines() if line.startswith("  • ")]
    assert found == ["  • процесс SUP01", "  • точка SUP01-EPGU процесса SUP01"]  # not ids
