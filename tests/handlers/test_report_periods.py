"""The bot's /stats, its pain map and dynamics, and `otklik report` count the same months.

Answers are given through the dispatcher at moments either side of Moscow's month
boundaries; /stats, the documents it sends and the CLI report must all count the same
answers: whole months, first to last local day, ending with the last complete month.
"""

from __future__ import annotations

import asyncio
import io
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from aiogram.methods import SendDocument, SendMessage

from analytics.report_xlsx import HEAD_ROWS
from bot.cli import main
from core.settings import Settings
from handlers.callbacks import ReportCb
from storage.database import SessionPool
from storage.models import Person
from surveys.catalogue import sync_questionnaires
from tests.conftest import SmallRegistry
from tests.handlers.conftest import MovableClock
from tests.mocked_bot import Telegram
from tests.surveys.factories import add_responses, questionnaire

OWNER, OFFICER = 700001, 900001

# (moment in UTC, counted in September–November 2026 in Europe/Moscow?)
ANSWERS: list[tuple[datetime, bool]] = [
    (datetime(2026, 8, 31, 20, 30, tzinfo=UTC), False),  # 31 Aug, 23:30 in Moscow
    (datetime(2026, 8, 31, 21, 30, tzinfo=UTC), True),  # 1 Sep, 00:30 in Moscow
    (datetime(2026, 9, 15, 10, 0, tzinfo=UTC), True),
    (datetime(2026, 10, 10, 10, 0, tzinfo=UTC), True),
    (datetime(2026, 11, 2, 10, 0, tzinfo=UTC), True),  # after the 1st of the last month
    (datetime(2026, 11, 30, 20, 30, tzinfo=UTC), True),  # 30 Nov, 23:30 in Moscow
    (datetime(2026, 11, 30, 21, 30, tzinfo=UTC), False),  # 1 Dec, 00:30 in Moscow
]
COUNTED = sum(1 for _moment, counted in ANSWERS if counted)
IN_NOVEMBER = 2
# 1 Dec 2026, 00:45 in Moscow but still 30 Nov in UTC: the last complete month is November
NOW = datetime(2026, 11, 30, 21, 45, tzinfo=UTC)


async def rate_with_a_pain(telegram: Telegram, user: int, comment: str) -> None:
    await telegram.send(user, "/start t-SUP01-MFC")
    await telegram.tap(user, "Согласен")
    await telegram.tap(user, "2")
    await telegram.tap(user, "Очередь")
    await telegram.tap(user, "Готово")
    await telegram.tap(user, "рассмотрение")
    await telegram.tap(user, "Высокая")
    await telegram.send(user, comment)
    await telegram.tap(user, "Пенсионер")
    assert "Спасибо" in (telegram.last(user).text or "")


def document_sheets(telegram: Telegram) -> tuple[str, dict[str, pd.DataFrame]]:
    document = [r for r in telegram.session.requests if isinstance(r, SendDocument)][-1]
    content = document.document.data  # type: ignore[union-attr]
    return document.caption or "", pd.read_excel(
        io.BytesIO(content), sheet_name=None, header=HEAD_ROWS
    )


def info(sheets: dict[str, pd.DataFrame], key: str) -> Any:
    frame = sheets["Сведения"]
    return frame[frame["Показатель"] == key]["Значение"].iloc[0]


def run_cli(
    argv: list[str], settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> int:
    """`otklik …` on the test's database at the test's moment, as an operator runs it."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OTKLIK_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("OTKLIK_SECRET_KEY", "test-secret-key")
    monkeypatch.setenv("OTKLIK_DATA_DIR", str(tmp_path / "cli-var"))
    monkeypatch.setattr("core.clock.utcnow", lambda: NOW)
    return main(argv)


async def cli(
    argv: list[str],
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> tuple[int, str, str]:
    code = await asyncio.to_thread(run_cli, argv, settings, monkeypatch, tmp_path)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


async def test_stats_pain_map_and_cli_count_the_same_whole_months(
    telegram: Telegram,
    session_pool: SessionPool,
    registry: SmallRegistry,
    clock: MovableClock,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for index, (moment, _counted) in enumerate(ANSWERS):
        clock.now = moment
        await rate_with_a_pain(telegram, 61000 + index, f"Отзыв {index}")
    clock.now = NOW

    await telegram.send(OWNER, "/stats")
    [text] = [
        r.text
        for r in telegram.session.requests
        if isinstance(r, SendMessage) and r.chat_id == OWNER and "(SUP01)" in (r.text or "")
    ]
    pain = re.search(r"Очередь \((\d+)\)", text)
    assert pain is not None and int(pain.group(1)) == COUNTED, text
    assert f"ответов: {IN_NOVEMBER}" in text
    shown = {i for i in range(len(ANSWERS)) if f"Отзыв {i}<" in text}
    assert shown and shown <= {i for i, (_m, counted) in enumerate(ANSWERS) if counted}

    await telegram.press(OWNER, ReportCb(k="p", p=registry.process_id).pack())
    caption, bot_map = document_sheets(telegram)
    problems = bot_map["Что пошло не так"].set_index("Этап")
    assert problems.loc["Все этапы", "Очередь"] == COUNTED
    assert info(bot_map, "Число ответов") == COUNTED
    pains = bot_map["Карта болей"].set_index("Этап")
    assert pains.loc["рассмотрение", "Высокая"] == COUNTED
    assert pains.loc["рассмотрение", "Всего"] == COUNTED
    assert pd.Timestamp(info(bot_map, "Начало периода")).date() == date(2026, 9, 1)
    assert pd.Timestamp(info(bot_map, "Конец периода")).date() == date(2026, 11, 30)

    out = tmp_path / "pain-map.xlsx"
    code, printed, _err = await cli(
        ["report", "pain-map", "--process", "SUP01", "--out", str(out)],
        settings, monkeypatch, tmp_path, capsys,
    )  # fmt: skip
    assert code == 0
    cli_map = pd.read_excel(out, sheet_name=None, header=HEAD_ROWS)
    for sheet in ("Карта болей", "Что пошло не так", "Сведения"):
        pd.testing.assert_frame_equal(cli_map[sheet], bot_map[sheet])

    # each says which months it shows
    assert "Показатели за ноябрь 2026" in text
    assert f"Главные боли за сентябрь – ноябрь 2026: Очередь ({COUNTED})" in text
    assert caption == "Карта болей за сентябрь – ноябрь 2026"
    assert "Карта болей за сентябрь–ноябрь 2026 г. (последний завершённый месяц)" in printed
    assert f"ответов {COUNTED}" in printed

    # the officer's dynamics document and the CLI's agree with /stats on November's n
    async with session_pool() as session, session.begin():
        session.add(Person(telegram_id=OFFICER, is_officer=True))
    await telegram.send(OFFICER, "/stats")
    await telegram.press(OFFICER, ReportCb(k="d", p=0).pack())
    caption, dynamics = document_sheets(telegram)
    assert caption == "Динамика удовлетворённости за декабрь 2025 – ноябрь 2026"
    counts = dynamics["Число ответов"].set_index("Код процесса")
    assert counts.loc["SUP01", "ноя 2026"] == IN_NOVEMBER
    assert "дек 2026" not in counts.columns
    code, printed, _err = await cli(
        ["report", "dynamics", "--out", str(tmp_path / "dynamics.xlsx")],
        settings, monkeypatch, tmp_path, capsys,
    )  # fmt: skip
    assert code == 0 and "декабрь 2025 г. – ноябрь 2026 г." in printed
    cli_counts = pd.read_excel(
        tmp_path / "dynamics.xlsx", sheet_name="Число ответов", header=HEAD_ROWS
    )
    pd.testing.assert_frame_equal(cli_counts, dynamics["Число ответов"])


async def test_dynamics_intervals_stay_on_the_scale_and_small_months_say_so(
    telegram: Telegram,
    session_pool: SessionPool,
    registry: SmallRegistry,
    clock: MovableClock,
) -> None:
    clock.now = NOW
    await sync_questionnaires(session_pool)
    async with session_pool() as session, session.begin():
        survey = await questionnaire(session, "touchpoint")
        await add_responses(
            session, questionnaire=survey, process_id=registry.process_id,
            touchpoint_id=registry.touchpoint_id, ratings=[1, 5], month=date(2026, 11, 1),
        )  # fmt: skip
        session.add(Person(telegram_id=OFFICER, is_officer=True))
    await telegram.send(OFFICER, "/stats")

    await telegram.press(OFFICER, ReportCb(k="d", p=0).pack())
    _caption, sheets = document_sheets(telegram)
    row = sheets["Сводка"].set_index("Код процесса").loc["SUP01"]
    assert row["Месяц"] == "ноя 2026" and row["Число ответов"] == 2
    assert pd.isna(row["95% ДИ: нижняя граница"]) and pd.isna(row["95% ДИ: верхняя граница"])
    assert "Мало ответов для доверительного интервала: 2 ответа" in row["Примечание"]

    # twelve answers, eleven of them 5: the t-interval's top (5.40) is cut at the scale's end
    async with session_pool() as session, session.begin():
        await add_responses(
            session, questionnaire=survey, process_id=registry.process_id,
            touchpoint_id=registry.touchpoint_id, ratings=[5] * 10, month=date(2026, 11, 1),
            first_day=3,
        )  # fmt: skip
    await telegram.press(OFFICER, ReportCb(k="d", p=0).pack())
    _caption, sheets = document_sheets(telegram)
    row = sheets["Сводка"].set_index("Код процесса").loc["SUP01"]
    assert row["Число ответов"] == 12
    low, high = row["95% ДИ: нижняя граница"], row["95% ДИ: верхняя граница"]
    assert 1 <= low < row["Средняя оценка"] < high == 5
    assert pd.isna(row["Примечание"])
