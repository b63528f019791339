"""The effect check says whether the change after a case stands out from sampling noise."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.settings import Settings
from jobs.cases import run_case_reminders
from storage.database import SessionPool
from storage.delivery_models import OutboxMessage
from storage.models import ClientType, MonthlyRollup
from surveys.catalogue import sync_questionnaires
from tests.reengineering.test_cases import World, make_world
from tests.reengineering.test_reminders import _completed_case, clock_at

AROSE = date(2025, 6, 2)
BEFORE = (date(2025, 3, 1), date(2025, 4, 1), date(2025, 5, 1))
AFTER = (date(2025, 7, 1), date(2025, 8, 1), date(2025, 9, 1))


@pytest.fixture
async def world(session_pool: SessionPool) -> World:
    return await make_world(session_pool)


async def effect_caption(
    session_pool: SessionPool, settings: Settings, world: World, before: float, after: float
) -> str:
    """A completed case, 30 answers a month (σ 1) around the given means, the job on 1 October."""
    await sync_questionnaires(session_pool)
    async with session_pool() as session, session.begin():
        await _completed_case(session, world, AROSE)
        questionnaire_id = await session.scalar(
            sa.text("SELECT id FROM questionnaires WHERE code = 'touchpoint'")
        )
        for months, mean in ((BEFORE, before), (AFTER, after)):
            for month in months:
                n, total = 30, round(30 * mean)
                session.add(
                    MonthlyRollup(
                        cell=f"{questionnaire_id}|{month}", month=month,
                        questionnaire_id=questionnaire_id, process_id=world.registry.process_id,
                        channel="digital", client_type=ClientType.EXTERNAL, n=n, total=total,
                        total_sq=round(29 + total * total / n), top2=n // 2,
                    )
                )  # fmt: skip
    report = await run_case_reminders(session_pool, lambda: clock_at(date(2025, 10, 1)), settings)
    assert report.effects
    async with session_pool() as session:
        texts = (
            await session.scalars(
                sa.select(OutboxMessage.text).where(OutboxMessage.kind == "effect_check")
            )
        ).all()
    assert texts
    return texts[0]


async def test_a_change_within_the_noise_is_called_so(
    session_pool: SessionPool, settings: Settings, world: World, tmp_path: Path
) -> None:
    caption = await effect_caption(session_pool, settings, world, 3.90, 4.00)
    assert "Изменение средней оценки: +0,10 — 0,7 стандартной ошибки (0,15)" in caption
    assert "в пределах случайных колебаний: эффект не подтверждён" in caption


async def test_a_real_change_is_called_so(
    session_pool: SessionPool, settings: Settings, world: World, tmp_path: Path
) -> None:
    caption = await effect_caption(session_pool, settings, world, 3.50, 4.20)
    assert "Изменение средней оценки: +0,70 — 4,8 стандартной ошибки (0,15)" in caption
    assert "больше случайных колебаний" in caption
