"""Responses are counted per collection channel (Telegram, MAX, web) and the dynamics report
splits each process by it, hiding small internal cells."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import sqlalchemy as sa

from analytics.report_dynamics import satisfaction_dynamics
from analytics.report_xlsx import HEAD_ROWS
from analytics.rollup import cell_key, rebuild_rollups
from core.i18n import translator
from outreach.loop import LoopPolicy
from storage.database import SessionPool
from storage.models import MonthlyRollup, Response
from surveys import profiles, service
from surveys.catalogue import sync_questionnaires
from surveys.service import StepResult, SurveyPolicy
from tests.conftest import SmallRegistry
from tests.surveys.factories import add_responses, new_key, questionnaire

RU = translator()
NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
POLICY = SurveyPolicy(
    tz=ZoneInfo("Europe/Moscow"), after_client_response=LoopPolicy().after_response
)
SHEET = "Каналы сбора"


async def answer(
    pool: SessionPool, registry: SmallRegistry, collected_via: str, rating: int
) -> None:
    """One person answers the touchpoint questionnaire through the service, as a channel does."""
    policy = replace(POLICY, collected_via=collected_via)
    key = new_key()
    async with pool() as db, db.begin():
        await profiles.give_consent(db, key, NOW)
        result = await service.start_survey(
            db, policy, key, questionnaire_code="touchpoint", now=NOW,
            touchpoint_id=registry.touchpoint_id,
        )  # fmt: skip
    for raw in (str(rating), "-", "citizen"):
        assert result.view is not None
        async with pool() as db, db.begin():
            result = await service.press_button(
                db, policy, key, session_id=result.view.session_id,
                version=result.view.version, raw=raw, now=NOW,
            )  # fmt: skip
    assert isinstance(result, StepResult) and result.response_id is not None


def sheet_rows(path: Path, name: str) -> list[dict[str, Any]]:
    sheet = openpyxl.load_workbook(path)[name]
    rows = list(sheet.iter_rows(values_only=True))[HEAD_ROWS:]  # the document's head above
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


async def test_each_channel_has_its_cells_and_its_rows_in_the_report(
    session_pool: SessionPool, registry: SmallRegistry, tmp_path: Path
) -> None:
    await sync_questionnaires(session_pool)
    ratings = {"telegram": [5, 4, 5], "max": [4], "web": [5, 4]}
    for via, scores in ratings.items():
        for rating in scores:
            await answer(session_pool, registry, via, rating)
    async with session_pool() as session:
        stored = (await session.scalars(sa.select(Response))).all()
        cells = (await session.scalars(sa.select(MonthlyRollup))).all()
    assert sorted(r.collected_via for r in stored) == sorted(
        via for via, scores in ratings.items() for _ in scores
    )
    by_channel = {c.collected_via: c for c in cells}
    assert len(cells) == 3
    for via, scores in ratings.items():
        cell = by_channel[via]
        assert (cell.n, cell.total, cell.total_sq) == (
            len(scores), sum(scores), sum(s * s for s in scores)
        )  # fmt: skip
        assert cell.cell == cell_key(
            cell.questionnaire_id, registry.process_id, registry.touchpoint_id, "citizen",
            "digital", cell.department_id, via,
        )  # fmt: skip
    counted = {(c.cell, c.month, c.n, c.total, c.total_sq, c.top2) for c in cells}
    async with session_pool() as session, session.begin():
        await rebuild_rollups(session)  # the rebuild keeps the split the counting made
        rebuilt = (await session.scalars(sa.select(MonthlyRollup))).all()
    assert {(c.cell, c.month, c.n, c.total, c.total_sq, c.top2) for c in rebuilt} == counted

    out = tmp_path / "dynamics.xlsx"
    async with session_pool() as session:
        summary = await satisfaction_dynamics(session, out, RU, until=NOW.date(), months=3)
    assert SHEET in summary.sheets and summary.sheets[-1] == "Сведения"
    rows = sheet_rows(out, SHEET)
    sup = [r for r in rows if r["Код процесса"] == "SUP01"]
    assert [r["Канал сбора"] for r in sup] == ["Telegram", "MAX", "Веб-форма"]
    telegram, max_, web = sup
    assert telegram["Число ответов"] == 3 and telegram["Доля ответов"] == 0.5
    assert abs(telegram["Средняя оценка"] - 14 / 3) < 1e-9 and telegram["CSAT"] == 1
    assert max_["Число ответов"] == 1 and max_["Средняя оценка"] == 4
    assert web["Число ответов"] == 2 and web["Средняя оценка"] == 4.5
    assert telegram["Процесс"] == "Назначение ежемесячной денежной выплаты"
    assert telegram["Клиенты"] == "внешние" and telegram["Версия анкеты"] == 1
    totals = [r for r in rows if r["Процесс"] == "Все процессы"]
    assert [(r["Канал сбора"], r["Число ответов"]) for r in totals] == [
        ("Telegram", 3), ("MAX", 1), ("Веб-форма", 2),
    ]  # fmt: skip
    info = {r["Показатель"]: r["Значение"] for r in sheet_rows(out, "Сведения")}
    assert "Telegram, MAX или веб-форма" in info["Каналы сбора"]


async def test_small_internal_channels_are_hidden_with_a_complement(
    session_pool: SessionPool, registry: SmallRegistry, tmp_path: Path
) -> None:
    await sync_questionnaires(session_pool)
    march = date(2026, 3, 1)
    async with session_pool() as session, session.begin():
        internal = await questionnaire(session, "internal_service")
        common = {
            "session": session, "questionnaire": internal,
            "process_id": registry.internal_process_id, "department_id": registry.department_id,
            "month": march,
        }  # fmt: skip
        await add_responses(**common, ratings=[5, 4, 4, 3, 5, 4], collected_via="telegram")
        await add_responses(**common, ratings=[2, 1], collected_via="web")
        await add_responses(**common, ratings=[5, 5, 4, 4, 4, 3, 5], collected_via="max")
        # seven answers of two people: n alone would show it
        people = [new_key(), new_key()]
        await add_responses(
            **common, ratings=[4] * 6, collected_via="web", respondents=people * 3, first_day=10
        )
    out = tmp_path / "dynamics.xlsx"
    async with session_pool() as session:
        summary = await satisfaction_dynamics(session, out, RU, until=march, months=1)
    rows = {r["Канал сбора"]: r for r in sheet_rows(out, SHEET) if r["Код процесса"] == "IT01"}
    assert rows["Веб-форма"]["Число ответов"] == "<5"  # eight answers of four people
    assert rows["Веб-форма"]["Средняя оценка"] == "<5" and rows["Веб-форма"]["CSAT"] == "<5"
    # alone, the hidden web figures would be the total minus the others: the smaller goes too
    assert rows["Telegram"]["Число ответов"] == "<5"
    assert rows["MAX"]["Число ответов"] == 7
    assert abs(rows["MAX"]["Средняя оценка"] - 30 / 7) < 1e-9
    totals = {
        r["Канал сбора"]: r["Число ответов"]
        for r in sheet_rows(out, SHEET)
        if r["Процесс"] == "Все процессы"
    }
    assert totals == {"Telegram": "<5", "MAX": 7, "Веб-форма": "<5"}
    assert summary.suppressed > 0
    sheet = openpyxl.load_workbook(out)[SHEET]
    marker = [c for row in sheet.iter_rows() for c in row if c.value == "<5"]
    assert marker and all(c.data_type == "s" for c in marker)
