"""A regulation per organisation: cases under seeds 000, 001 and 003, run to their end.

Orders 984 (seed 000) and 77-НПА (seed 001) set no deadline for their stages: the officer
sets each step's due date when the case opens (defaults from the template, or the body's
own), and the reminders then work as for the counted deadlines of seed 003.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from sqlalchemy.ext.asyncio import AsyncSession

from core.calendar import default_calendar
from jobs.cases import queue_deadline_reminders
from reengineering.cases import (
    CaseError,
    case_view,
    complete_step,
    open_case,
    record_decision,
    set_due_date,
)
from reengineering.cases import steps as case_steps
from reengineering.regulation import current_regulation, set_regulation
from reengineering.templates import TEMPLATES_DIR, TemplateError, load_template, parse_template
from storage.cases_models import CaseEvent, CaseStep, Ground, ReengineeringCase, StepStatus
from storage.database import SessionPool
from storage.delivery_models import OutboxMessage
from storage.models import Person
from tests.conftest import SmallRegistry

GROUND = date(2025, 4, 29)  # Tuesday, just before the May holidays
OWNER_CHAT = 700001
SEED003_HAPPY = {"R7": "change", "R8C": "change", "D3": "approve", "D3C": "approve"}


@pytest.fixture
async def officer_id(session_pool: SessionPool, registry: SmallRegistry) -> int:
    async with session_pool() as session, session.begin():
        officer = Person(telegram_id=900001, is_officer=True, full_name="Иванова И. И.")
        session.add(officer)
        await session.flush()
        return officer.id


async def _due(session: AsyncSession, case_id: int) -> dict[str, date | None]:
    rows = await session.scalars(sa.select(CaseStep).where(CaseStep.case_id == case_id))
    return {row.step_code: row.due_on for row in rows}


async def _texts(session: AsyncSession) -> str:
    return "\n".join(m.text or "" for m in await session.scalars(sa.select(OutboxMessage)))


async def _run_linear(
    session: AsyncSession, case_id: int, officer_id: int, on: date
) -> list[tuple[str, date | None]]:
    """Complete every active step on ``on`` until the case closes; the due date each had."""
    seen: list[tuple[str, date | None]] = []
    while True:
        view = await case_view(session, case_id, today=on)
        if not view.active_steps:
            return seen
        step = view.active_steps[0]
        seen.append((step.step_id, step.due_on))
        await complete_step(session, case_id, step.step_id, officer_id, on=on)


def test_the_shipped_regulations_follow_their_seeds() -> None:
    """Seed 000 п. 2: «1) подготовка к реинжинирингу … 2) разработка и тестирование прототипов
    … 3) ввод сервисов в эксплуатацию … 4) мониторинг удовлетворенности клиентов»; seed 001
    п. 4: «1) Подготовительный этап … 2) Анализ и перепроектирование … 3) Внесение изменений в
    процессы … 4) Мониторинг удовлетворенности внешних и внутренних клиентов». Every step
    names its clause; neither order counts a deadline, seed 003 counts all but two."""
    seed000, seed001, seed003 = (load_template(name) for name in ("seed000", "seed001", "seed003"))
    assert [seed000.stage_title(s, str) for s in seed000.stage_ids()] == [
        "Подготовка к реинжинирингу",
        "Разработка и тестирование прототипов услуг и сервисов",
        "Ввод сервисов в эксплуатацию",
        "Мониторинг удовлетворенности клиентов",
    ]
    assert list(seed001.stages.values()) == [
        "Подготовительный этап",
        "Анализ и перепроектирование процессов",
        "Внесение изменений в процессы",
        "Мониторинг удовлетворенности внешних и внутренних клиентов",
    ]
    for template in (seed000, seed001, seed003):
        assert all(step.clause for step in template.steps), template.id
    assert not seed000.counted and not seed001.counted and seed003.counted
    assert all(step.deadline_days is None for step in (*seed000.steps, *seed001.steps))
    assert seed000.journey_steps() == ("P1",)
    assert seed000.grounds["journey_due"].cadence_years == 3
    # §4–6 of order 984: what a reengineering of services, appeals, access to information covers
    assert [(s.clause, len(s.items)) for s in seed000.scope] == [
        ("п. 4", 10),
        ("п. 5", 9),
        ("п. 6", 4),
    ]
    assert "«карты болей»" in seed000.scope[0].items[5]
    # No municipal wording in a ministry's regulation.
    for template in (seed000, seed001):
        text = template.model_dump_json()
        assert "Глав" not in text and "1151" not in text and "Десногорск" not in text
    assert seed000.revision.startswith("2024-05-20+") and len(seed000.revision) == 23


def test_an_officer_set_date_only_where_the_order_counts_none() -> None:
    raw = load_template("seed000").model_dump(exclude_defaults=True)
    raw["steps"][0]["deadline_days"] = 5
    with pytest.raises(TemplateError, match="default_days"):
        parse_template(raw, "broken.yaml")
    raw = load_template("seed000").model_dump(exclude_defaults=True)
    raw["grounds"]["because"] = {"title": "просто так"}
    with pytest.raises(TemplateError, match="because"):
        parse_template(raw, "broken.yaml")
    raw = load_template("seed000").model_dump(exclude_defaults=True)
    raw["steps"][1]["stage"] = "design"
    with pytest.raises(TemplateError, match="design"):
        parse_template(raw, "broken.yaml")


async def test_seed000_case_runs_to_its_end_on_the_officers_dates(
    session_pool: SessionPool, registry: SmallRegistry, officer_id: int
) -> None:
    """Order 984 п. 2 sets no deadline for «подготовка к реинжинирингу», the prototypes,
    «ввод сервисов в эксплуатацию» or «мониторинг удовлетворенности клиентов»: the officer
    sets them when the case opens (P1 here; the rest by default, in working days from the
    ground: 40, 60, 80, 100, 160), and a step done early does not move the next one's date.
    П. 2 пп. 1 абз. 2: «Анализ клиентского пути проводится в обязательном порядке при
    подготовке к реинжинирингу» — the first step, P1."""
    async with session_pool() as session, session.begin():
        await set_regulation(session, "seed000")
        result = await open_case(
            session, registry.process_id, Ground.INSTRUCTION, arose_on=GROUND,
            actor_id=officer_id, due_dates={"P1": date(2025, 5, 30)},
        )  # fmt: skip
        case = await session.get(ReengineeringCase, result.case_id)
        assert case is not None and case.template_id == "seed000"
        assert case.template_version == load_template("seed000").revision
        assert await _due(session, case.id) == {
            "P1": date(2025, 5, 30), "P2": None, "T1": None, "T2": None, "O1": None, "M1": None,
        }  # fmt: skip
        opened = await _texts(session)
        assert "решение министерства или ответственного по клиентоцентричности" in opened
        assert "Подготовка к реинжинирингу" in opened and "Анализ клиентского пути" in opened
        assert "P2 Лучшие практики" in opened and "02.07.2025" in opened  # the officer's dates
        assert "Глав" not in opened and "1151" not in opened
        seen = await _run_linear(session, case.id, officer_id, date(2025, 5, 15))
        view = await case_view(session, case.id)
    assert seen == [
        ("P1", date(2025, 5, 30)),
        ("P2", date(2025, 7, 2)),
        ("T1", date(2025, 7, 30)),
        ("T2", date(2025, 8, 27)),
        ("O1", date(2025, 9, 24)),
        ("M1", date(2025, 12, 18)),
    ]
    assert view.status == "closed" and view.outcome == "completed"
    assert view.outcome_title == (
        "мониторинг удовлетворенности клиентов проведен, реинжиниринг процесса завершен"
    )
    assert view.template_title.endswith("от 20.05.2024 № 984")
    assert list(dict.fromkeys(s.stage_title for s in view.steps)) == [
        "Подготовка к реинжинирингу",
        "Разработка и тестирование прототипов услуг и сервисов",
        "Ввод сервисов в эксплуатацию",
        "Мониторинг удовлетворенности клиентов",
    ]


async def test_seed001_case_runs_its_four_stages_with_the_bodys_own_defaults(
    session_pool: SessionPool, registry: SmallRegistry, officer_id: int
) -> None:
    """77-НПА п. 4 names four stages and no deadline; the body keeps its own default for
    A1 (`--days A1=20`), the others come from the template (25, 40, 55, 65, 90, 100, 160
    working days from the ground)."""
    async with session_pool() as session, session.begin():
        await set_regulation(session, "seed001", {"A1": 20})
        assert await current_regulation(session) == "seed001"
        case_id = (
            await open_case(session, registry.process_id, Ground.DECLINE, arose_on=GROUND)
        ).case_id
        opened = await _texts(session)
        assert "проблемы, выявленные на основании клиентского опыта и обратной связи" in opened
        seen = await _run_linear(session, case_id, officer_id, date(2025, 6, 2))
        view = await case_view(session, case_id)
        stages = [step.stage_title for step in view.steps]
    assert seen == [
        ("A1", date(2025, 6, 2)),
        ("A2", date(2025, 6, 9)),
        ("B1", date(2025, 7, 2)),
        ("B2", date(2025, 7, 23)),
        ("B3", date(2025, 8, 6)),
        ("C1", date(2025, 9, 10)),
        ("C2", date(2025, 9, 24)),
        ("M1", date(2025, 12, 18)),
    ]
    assert view.outcome == "completed" and view.ground_title.startswith("проблемы, выявленные")
    assert list(dict.fromkeys(stages)) == list(load_template("seed001").stages.values())


async def test_seed003_stays_the_default_and_counts_its_own_deadlines(
    session_pool: SessionPool, registry: SmallRegistry, officer_id: int
) -> None:
    """Seed 003 п. 2.2: «В течение 3 рабочих дней после возникновения оснований … формирует …
    перечень точек взаимодействия»; п. 2.2.1: «в течение 5 рабочих дней»; п. 2.2.2: the survey
    within 10 working days of R1. An install that never chose keeps seed 003."""
    cal = default_calendar()
    async with session_pool() as session, session.begin():
        assert await current_regulation(session) == "seed003"
        case_id = (
            await open_case(session, registry.process_id, Ground.INSTRUCTION, arose_on=GROUND)
        ).case_id
        due = await _due(session, case_id)
        assert due["R1"] == cal.add_working_days(GROUND, 3) == date(2025, 5, 6)
        assert due["R2"] == cal.add_working_days(GROUND, 5) == date(2025, 5, 12)
        assert "поручение Главы или ответственного по клиентоцентричности" in await _texts(session)
        on = date(2025, 5, 6)
        for step_id in ("R1", "R2", "R3", "R4", "R5", "R6"):
            await complete_step(session, case_id, step_id, officer_id, on=on)
        assert (await _due(session, case_id))["R7"] == cal.add_working_days(on, 7)
        for step_id, option in SEED003_HAPPY.items():
            if step_id == "R8C":
                await complete_step(session, case_id, "R8", officer_id, on=on)
            if step_id == "D3":
                await complete_step(session, case_id, "D1", officer_id, on=on)
                await complete_step(session, case_id, "D2", officer_id, on=on)
            await record_decision(session, case_id, step_id, option, officer_id, on=on)
        view = await case_view(session, case_id)
    assert view.template_title.endswith("№ 1151")
    assert [s.step_id for s in view.active_steps] == ["D4"]


async def test_a_case_keeps_its_regulation_when_the_choice_changes(
    session_pool: SessionPool, registry: SmallRegistry, officer_id: int
) -> None:
    async with session_pool() as session, session.begin():
        await set_regulation(session, "seed000")
        first = (
            await open_case(session, registry.process_id, Ground.INSTRUCTION, arose_on=GROUND)
        ).case_id
        await set_regulation(session, "seed001")
        await complete_step(session, first, "P1", officer_id, on=date(2025, 5, 5))
        second = (
            await open_case(
                session, registry.internal_process_id, Ground.INSTRUCTION, arose_on=GROUND
            )
        ).case_id
        first_view = await case_view(session, first)
        second_view = await case_view(session, second)
        with pytest.raises(CaseError):
            await complete_step(session, first, "A1", officer_id, on=date(2025, 5, 5))
        with pytest.raises(CaseError):
            await set_regulation(session, "seed002")
    assert [s.step_id for s in first_view.active_steps] == ["P2"]
    assert [s.step_id for s in second_view.active_steps] == ["A1"]
    assert first_view.template_revision == load_template("seed000").revision
    assert second_view.template_revision == load_template("seed001").revision


async def test_the_officers_dates_are_reminded_like_counted_ones(
    session_pool: SessionPool, registry: SmallRegistry, officer_id: int
) -> None:
    """A date the officer set (order 984 counts none) is reminded two working days before and
    is overdue the day after, as seed 003's counted deadlines are."""
    cal = default_calendar()
    async with session_pool() as session, session.begin():
        await set_regulation(session, "seed000")
        case_id = (
            await open_case(session, registry.process_id, Ground.INSTRUCTION, arose_on=GROUND)
        ).case_id
        owner = await session.scalar(sa.select(Person).where(Person.telegram_id == OWNER_CHAT))
        assert owner is not None
        with pytest.raises(CaseError):  # only the officer sets them
            await set_due_date(session, case_id, "P1", date(2025, 6, 20), owner.id, on=GROUND)
        with pytest.raises(CaseError):
            await set_due_date(session, case_id, "P1", date(2025, 4, 1), officer_id, on=GROUND)
        await set_due_date(session, case_id, "P1", date(2025, 6, 20), officer_id, on=GROUND)
        assert (await _due(session, case_id))["P1"] == date(2025, 6, 20)
        events = await session.scalars(
            sa.select(CaseEvent.action).where(CaseEvent.case_id == case_id)
        )
        assert {"due_dates_set", "due_date_set"} <= set(events)
        before = date(2025, 6, 18)
        assert cal.add_working_days(before, 2) == date(2025, 6, 20)
        assert await queue_deadline_reminders(session, before, cal) == 1
        assert await queue_deadline_reminders(session, date(2025, 6, 23), cal) == 2
        kinds = [
            (m.chat_id, m.kind)
            for m in await session.scalars(
                sa.select(OutboxMessage).where(OutboxMessage.kind.like("case_%"))
            )
        ]
        texts = await _texts(session)
    assert (OWNER_CHAT, "case_reminder") in kinds
    assert (OWNER_CHAT, "case_overdue") in kinds and (900001, "case_overdue_copy") in kinds
    assert (OWNER_CHAT, "case_due_set") in kinds
    assert "20.06.2025" in texts
    async with session_pool() as session:
        row = await session.scalar(
            sa.select(CaseStep).where(CaseStep.case_id == case_id, CaseStep.step_code == "P1")
        )
    assert row is not None and row.status == StepStatus.ACTIVE


async def test_a_case_keeps_the_text_it_was_opened_under(
    session_pool: SessionPool,
    registry: SmallRegistry,
    officer_id: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A changed regulation does not change a case opened under its earlier text: the case
    stores the revision (version + checksum) and the earlier file is kept in the archive."""
    raw = yaml.safe_load((TEMPLATES_DIR / "seed000.yaml").read_text(encoding="utf-8"))
    raw["version"] = "2023-01-01"
    raw["steps"][0]["title"] = "Анализ клиентского пути (прежняя редакция)"
    (tmp_path / "seed000-2023-01-01.yaml").write_text(
        yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8"
    )
    monkeypatch.setattr(case_steps, "TEMPLATE_ARCHIVE", tmp_path)
    earlier = parse_template(raw).revision
    assert earlier != load_template("seed000").revision
    async with session_pool() as session, session.begin():
        await set_regulation(session, "seed000")
        old = (
            await open_case(session, registry.process_id, Ground.INSTRUCTION, arose_on=GROUND)
        ).case_id
        new = (
            await open_case(
                session, registry.internal_process_id, Ground.INSTRUCTION, arose_on=GROUND
            )
        ).case_id
        case = await session.get(ReengineeringCase, old)
        assert case is not None
        case.template_version = earlier  # opened before the order was amended
        await complete_step(session, old, "P1", officer_id, on=date(2025, 5, 5))
        old_view = await case_view(session, old)
        new_view = await case_view(session, new)
    assert old_view.step("P1").title == "Анализ клиентского пути (прежняя редакция)"
    assert new_view.step("P1").title == "Анализ клиентского пути"
    assert [s.step_id for s in old_view.active_steps] == ["P2"]
