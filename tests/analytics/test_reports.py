"""Excel reports read back cell by cell against figures computed here from the raw ratings."""

from __future__ import annotations

import io
import math
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa

from analytics.report_common import ReportError, find_process
from analytics.report_dynamics import satisfaction_dynamics
from analytics.report_internal import internal_comparison
from analytics.report_kinds import REPORT_KINDS
from analytics.report_pain_map import pain_map
from analytics.report_segments import segment_profile
from analytics.report_xlsx import HEAD_ROWS
from analytics.scan import DeclineRules
from core.clock import utcnow
from core.i18n import translator
from storage.database import SessionPool
from storage.models import (
    ActivityDirection,
    ClientType,
    Department,
    OrganizationSettings,
    Process,
    Questionnaire,
)
from surveys.catalogue import sync_questionnaires
from surveys.questionnaire import QUESTIONNAIRES_DIR, parse_questionnaire
from tests.conftest import SmallRegistry
from tests.documents import ORGANIZATION, assert_head, assert_no_codes_in_headers, assert_print
from tests.surveys.factories import add_responses, new_key, questionnaire

NO_NAME = "Наименование органа власти не указано в реестре"  # a registry without the body
RU = translator()
HIDDEN = "<5"
T_975_DF1 = 12.706


@dataclass(frozen=True)
class World:
    reg: SmallRegistry
    touchpoint_v1: Questionnaire
    touchpoint_v2: Questionnaire
    internal: Questionnaire
    accounting_id: int
    accounting_department_id: int


@pytest.fixture
async def world(session_pool: SessionPool, registry: SmallRegistry) -> World:
    """Registry, both built-in questionnaires, a touchpoint v2 and a second internal service."""
    await sync_questionnaires(session_pool)
    text = (QUESTIONNAIRES_DIR / "touchpoint.yaml").read_text(encoding="utf-8")
    await sync_questionnaires(
        session_pool, [parse_questionnaire(text.replace("version: 1", "version: 2"))]
    )
    async with session_pool() as session, session.begin():
        accounting = await session.scalar(
            sa.select(ActivityDirection).where(ActivityDirection.code == "internal_accounting")
        )
        assert accounting is not None
        department = Department(code="BUH", name="Бухгалтерия")
        process = Process(
            code="ACC01",
            name="Бухгалтерское сопровождение",
            direction=accounting,
            client_type=ClientType.INTERNAL,
            stages=[],
        )
        session.add_all([department, process])
        await session.flush()
        return World(
            registry,
            await questionnaire(session, "touchpoint", 1),
            await questionnaire(session, "touchpoint", 2),
            await questionnaire(session, "internal_service", 1),
            process.id,
            department.id,
        )


def read(path: Path) -> dict[str, pd.DataFrame]:
    return pd.read_excel(path, sheet_name=None, header=HEAD_ROWS)


def row_of(frame: pd.DataFrame, column: str, value: Any) -> pd.Series:
    found = frame[frame[column] == value]
    assert len(found) == 1, f"{column}={value!r}: {len(found)} rows"
    return found.iloc[0]


def empty(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def ci95(scores: Sequence[int], t: float) -> tuple[float, float]:
    half = t * statistics.stdev(scores) / math.sqrt(len(scores))
    return statistics.mean(scores) - half, statistics.mean(scores) + half


def csat(scores: Sequence[int]) -> float:
    return sum(1 for s in scores if s >= 4) / len(scores)


# ----------------------------------------------------------------------------- dynamics


async def fill_dynamics(pool: SessionPool, w: World) -> None:
    reg = w.reg
    async with pool() as session, session.begin():
        ext: dict[str, Any] = {"session": session, "process_id": reg.process_id}
        # version 1 until March, version 2 from March: never averaged together
        await add_responses(
            **ext, questionnaire=w.touchpoint_v1, touchpoint_id=reg.touchpoint_id,
            ratings=[5, 4, 3, 5, 2], month=date(2025, 1, 1),
        )  # fmt: skip
        await add_responses(
            **ext, questionnaire=w.touchpoint_v1, touchpoint_id=reg.offline_touchpoint_id,
            ratings=[4, 4, 5], month=date(2025, 2, 1),
        )  # fmt: skip
        await add_responses(
            **ext, questionnaire=w.touchpoint_v1, touchpoint_id=reg.touchpoint_id,
            ratings=[1, 1], month=date(2025, 3, 1),
        )  # fmt: skip
        await add_responses(
            **ext, questionnaire=w.touchpoint_v2, touchpoint_id=reg.touchpoint_id,
            ratings=[5, 5, 4], month=date(2025, 3, 1), first_day=10,
        )  # fmt: skip
        await add_responses(
            **ext, questionnaire=w.touchpoint_v2, touchpoint_id=reg.offline_touchpoint_id,
            ratings=[3], month=date(2025, 3, 1), first_day=20,
        )  # fmt: skip
        # an external month with only two respondents is shown
        await add_responses(
            **ext, questionnaire=w.touchpoint_v2, touchpoint_id=reg.touchpoint_id,
            ratings=[2, 5], month=date(2025, 4, 1),
        )  # fmt: skip
        internal: dict[str, Any] = {
            "session": session,
            "process_id": reg.internal_process_id,
            "questionnaire": w.internal,
            "department_id": reg.department_id,
        }
        await add_responses(**internal, ratings=[5, 4, 4, 3], month=date(2025, 1, 1))
        await add_responses(**internal, ratings=[5, 4, 4, 3, 2], month=date(2025, 2, 1))
        # six responses, but only three people: n alone would show it
        people = [new_key() for _ in range(3)]
        await add_responses(
            **internal, ratings=[4, 4, 3, 3, 5, 5], month=date(2025, 3, 1),
            respondents=people * 2,
        )  # fmt: skip
        await add_responses(**internal, ratings=[4, 4, 4, 5, 5], month=date(2025, 4, 1))


async def test_dynamics_sheets_values_versions_and_suppression(
    session_pool: SessionPool, world: World, tmp_path: Path
) -> None:
    await fill_dynamics(session_pool, world)
    out = tmp_path / "dynamics.xlsx"
    async with session_pool() as session:
        summary = await satisfaction_dynamics(session, out, RU, until=date(2025, 4, 15), months=4)
    assert summary.kind == "dynamics" and summary.title == REPORT_KINDS["dynamics"]
    assert summary.path == out
    assert summary.rows == 3  # SUP01, IT01, and ACC01 without answers
    # the report covers whole months: April to its last day, whatever day was passed
    assert summary.period == (date(2025, 1, 1), date(2025, 4, 30))
    assert summary.suppressed > 0
    book = read(out)
    assert list(book) == [
        "Динамика удовлетворённости", "CSAT", "Число ответов", "Сводка", "Каналы сбора",
        "Сведения",
    ]  # fmt: skip
    months = ["янв 2025", "фев 2025", "мар 2025", "апр 2025"]
    means = book["Динамика удовлетворённости"]
    assert list(means.columns) == [
        "Код процесса", "Процесс", "Направление деятельности", "Клиенты", "Версия анкеты",
        *months,
    ]  # fmt: skip
    assert list(means["Код процесса"]) == ["ACC01", "IT01", "SUP01"]

    sup = row_of(means, "Код процесса", "SUP01")
    assert sup["Версия анкеты"] == 2
    assert sup["Направление деятельности"] == (
        "Меры государственной поддержки и государственные услуги"
    )
    assert sup["Клиенты"] == "внешние"
    # January and February have only version-1 answers: not mixed into the version-2 series
    assert empty(sup["янв 2025"]) and empty(sup["фев 2025"])
    march_v2 = [5, 5, 4, 3]
    assert sup["мар 2025"] == pytest.approx(statistics.mean(march_v2))
    assert sup["апр 2025"] == pytest.approx(statistics.mean([2, 5]))

    it = row_of(means, "Код процесса", "IT01")
    assert it["Клиенты"] == "внутренние"
    assert it["янв 2025"] == HIDDEN  # four respondents
    assert it["фев 2025"] == pytest.approx(statistics.mean([5, 4, 4, 3, 2]))  # five
    assert it["мар 2025"] == HIDDEN  # six answers of three people
    assert it["апр 2025"] == pytest.approx(statistics.mean([4, 4, 4, 5, 5]))
    acc = row_of(means, "Код процесса", "ACC01")
    assert all(empty(acc[m]) for m in months) and empty(acc["Версия анкеты"])

    shares = book["CSAT"]
    sup = row_of(shares, "Код процесса", "SUP01")
    assert sup["мар 2025"] == pytest.approx(csat(march_v2))
    assert sup["апр 2025"] == pytest.approx(0.5)
    it = row_of(shares, "Код процесса", "IT01")
    assert it["янв 2025"] == HIDDEN and it["мар 2025"] == HIDDEN
    assert it["фев 2025"] == pytest.approx(csat([5, 4, 4, 3, 2]))

    counts = book["Число ответов"]
    sup = row_of(counts, "Код процесса", "SUP01")
    assert [sup[m] for m in months[2:]] == [4, 2]
    it = row_of(counts, "Код процесса", "IT01")
    assert [it[m] for m in months] == [HIDDEN, 5, HIDDEN, 5]

    summary_sheet = book["Сводка"]
    sup = row_of(summary_sheet, "Код процесса", "SUP01")
    assert sup["Месяц"] == "апр 2025"
    assert sup["Средняя оценка"] == pytest.approx(3.5)
    assert sup["Изменение к предыдущему месяцу"] == pytest.approx(3.5 - statistics.mean(march_v2))
    assert sup["CSAT"] == pytest.approx(0.5)
    assert sup["Число ответов"] == 2
    # two answers: the t-interval would be 3.5 ± 19 on a 1–5 scale; the report says why not
    assert ci95([2, 5], T_975_DF1)[0] < 1
    assert empty(sup["95% ДИ: нижняя граница"]) and empty(sup["95% ДИ: верхняя граница"])
    assert "Мало ответов для доверительного интервала: 2 ответа" in sup["Примечание"]
    assert "версии анкеты (1)" in sup["Примечание"]
    it = row_of(summary_sheet, "Код процесса", "IT01")
    assert it["Средняя оценка"] == pytest.approx(4.4)
    assert it["Число ответов"] == 5
    # March is hidden, so the change would reveal it: hidden too
    assert it["Изменение к предыдущему месяцу"] == HIDDEN
    assert "менее 5 респондентов" in it["Примечание"]

    info = book["Сведения"]
    assert list(info.columns) == ["Показатель", "Значение"]
    assert row_of(info, "Показатель", "Период")["Значение"] == "январь–апрель 2025 г."


async def test_dynamics_small_month_note_keeps_a_hidden_count_hidden(
    session_pool: SessionPool, world: World, tmp_path: Path
) -> None:
    """The «too few answers» note of a suppressed internal month names no count."""
    await fill_dynamics(session_pool, world)
    out = tmp_path / "dynamics.xlsx"
    async with session_pool() as session:
        await satisfaction_dynamics(session, out, RU, until=date(2025, 3, 1), months=3)
    it = row_of(read(out)["Сводка"], "Код процесса", "IT01")
    assert it["Число ответов"] == HIDDEN
    assert "Мало ответов для доверительного интервала: нужно не меньше 10." in it["Примечание"]
    assert "6 ответов" not in it["Примечание"]


async def test_dynamics_formatting(session_pool: SessionPool, world: World, tmp_path: Path) -> None:
    await fill_dynamics(session_pool, world)
    out = tmp_path / "dynamics.xlsx"
    async with session_pool() as session:
        await satisfaction_dynamics(session, out, RU, until=date(2025, 4, 1), months=4)
    book = openpyxl.load_workbook(out)
    means = book["Динамика удовлетворённости"]
    top = HEAD_ROWS + 1  # the table's header, below the document's head
    assert means.cell(top, 1).value == "Код процесса"
    for cell in means[top]:
        assert cell.font.bold
        assert cell.fill.fill_type == "solid"
    assert means.freeze_panes == f"B{top + 1}"
    assert book["Сводка"].freeze_panes == f"A{top + 1}"
    headers = [c.value for c in means[top]]
    march = headers.index("мар 2025") + 1
    codes = [c.value for c in means["A"]]
    sup_row, it_row = codes.index("SUP01") + 1, codes.index("IT01") + 1
    assert means.cell(sup_row, march).number_format == "0.00"
    assert means.cell(it_row, march).value == HIDDEN
    assert book["CSAT"].cell(sup_row, march).number_format == "0.0%"
    assert book["Число ответов"].cell(sup_row, march).number_format == "0"
    for letter, dimension in means.column_dimensions.items():
        assert 6 <= dimension.width <= 60, letter
    name_width = means.column_dimensions["B"].width
    assert name_width >= len("Назначение ежемесячной денежной выплаты")
    info = book["Сведения"]
    assert info.cell(top, 1).font.bold and info.freeze_panes == f"A{top + 1}"
    assert means.auto_filter.ref.startswith(f"A{top}:")


async def test_every_report_sheet_is_a_document(
    session_pool: SessionPool, world: World, tmp_path: Path
) -> None:
    """CONVENTIONS «Documents»: the body, title, period, date of preparation on every sheet,
    A4 fit to one page wide with the header row repeated; no registry codes in headers."""
    await fill_dynamics(session_pool, world)
    async with session_pool() as session, session.begin():
        session.add(OrganizationSettings(name=ORGANIZATION))
    out = tmp_path / "dynamics.xlsx"
    async with session_pool() as session:
        await satisfaction_dynamics(session, out, RU, until=date(2025, 4, 1), months=4)
    today = utcnow().date()
    period = "январь–апрель 2025 г. (01.01.2025–30.04.2025)"
    book = openpyxl.load_workbook(out)
    for sheet in book.worksheets:
        assert_head(sheet, title="Динамика удовлетворённости", period=period,
                    prepared_on=today, table_row=HEAD_ROWS + 1)  # fmt: skip
        assert_print(sheet, (HEAD_ROWS + 1, HEAD_ROWS + 1), landscape=sheet.max_column > 3)
        assert_no_codes_in_headers(sheet, HEAD_ROWS + 1)
    assert book["Динамика удовлетворённости"].page_setup.orientation == "landscape"


async def test_dynamics_notes_a_sustained_decline(
    session_pool: SessionPool, world: World, tmp_path: Path
) -> None:
    """Seed 003 §1.5(2): «устойчивое снижение в течение более трех месяцев подряд уровня
    удовлетворенности» is a ground for reengineering; the summary's note says so, judged by
    the scan's rules, and a steady process gets no such note."""
    reg = world.reg
    falling = {1: [5] * 10, 2: [5] * 6 + [4] * 4, 3: [4] * 6 + [3] * 4, 4: [3] * 5 + [2] * 5}
    async with session_pool() as session, session.begin():
        for month, ratings in falling.items():
            await add_responses(
                session, questionnaire=world.touchpoint_v2, process_id=reg.process_id,
                touchpoint_id=reg.touchpoint_id, ratings=ratings, month=date(2025, month, 1),
            )  # fmt: skip
            await add_responses(
                session, questionnaire=world.internal, process_id=reg.internal_process_id,
                department_id=reg.department_id, ratings=[4] * 6, month=date(2025, month, 1),
            )  # fmt: skip
    out = tmp_path / "dynamics.xlsx"
    rules = DeclineRules(months=3, min_responses=10)
    async with session_pool() as session:
        await satisfaction_dynamics(session, out, RU, until=date(2025, 4, 1), months=4, rules=rules)
    summary = read(out)["Сводка"]
    note = row_of(summary, "Код процесса", "SUP01")["Примечание"]
    assert note.startswith(
        "Устойчивое снижение удовлетворённости — основание для реинжиниринга процесса: "
        "снижение удовлетворённости 3 месяца подряд: 5,00 → 2,50 (−2,50), январь–апрель 2025 г."
    ), note
    steady = row_of(summary, "Код процесса", "IT01")["Примечание"]
    assert empty(steady) or "снижение" not in steady
    # A stricter rule (the seed's «более трех месяцев»: four decreases) finds no ground here.
    async with session_pool() as session:
        await satisfaction_dynamics(
            session, out, RU, until=date(2025, 4, 1), months=4,
            rules=DeclineRules(months=4, min_responses=10),
        )  # fmt: skip
    note = row_of(read(out)["Сводка"], "Код процесса", "SUP01")["Примечание"]
    assert empty(note) or "Устойчивое снижение" not in note


async def test_dynamics_filters_client_type(
    session_pool: SessionPool, world: World, tmp_path: Path
) -> None:
    await fill_dynamics(session_pool, world)
    out = tmp_path / "external.xlsx"
    async with session_pool() as session:
        summary = await satisfaction_dynamics(
            session, out, RU, client_type=ClientType.EXTERNAL, until=date(2025, 4, 1), months=2
        )
    means = read(out)["Динамика удовлетворённости"]
    assert list(means["Код процесса"]) == ["SUP01"]
    assert list(means.columns[-2:]) == ["мар 2025", "апр 2025"]
    assert summary.suppressed == 0
    assert summary.responses == 4 + 2


# ----------------------------------------------------------------------------- pain map

SUBMIT, REVIEW, OTHER_STAGE = "подача заявления", "рассмотрение", "выдача справки"
PAIN_RECORDS: list[tuple[int, str | None, str | None, list[str] | None, str | None]] = [
    (2, SUBMIT, "high", ["queue", "waiting_time"], "Долго ждал в очереди"),
    (3, SUBMIT, "medium", ["queue"], None),
    (1, REVIEW, "high", ["information"], "Очень " * 80),
    (2, REVIEW, "low", ["politeness", "other"], "Грубость"),
    (3, SUBMIT, "low", ["premises"], "Душно"),
    (2, OTHER_STAGE, "medium", ["other"], "Этап не из реестра"),
    (5, None, None, None, "Всё отлично"),
    (2, None, None, ["queue"], None),
    *[(3, SUBMIT, "medium", ["waiting_time"], f"Комментарий {i}") for i in range(6)],
]
PROBLEM_LABELS = {
    "waiting_time": "Время ожидания",
    "queue": "Очередь",
    "politeness": "Вежливость сотрудников",
    "premises": "Комфортность помещений",
    "information": "Доступность информации",
    "other": "Другое",
}


async def test_pain_map(session_pool: SessionPool, world: World, tmp_path: Path) -> None:
    reg = world.reg
    async with session_pool() as session, session.begin():
        answers = [
            {"stage": stage, "criticality": level, "problems": problems, "comment": comment}
            for _r, stage, level, problems, comment in PAIN_RECORDS
        ]
        await add_responses(
            session, questionnaire=world.touchpoint_v1, process_id=reg.process_id,
            touchpoint_id=reg.offline_touchpoint_id, ratings=[r[0] for r in PAIN_RECORDS],
            answers=answers, month=date(2025, 3, 1),
        )  # fmt: skip
        # outside the period: not counted
        await add_responses(
            session, questionnaire=world.touchpoint_v1, process_id=reg.process_id,
            touchpoint_id=reg.touchpoint_id, ratings=[1],
            answers={"stage": REVIEW, "criticality": "high", "comment": "Февраль"},
            month=date(2025, 2, 1),
        )  # fmt: skip
    out = tmp_path / "pains.xlsx"
    async with session_pool() as session:
        summary = await pain_map(
            session, out, RU, process_id=reg.process_id, since=date(2025, 3, 1),
            until=date(2025, 3, 31),
        )  # fmt: skip
    assert summary.responses == len(PAIN_RECORDS) and summary.suppressed == 0
    book = read(out)
    assert list(book) == ["Карта болей", "Что пошло не так", "Комментарии", "Сведения"]
    for sheet in openpyxl.load_workbook(out).worksheets:
        assert_head(sheet, title="Карта болей: процесс «Назначение ежемесячной денежной выплаты»",
                    period="март 2025 г. (01.03.2025–31.03.2025)", prepared_on=utcnow().date(),
                    table_row=HEAD_ROWS + 1, organization=NO_NAME)  # fmt: skip
        assert_print(sheet, (HEAD_ROWS + 1, HEAD_ROWS + 1), landscape=sheet.max_column > 3)

    stages = ["информирование", SUBMIT, REVIEW, "получение результата", OTHER_STAGE]
    pains = book["Карта болей"]
    assert list(pains.columns) == ["Этап", "Низкая", "Средняя", "Высокая", "Всего"]
    assert list(pains["Этап"]) == stages
    levels = Counter((r[1], r[2]) for r in PAIN_RECORDS if r[1])
    totals = Counter(r[1] for r in PAIN_RECORDS if r[1])
    for stage in stages:
        row = row_of(pains, "Этап", stage)
        for level, label in (("low", "Низкая"), ("medium", "Средняя"), ("high", "Высокая")):
            assert row[label] == levels[(stage, level)], (stage, level)
        assert row["Всего"] == totals[stage]

    problems = book["Что пошло не так"]
    assert list(problems.columns) == [
        "Этап", "Ответов с указанием проблем", *PROBLEM_LABELS.values(),
    ]  # fmt: skip
    assert list(problems["Этап"]) == [*stages, "Этап не указан", "Все этапы"]
    for stage in [*stages, "Этап не указан", "Все этапы"]:
        named = None if stage == "Этап не указан" else stage
        group = [r for r in PAIN_RECORDS if r[3] and (stage == "Все этапы" or r[1] == named)]
        row = row_of(problems, "Этап", stage)
        assert row["Ответов с указанием проблем"] == len(group), stage
        for problem, label in PROBLEM_LABELS.items():
            assert row[label] == sum(1 for r in group if problem in (r[3] or [])), (stage, label)

    comments = book["Комментарии"]
    assert list(comments.columns) == ["Этап", "Дата", "Оценка", "Критичность", "Комментарий"]
    indexed = list(enumerate(PAIN_RECORDS))
    for stage in stages:
        said = [(i, r) for i, r in indexed if r[1] == stage and r[4]]
        said.sort(key=lambda pair: -pair[0])  # the factory makes later responses newer
        shown = comments[comments["Этап"] == stage]
        assert len(shown) == min(5, len(said)), stage
        for (index, record), (_n, row) in zip(said, shown.iterrows(), strict=False):
            text = " ".join(str(record[4]).split())
            expected = text if len(text) <= 300 else text[:299].rstrip() + "…"
            assert row["Комментарий"] == expected
            assert len(row["Комментарий"]) <= 300
            assert row["Оценка"] == record[0]
            assert pd.Timestamp(row["Дата"]).date() == date(2025, 3, 1 + index)
    assert "Февраль" not in set(comments["Комментарий"])
    assert "Всё отлично" not in set(comments["Комментарий"])  # no stage named


# ----------------------------------------------------------------------------- segments


async def test_segment_profile(session_pool: SessionPool, world: World, tmp_path: Path) -> None:
    reg = world.reg
    digital, offline = reg.touchpoint_id, reg.offline_touchpoint_id
    v1, v2 = world.touchpoint_v1, world.touchpoint_v2
    spring, may = date(2024, 3, 1), date(2025, 5, 1)
    plan: list[tuple[Questionnaire, int, str | None, list[int], date]] = [
        (v1, digital, "citizen", [5, 4, 4], spring),
        (v1, offline, "citizen", [3], spring),
        (v1, offline, "pensioner", [2, 3, 4], spring),
        (v1, digital, "entrepreneur", [5, 5], spring),
        (v2, digital, "citizen", [4, 2], may),
        (v2, offline, "pensioner", [5], may),
        (v2, offline, None, [3], may),
        (v1, digital, "citizen", [1, 1, 1], date(2023, 6, 1)),  # older than two years
    ]
    async with session_pool() as session, session.begin():
        for q, touchpoint, segment, ratings, month in plan:
            await add_responses(
                session, questionnaire=q, process_id=reg.process_id, touchpoint_id=touchpoint,
                segment=segment, ratings=ratings, month=month,
            )  # fmt: skip
    out = tmp_path / "segments.xlsx"
    async with session_pool() as session:
        summary = await segment_profile(
            session, out, RU, process_id=reg.process_id, until=date(2025, 6, 30)
        )
    in_window = [p for p in plan if p[4] >= date(2023, 7, 1)]
    total = sum(len(p[3]) for p in in_window)
    assert summary.responses == total == 13
    assert summary.period == (date(2023, 7, 1), date(2025, 6, 30))
    book = read(out)
    assert list(book) == ["Профиль сегментов", "Каналы", "Клиентский путь", "Сведения"]

    labels = {
        "citizen": "Гражданин",
        "entrepreneur": "Индивидуальный предприниматель",
        "pensioner": "Пенсионер",
        None: "Не указан",
    }
    profile = book["Профиль сегментов"]
    assert list(profile.columns) == [
        "Сегмент", "Число ответов", "Доля ответов", "Средняя оценка", "CSAT",
    ]  # fmt: skip
    assert list(profile["Сегмент"]) == [*labels.values(), "Все сегменты"]
    for segment, label in [*labels.items(), ("*", "Все сегменты")]:
        mine = [p for p in in_window if segment == "*" or p[2] == segment]
        every = [s for p in mine for s in p[3]]
        latest = [s for p in mine if p[0] is v2 for s in p[3]]  # scores of one version only
        row = row_of(profile, "Сегмент", label)
        assert row["Число ответов"] == len(every)
        assert row["Доля ответов"] == pytest.approx(len(every) / total)
        if latest:
            assert row["Средняя оценка"] == pytest.approx(statistics.mean(latest))
            assert row["CSAT"] == pytest.approx(csat(latest))
        else:
            assert empty(row["Средняя оценка"]) and empty(row["CSAT"])

    channels = book["Каналы"]
    # Headers are for people: the touchpoint's name, never its registry code.
    epgu, mfc = "Портал Госуслуг", "МФЦ, окно приёма"
    sheet = openpyxl.load_workbook(out)["Каналы"]
    assert_no_codes_in_headers(sheet, HEAD_ROWS + 1)
    assert_head(sheet, title="Профиль клиентских сегментов: процесс «Назначение ежемесячной "
                "денежной выплаты»", period="(01.07.2023–30.06.2025)",
                prepared_on=utcnow().date(), table_row=HEAD_ROWS + 1,
                organization=NO_NAME)  # fmt: skip
    assert_print(sheet, (HEAD_ROWS + 1, HEAD_ROWS + 1), landscape=True)
    info = book["Сведения"].set_index("Показатель")["Значение"]
    assert info["Процесс"] == "Назначение ежемесячной денежной выплаты"
    assert list(channels.columns) == [
        "Сегмент", "Цифровой: ответов", "Офлайн: ответов", "Цифровой: доля", "Офлайн: доля",
        "Предпочтительный канал", epgu, mfc,
    ]  # fmt: skip
    for segment, label in [*labels.items(), ("*", "Все сегменты")]:
        mine = [p for p in in_window if segment == "*" or p[2] == segment]
        n_digital = sum(len(p[3]) for p in mine if p[1] == digital)
        n_offline = sum(len(p[3]) for p in mine if p[1] == offline)
        row = row_of(channels, "Сегмент", label)
        assert row["Цифровой: ответов"] == n_digital and row[epgu] == n_digital
        assert row["Офлайн: ответов"] == n_offline and row[mfc] == n_offline
        assert row["Цифровой: доля"] == pytest.approx(n_digital / (n_digital + n_offline))
        assert row["Офлайн: доля"] == pytest.approx(n_offline / (n_digital + n_offline))
        preferred = "Цифровой" if n_digital > n_offline else "Офлайн"
        assert row["Предпочтительный канал"] == preferred, label

    # Seed 003 §2.2: «особенностях клиентского пути и предпочтительных каналах взаимодействия»
    journey = book["Клиентский путь"]
    assert list(journey.columns) == [
        "Этап клиентского пути", "Точка взаимодействия", "Канал", "Вид канала",
        "Удовлетворяемые потребности", "Особенности взаимодействия с клиентом",
        "Число ответов", "Доля ответов",
    ]  # fmt: skip
    assert list(journey["Этап клиентского пути"][:4]) == [
        "1. информирование", "2. подача заявления", "3. рассмотрение", "4. получение результата",
    ]  # fmt: skip
    portal = row_of(journey, "Точка взаимодействия", "Портал Госуслуг")
    assert portal["Канал"] == "ЕПГУ" and portal["Число ответов"] == 7
    assert portal["Доля ответов"] == pytest.approx(7 / 13)
    assert "представление заявления" in portal["Удовлетворяемые потребности"]
    mfc_row = row_of(journey, "Точка взаимодействия", "МФЦ, окно приёма")
    assert mfc_row["Канал"] == "МФЦ" and mfc_row["Число ответов"] == 6

    info = book["Сведения"].set_index("Показатель")["Значение"]
    assert info["Предпочтительные каналы взаимодействия"] == "ЕПГУ — 54%; МФЦ — 46%"
    assert info["Этапы клиентского пути"].startswith("информирование → подача заявления")
    assert "по данным обратной связи" in info["Основание"]
    assert info["Период"] == "июль 2023 г. – июнь 2025 г."
    assert "версия 2" in info["Средняя оценка и CSAT"]
    assert info["Число ответов"] == total


async def test_segment_profile_without_data_asks_for_hypotheses(
    session_pool: SessionPool, world: World
) -> None:
    buffer = io.BytesIO()
    async with session_pool() as session:
        summary = await segment_profile(
            session, buffer, RU, process_id=world.reg.process_id, until=date(2025, 6, 30)
        )
    assert summary.path is None and summary.responses == 0
    book = pd.read_excel(io.BytesIO(buffer.getvalue()), sheet_name=None, header=HEAD_ROWS)
    info = book["Сведения"].set_index("Показатель")["Значение"]
    assert "гипотез" in info["Основание"]
    assert "данных обратной связи по процессу нет" in info["Основание"]
    profile = book["Профиль сегментов"]
    assert "Гражданин" in set(profile["Сегмент"]) and "Многодетная семья" in set(profile["Сегмент"])
    assert set(profile["Число ответов"]) == {0}


async def test_segment_profile_of_internal_service_is_protected(
    session_pool: SessionPool, world: World, tmp_path: Path
) -> None:
    async with session_pool() as session, session.begin():
        await add_responses(
            session, questionnaire=world.internal, process_id=world.reg.internal_process_id,
            department_id=world.reg.department_id, ratings=[5, 4, 3], month=date(2025, 5, 1),
        )  # fmt: skip
    out = tmp_path / "internal-segments.xlsx"
    async with session_pool() as session:
        summary = await segment_profile(
            session, out, RU, process_id=world.reg.internal_process_id, until=date(2025, 6, 1)
        )
    assert summary.suppressed > 0
    profile = read(out)["Профиль сегментов"]
    row = row_of(profile, "Сегмент", "Не указан")
    assert [row[c] for c in ("Число ответов", "Доля ответов", "Средняя оценка", "CSAT")] == [
        HIDDEN
    ] * 4


# ----------------------------------------------------------------------------- internal


INTERNAL_PLAN = {
    # (service, period): satisfaction, speed, clarity per respondent
    ("IT01", "before"): ([3, 3, 4, 2, 3], [2, 3, 3, 2, 2], [4, 4, 4, 3, 4]),
    ("IT01", "now"): ([5, 4, 4, 5, 3, 4], [4, 4, 5, 5, 3, 4], [5, 5, 4, 4, 4, 5]),
    ("ACC01", "before"): ([2, 3, 3, 4], [3, 3, 2, 4], [4, 4, 3, 3]),  # four people
    ("ACC01", "now"): ([4, 4, 5, 3, 4], [5, 4, 4, 4, 3], [4, 5, 5, 4, 4]),
}


async def fill_internal(pool: SessionPool, w: World) -> dict[str, int]:
    services = {"IT01": w.reg.internal_process_id, "ACC01": w.accounting_id}
    departments = {"IT01": w.reg.department_id, "ACC01": w.accounting_department_id}
    months = {"before": date(2025, 1, 1), "now": date(2025, 4, 1)}
    async with pool() as session, session.begin():
        for (code, when), (satisfaction, speed, clarity) in INTERNAL_PLAN.items():
            await add_responses(
                session, questionnaire=w.internal, process_id=services[code],
                department_id=departments[code], ratings=satisfaction, month=months[when],
                answers=[
                    {"speed": s, "clarity": c, "comment": "—"}
                    for s, c in zip(speed, clarity, strict=True)
                ],
            )  # fmt: skip
        # an external answer is not an internal survey result
        await add_responses(
            session, questionnaire=w.touchpoint_v1, process_id=w.reg.process_id,
            touchpoint_id=w.reg.touchpoint_id, ratings=[1], month=date(2025, 4, 1),
        )  # fmt: skip
    return departments


QUESTIONS = {"Удовлетворённость": 0, "Скорость решения": 1, "Понятность ответа": 2}
PERIOD = (date(2025, 4, 1), date(2025, 4, 30))
PREVIOUS = (date(2025, 1, 1), date(2025, 1, 31))


async def test_internal_comparison(session_pool: SessionPool, world: World, tmp_path: Path) -> None:
    await fill_internal(session_pool, world)
    out = tmp_path / "internal.xlsx"
    async with session_pool() as session:
        summary = await internal_comparison(session, out, RU, period=PERIOD, previous=PREVIOUS)
    assert summary.responses == 6 + 5
    book = read(out)
    assert list(book) == ["Сравнение с предыдущим", "Сведения"]
    sheet = openpyxl.load_workbook(out)["Сравнение с предыдущим"]
    assert_head(sheet, title=RU(REPORT_KINDS["internal"]), period=f"({PERIOD[0]:%d.%m.%Y}–",
                prepared_on=utcnow().date(), table_row=HEAD_ROWS + 1,
                organization=NO_NAME)  # fmt: skip
    assert_print(sheet, (HEAD_ROWS + 1, HEAD_ROWS + 1), landscape=True)
    table = book["Сравнение с предыдущим"]
    assert list(table["Код процесса"]) == ["ACC01"] * 3 + ["IT01"] * 3
    assert list(table["Вопрос"]) == list(QUESTIONS) * 2
    assert set(table["Версия анкеты"]) == {1}
    for _n, row in table.iterrows():
        question = QUESTIONS[row["Вопрос"]]
        now = INTERNAL_PLAN[(row["Код процесса"], "now")][question]
        before = INTERNAL_PLAN[(row["Код процесса"], "before")][question]
        assert row["Средняя оценка: текущий период"] == pytest.approx(statistics.mean(now))
        assert row["Число ответов: текущий период"] == len(now)
        if row["Код процесса"] == "ACC01":  # four respondents before: hidden, and the change
            assert row["Средняя оценка: предыдущий период"] == HIDDEN
            assert row["Число ответов: предыдущий период"] == HIDDEN
            assert row["Изменение средней оценки"] == HIDDEN
        else:
            assert row["Средняя оценка: предыдущий период"] == pytest.approx(
                statistics.mean(before)
            )
            assert row["Число ответов: предыдущий период"] == len(before)
            assert row["Изменение средней оценки"] == pytest.approx(
                statistics.mean(now) - statistics.mean(before)
            )
    info = book["Сведения"].set_index("Показатель")["Значение"]
    assert info["Текущий период"] == "01.04.2025 – 30.04.2025"
    assert info["Подразделение"] == "все подразделения"


async def test_internal_comparison_for_one_department(
    session_pool: SessionPool, world: World, tmp_path: Path
) -> None:
    departments = await fill_internal(session_pool, world)
    out = tmp_path / "internal-buh.xlsx"
    async with session_pool() as session:
        await internal_comparison(
            session, out, RU, period=PERIOD, previous=PREVIOUS, department_id=departments["ACC01"]
        )
    book = read(out)
    table = book["Сравнение с предыдущим"]
    it = table[table["Код процесса"] == "IT01"]
    assert len(it) == 3  # the service is listed, without answers from this department
    assert it["Средняя оценка: текущий период"].isna().all()
    acc = table[table["Код процесса"] == "ACC01"]
    assert list(acc["Число ответов: текущий период"]) == [5, 5, 5]
    assert book["Сведения"].set_index("Показатель")["Значение"]["Подразделение"] == "Бухгалтерия"


# ----------------------------------------------------------------------------- errors


async def test_bad_requests_are_refused_in_russian(
    session_pool: SessionPool, world: World, tmp_path: Path
) -> None:
    out = tmp_path / "x.xlsx"
    async with session_pool() as session:
        assert (await find_process(session, "SUP01", RU)).id == world.reg.process_id
        with pytest.raises(ReportError, match="не найден"):
            await find_process(session, "NOPE", RU)
        with pytest.raises(ReportError, match="не найден"):
            await pain_map(
                session, out, RU, process_id=999, since=date(2025, 1, 1), until=date(2025, 2, 1)
            )
        with pytest.raises(ReportError, match="позже"):
            await pain_map(
                session, out, RU, process_id=world.reg.process_id, since=date(2025, 3, 1),
                until=date(2025, 2, 1),
            )  # fmt: skip
        with pytest.raises(ReportError, match="min_cell"):
            await satisfaction_dynamics(session, out, RU, until=date(2025, 1, 1), min_cell=0)
    assert not out.exists()
    assert set(REPORT_KINDS) == {"dynamics", "pain-map", "segments", "internal"}
