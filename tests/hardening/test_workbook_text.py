"""Every workbook the project writes keeps people's text as text, never as a formula.

Text that starts with "=" (or "+", "-", "@", or equals an error code) goes into every text
field a workbook shows: registry names, departments, stages, channels, comments, plan
measures, research answers. Each workbook is built through its real path (the CLI, the
bot's document, the R4 research workbook) and read back cell by cell.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiogram.methods import SendDocument
from aiogram.types import FSInputFile
from openpyxl import load_workbook

from bot.cli import main
from bot.demo import EXAMPLE_REGISTRY
from handlers.callbacks import ReportCb
from reengineering.research import RESEARCH_CLIENT
from storage.cases_models import PlanItem, PlanItemStatus, ReengineeringCase
from storage.database import SessionPool, create_engine, create_session_pool
from storage.models import Department, Person, Process, Touchpoint
from surveys.catalogue import sync_questionnaires
from tests.conftest import SmallRegistry
from tests.handlers.conftest import MovableClock, clock, make_telegram, telegram  # noqa: F401
from tests.handlers.test_cases_ui import (
    OWNER,
    open_by_instruction,
    owner_card,
    people,  # noqa: F401  (fixture)
)
from tests.mocked_bot import Telegram
from tests.reengineering.test_plan_research import _answer
from tests.surveys.factories import add_responses, questionnaire

LINK = '=HYPERLINK("http://example.invalid","click")'
PLUS = '+HYPERLINK("http://example.invalid","plus")'
MINUS = "-2+3+cmd|' /C calc'!A0"
AT = "@SUM(1+9)*cmd|' /C calc'!A0"
ERROR = "#N/A"
# control characters openpyxl cannot store: dropped, instead of the whole workbook failing
CONTROL = '=HYPERLINK("http://example.invalid","esc")\x1b[31m\x07'
EVIL = (LINK, PLUS, MINUS, AT, ERROR, CONTROL)
SHOWN = (LINK, PLUS, MINUS, AT, ERROR, '=HYPERLINK("http://example.invalid","esc")[31m')
# Registry fields; department and stages go through the same import.
PROCESS_NAME = '=HYPERLINK("http://example.invalid","process")'
DEPARTMENT_NAME = '=HYPERLINK("http://example.invalid","department")'
STAGES = ('=HYPERLINK("http://example.invalid","stage")', "+1+1", "-1+1", "@stage")
TOUCHPOINT_NAME = '=HYPERLINK("http://example.invalid","touchpoint")'
CHANNEL = "@channel"
SPECIFICS = '=HYPERLINK("http://example.invalid","specifics")'
ORGANIZATION = '=HYPERLINK("http://example.invalid","organization")'
INTERNAL_NAME = '@HYPERLINK("http://example.invalid","internal")'
NEW_NAMES = {"SUP01": PROCESS_NAME, "INT01": INTERNAL_NAME}
REGISTRY_TEXTS = (
    PROCESS_NAME,
    INTERNAL_NAME,
    DEPARTMENT_NAME,
    *STAGES,
    TOUCHPOINT_NAME,
    CHANNEL,
    SPECIFICS,
)


def cells(path: Path | io.BytesIO) -> Iterator[tuple[str, Any]]:
    """Every non-empty cell as (where, cell), formulas shown as formulas (not data_only)."""
    book = load_workbook(path)
    try:
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    if cell.value is not None:
                        yield f"{sheet.title}!{cell.coordinate}", cell
    finally:
        book.close()


def text_problems(path: Path | io.BytesIO, expected: Iterable[str]) -> list[str]:
    """Cells stored as formulas or errors, and expected texts found in no cell exactly."""
    found = list(cells(path))
    problems = [
        f"{where} is {c.data_type!r}: {c.value}"
        for where, c in found
        if c.data_type != "s" and isinstance(c.value, str)
    ]
    texts = [c.value for _where, c in found if isinstance(c.value, str)]
    problems += [
        f"missing {text}" for text in expected if not any(text in value for value in texts)
    ]
    return problems


def text_cell(sheet: Any, row: int, column: int, value: str) -> None:
    """A text cell as Excel writes one when a person types a leading apostrophe."""
    cell = sheet.cell(row=row, column=column)
    cell.value = value
    cell.data_type = "s"


def malicious_registry(target: Path) -> Path:
    """The example registry with the texts of SUP01 and INT01, SUP01's department and the
    body's name replaced."""
    book = load_workbook(EXAMPLE_REGISTRY)
    processes, touchpoints = book["Процессы"], book["Точки взаимодействия"]
    heads = {c.value: c.column for c in processes[1]}
    tp_heads = {c.value: c.column for c in touchpoints[1]}
    renamed = {}
    for row in range(2, processes.max_row + 1):
        code = processes.cell(row=row, column=heads["Код процесса"]).value
        if code in NEW_NAMES:
            renamed[processes.cell(row=row, column=heads["Наименование процесса"]).value] = (
                NEW_NAMES[code]
            )
            text_cell(processes, row, heads["Наименование процесса"], NEW_NAMES[code])
    department = processes.cell(row=2, column=heads["Код подразделения"]).value
    text_cell(processes, 2, heads["Этапы процесса"], "; ".join(STAGES))
    for row in range(2, processes.max_row + 1):
        if processes.cell(row=row, column=heads["Код подразделения"]).value == department:
            text_cell(processes, row, heads["Подразделение"], DEPARTMENT_NAME)
    for row in range(2, touchpoints.max_row + 1):
        name = touchpoints.cell(row=row, column=tp_heads["Наименование процесса"]).value
        if name in renamed:
            text_cell(touchpoints, row, tp_heads["Наименование процесса"], renamed[name])
    text_cell(touchpoints, 2, tp_heads["Точка взаимодействия"], TOUCHPOINT_NAME)
    text_cell(touchpoints, 2, tp_heads["Канал"], CHANNEL)
    text_cell(touchpoints, 2, tp_heads["Особенности взаимодействия с клиентом"], SPECIFICS)
    text_cell(book["Организация"], 2, 1, ORGANIZATION)
    book.save(target)
    return target


async def seed_answers_and_plan(url: str) -> int:
    """Low ratings with malicious comments and stages for SUP01, internal answers from the
    malicious department, and a case of SUP01 with a malicious plan item; returns the case."""
    engine = create_engine(url)
    try:
        pool = create_session_pool(engine)
        await sync_questionnaires(pool)
        async with pool() as session, session.begin():
            process = await session.scalar(sa.select(Process).where(Process.code == "SUP01"))
            internal = await session.scalar(sa.select(Process).where(Process.code == "INT01"))
            touchpoint = await session.scalar(
                sa.select(Touchpoint).where(Touchpoint.code == "SUP01-EPGU")
            )
            department = await session.scalar(
                sa.select(Department).where(Department.name == DEPARTMENT_NAME)
            )
            assert process and internal and touchpoint and department
            answers = [
                {"comment": text, "stage": STAGES[i % len(STAGES)], "problems": ["other"]}
                for i, text in enumerate(EVIL)
            ]
            for month in (date(2025, 1, 1), date(2025, 2, 1)):
                await add_responses(
                    session, questionnaire=await questionnaire(session, "touchpoint"),
                    process_id=process.id, touchpoint_id=touchpoint.id, ratings=[1, 2, 2, 3, 1, 2],
                    month=month, answers=answers,
                )  # fmt: skip
                await add_responses(
                    session, questionnaire=await questionnaire(session, "internal_service"),
                    process_id=internal.id, department_id=department.id,
                    ratings=[4, 5, 3, 4, 5, 4], month=month,
                    answers=[{"comment": text} for text in EVIL],
                )  # fmt: skip
            case_id = await session.scalar(
                sa.select(ReengineeringCase.id).where(ReengineeringCase.process_id == process.id)
            )
            assert case_id is not None
            for position, text in enumerate(EVIL, start=1):
                session.add(
                    PlanItem(
                        case_id=case_id, section=1 + position % 4, position=position,
                        measure=text, due_on=date(2025, 6, 30), responsible_name=text,
                        expected_result=text, report_document=text,
                        status=PlanItemStatus.PLANNED, created_at=datetime.now(UTC),
                    )
                )  # fmt: skip
        return case_id
    finally:
        await engine.dispose()


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OTKLIK_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("OTKLIK_SECRET_KEY", "cli-secret")
    monkeypatch.delenv("OTKLIK_BOT_TOKEN", raising=False)
    return tmp_path


def test_every_cli_workbook_keeps_people_text_as_text(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registry = malicious_registry(workdir / "registry.xlsx")
    assert main(["registry", "import", str(registry)]) == 0, capsys.readouterr().err
    assert main(["cases", "open", "--process", "SUP01"]) == 0
    case_id = asyncio.run(seed_answers_and_plan(f"sqlite+aiosqlite:///{workdir / 'cli.db'}"))

    exported = workdir / "export.xlsx"
    assert main(["registry", "export", str(exported)]) == 0
    problems = {"registry export": text_problems(exported, (*REGISTRY_TEXTS, ORGANIZATION))}
    # the export reads back into the same registry: the texts survive the round trip
    assert main(["registry", "import", str(exported)]) == 0, capsys.readouterr().err
    assert "новых 0, изменено 0" in capsys.readouterr().out

    month = ["--month", "2025-02"]
    reports: dict[str, tuple[list[str], tuple[str, ...]]] = {
        "dynamics": (month, (PROCESS_NAME, INTERNAL_NAME)),
        "pain-map": (["--process", "SUP01", *month], (PROCESS_NAME, *STAGES[:3], *SHOWN)),
        "segments": (["--process", "SUP01", *month], (PROCESS_NAME, TOUCHPOINT_NAME)),
        "internal": (month, (INTERNAL_NAME,)),
        "action-plan": (["--case", str(case_id)], (PROCESS_NAME, *SHOWN)),
    }
    for kind, (options, expected) in reports.items():
        out = workdir / f"{kind}.xlsx"
        assert main(["report", kind, *options, "--out", str(out)]) == 0, capsys.readouterr().err
        problems[kind] = text_problems(out, expected)
    assert {kind: found for kind, found in problems.items() if found} == {}


async def test_the_bots_report_document_keeps_comments_as_text(
    telegram: Telegram,  # noqa: F811
    session_pool: SessionPool,
    registry: SmallRegistry,
) -> None:
    async with session_pool() as session, session.begin():
        process = await session.get(Process, registry.process_id)
        assert process is not None
        process.name = PROCESS_NAME
        process.stages = list(STAGES)
        session.add(Person(telegram_id=900001, is_officer=True))
        await add_responses(
            session, questionnaire=await questionnaire(session, "touchpoint"),
            process_id=process.id, touchpoint_id=registry.touchpoint_id,
            ratings=[1, 2, 1, 3, 2, 1], month=date(2025, 1, 1),
            answers=[{"comment": text, "stage": STAGES[i % 2]} for i, text in enumerate(EVIL)],
        )  # fmt: skip
    await telegram.send(900001, "/stats")
    problems: dict[str, list[str]] = {}
    shown = {"p": (PROCESS_NAME, *STAGES[:2], *SHOWN), "s": (PROCESS_NAME,), "d": (PROCESS_NAME,)}
    for kind, expected in shown.items():
        process_id = 0 if kind == "d" else registry.process_id
        await telegram.press(900001, ReportCb(k=kind, p=process_id).pack())
        document = telegram.session.requests[-1]
        assert isinstance(document, SendDocument)
        content = io.BytesIO(document.document.data)  # type: ignore[union-attr]
        problems[kind] = text_problems(content, expected)
    assert {kind: found for kind, found in problems.items() if found} == {}


@pytest.mark.usefixtures("people")
async def test_the_r4_research_workbook_keeps_answers_as_text(
    telegram: Telegram,  # noqa: F811
    session_pool: SessionPool,
    clock: MovableClock,  # noqa: F811
) -> None:
    """The owner closes the survey in the bot; the R4 document lists the answers as typed."""
    case_id = await open_by_instruction(telegram, session_pool)
    await owner_card(telegram, case_id)
    await telegram.tap(OWNER, "R1: отметить выполненным")
    await telegram.tap(OWNER, "Запустить опрос клиентов и исполнителей (R3)")
    await telegram.tap(OWNER, "Запустить опрос")
    async with session_pool() as session, session.begin():
        case = await session.get(ReengineeringCase, case_id)
        assert case is not None
        process = await session.get(Process, case.process_id)
        assert process is not None
        process.name = PROCESS_NAME
        process.stages = list(STAGES)
        later = clock.now + timedelta(hours=1)
        for index, text in enumerate(EVIL):
            stage = str(index % len(STAGES))
            await _answer(session, f"c{index}", RESEARCH_CLIENT, process,
                          ["2", stage, f"t:{text}", "high", stage, f"t:{text}", f"t:{text}"],
                          later)  # fmt: skip
    clock.advance(hours=2)
    await owner_card(telegram, case_id)
    await telegram.tap(OWNER, "Завершить опрос и сформировать перечни (R4)")
    [document] = [r for r in telegram.session.requests if isinstance(r, SendDocument)]
    assert isinstance(document.document, FSInputFile)
    assert text_problems(Path(document.document.path), (PROCESS_NAME, *STAGES, *SHOWN)) == []
