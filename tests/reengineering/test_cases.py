"""Reengineering cases through the service: opening, every branch of seed 003, the audit."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from core.calendar import CalendarDataWarning
from reengineering.cases import (
    CaseError,
    CaseView,
    attach_document,
    case_view,
    cases_for_officer,
    cases_for_owner,
    complete_step,
    decide_extension,
    open_case,
    open_cases_from_detections,
    record_decision,
    request_extension,
    schedule_meeting,
    template_of,
)
from reengineering.plan import add_plan_item, plan_items, set_plan_item_status
from storage.cases_models import (
    CaseEvent,
    CaseGround,
    CaseStep,
    Ground,
    ReengineeringCase,
    StepStatus,
)
from storage.database import SessionPool
from storage.delivery_models import OutboxLane, OutboxMessage
from storage.models import DeclineDetection, Person, Process
from surveys.catalogue import sync_questionnaires
from tests.conftest import SmallRegistry, build_small_registry

GROUND = date(2025, 4, 29)  # Tuesday, just before the May holidays
MEETING = date(2025, 7, 31)
PLAN_END = date(2025, 10, 31)
OWNER_CHAT = 700001
OFFICER_CHAT = 900001
HAPPY: dict[str, str] = {
    "R7": "change",
    "R8C": "change",
    "D3": "approve",
    "D3C": "approve",
    "D5": "approve",
    "D5C": "approve",
}
# The same dates as tests/reengineering/test_templates.py, now produced by the service.
EXPECTED_DUE = {
    "R1": date(2025, 5, 6),
    "R2": date(2025, 5, 12),
    "R3": date(2025, 5, 22),
    "R4": date(2025, 5, 26),
    "R5": date(2025, 5, 26),
    "R6": date(2025, 5, 29),
    "R7": date(2025, 6, 9),
    "R8": date(2025, 6, 10),
    "R8C": date(2025, 6, 17),
    "D1": date(2025, 6, 26),
    "D2": date(2025, 7, 1),
    "D3": date(2025, 7, 10),
    "D3C": date(2025, 7, 15),
    "D4": date(2025, 7, 24),
    "D5": MEETING,
    "D5C": date(2025, 8, 5),
    "IMPL": PLAN_END,
    "REPORT": date(2025, 11, 12),
}


@dataclass(frozen=True)
class World:
    registry: SmallRegistry
    owner_id: int
    officer_id: int


async def make_world(session_pool: SessionPool) -> World:
    """The small registry, its owner named, and one officer."""
    registry = await build_small_registry(session_pool)
    async with session_pool() as session, session.begin():
        owner = await session.scalar(sa.select(Person).where(Person.telegram_id == OWNER_CHAT))
        assert owner is not None
        owner.full_name = "Петров Пётр Петрович"
        officer = Person(
            telegram_id=OFFICER_CHAT, is_officer=True, is_employee=True, full_name="Иванова И. И."
        )
        session.add(officer)
        await session.flush()
        return World(registry, owner.id, officer.id)


@pytest.fixture
async def world(session_pool: SessionPool) -> World:
    return await make_world(session_pool)


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC)


async def messages(session: AsyncSession, **where: object) -> list[OutboxMessage]:
    query = sa.select(OutboxMessage).order_by(OutboxMessage.id)
    for name, value in where.items():
        query = query.where(getattr(OutboxMessage, name) == value)
    return list(await session.scalars(query))


async def first_active(session: AsyncSession, case_id: int) -> CaseStep | None:
    """The first active step in template order (straight from the rows: cheaper than a view)."""
    return await session.scalar(
        sa.select(CaseStep)
        .where(CaseStep.case_id == case_id, CaseStep.status == StepStatus.ACTIVE)
        .order_by(CaseStep.position)
        .limit(1)
    )


async def drive(
    session: AsyncSession,
    world: World,
    case_id: int,
    *,
    until: str | None = None,
    when: Callable[[CaseStep], date],
    decisions: Mapping[str, str] = HAPPY,
    meeting: date = MEETING,
    plan_end: date = PLAN_END,
    check: Callable[[CaseStep], None] | None = None,
) -> CaseView:
    """Do the first active step (in template order) until ``until`` is active or the end."""
    template = template_of("seed003")
    while True:
        step = await first_active(session, case_id)
        if step is None or step.step_code == until:
            return await case_view(session, case_id)
        code = step.step_code
        if code == "D5" and step.due_on is None:
            await schedule_meeting(
                session, case_id, meeting, world.officer_id, on=step.started_on or meeting
            )
            continue
        day = when(step)
        items = await plan_items(session, case_id)
        if code == "D4" and not items:
            await add_plan_item(
                session, case_id, world.owner_id, section=1, measure="Обучение специалистов",
                due_on=plan_end, responsible_name="Петров П. П.", on=day,
            )  # fmt: skip
            continue
        if check is not None:
            check(step)
        actor = world.owner_id if template.step(code).actor == "owner" else world.officer_id
        if code == "IMPL":
            for item in items:
                if item.status != "done":
                    await set_plan_item_status(session, item.id, "done", world.owner_id, on=day)
        if template.step(code).decision is not None:
            await record_decision(session, case_id, code, decisions[code], actor, on=day)
        else:
            await complete_step(session, case_id, code, actor, on=day)


async def open_instruction(session: AsyncSession, world: World, arose_on: date = GROUND) -> int:
    result = await open_case(
        session,
        world.registry.process_id,
        "instruction",
        arose_on=arose_on,
        actor_id=world.officer_id,
        at=at(arose_on),
    )
    assert result.created
    return result.case_id


# ------------------------------------------------------------------------------- tests


async def test_due_dates_of_every_step_on_time(session_pool: SessionPool, world: World) -> None:
    async with session_pool() as session, session.begin():
        case_id = await open_instruction(session, world)
        view = await case_view(session, case_id, today=GROUND)
        assert [s.step_id for s in view.active_steps] == ["R1", "R2"]
        assert view.step("R1").due_on == EXPECTED_DUE["R1"]
        assert view.step("R3").status == "pending" and view.step("R3").due_on is None

        seen: list[str] = []

        def check(step: CaseStep) -> None:
            assert step.due_on == EXPECTED_DUE[step.step_code], step.step_code
            seen.append(step.step_code)

        final = await drive(session, world, case_id, when=lambda s: s.due_on or GROUND, check=check)
        assert sorted(seen) == sorted(EXPECTED_DUE)
        assert final.status == "closed" and final.outcome == "completed"
        assert all(step.status == "done" for step in final.steps)
        assert {s.step_id: s.done_on for s in final.steps} == EXPECTED_DUE
        process = await session.get(Process, world.registry.process_id)
        assert process is not None
        assert process.last_reengineering == date(2025, 11, 12)
        assert process.review_due == date(2028, 11, 12)
        assert process.active

        # The owner was told at once what each of their steps expects, with the due date.
        texts = [m.text for m in await messages(session, chat_id=OWNER_CHAT, kind="case_step")]
        r2 = next(text for text in texts if "шаг R2" in text)
        assert "Описание и блок-схемы процесса на текущий момент" in r2
        assert "BPMN 2.0" in r2
        assert "до 12.05.2025 (5 рабочих дней)" in r2
        r1 = next(text for text in texts if "шаг R1" in text)
        assert "до 06.05.2025 (3 рабочих дня)" in r1
        keys = [m.dedupe_key for m in await messages(session, kind="case_step")]
        assert f"case:{case_id}:R1:1:{OWNER_CHAT}" in keys
        # Officer and working-group steps reach the officer too.
        assert f"case:{case_id}:R8C:1:{OFFICER_CHAT}" in keys
        closed = await messages(session, kind="case_closed")
        assert {m.chat_id for m in closed} == {OWNER_CHAT, OFFICER_CHAT}
        assert "28.11.2028" not in closed[0].text and "12.11.2028" in closed[0].text


async def _research_with(
    session: AsyncSession, world: World, decision: str
) -> tuple[int, CaseView]:
    case_id = await open_instruction(session, world)
    decisions = {**HAPPY, "R7": decision, "R8C": decision}
    view = await drive(
        session, world, case_id, when=lambda s: s.due_on or GROUND, decisions=decisions
    )
    return case_id, view


async def test_no_change_ends_the_case(session_pool: SessionPool, world: World) -> None:
    async with session_pool() as session, session.begin():
        case_id, view = await _research_with(session, world, "no_change")
        assert view.status == "closed" and view.outcome == "no_change"
        assert view.step("R8C").decision == "no_change"
        assert view.step("R8C").done_on == EXPECTED_DUE["R8C"]
        assert all(view.step(s).status == "skipped" for s in ("D1", "D4", "IMPL", "REPORT"))
        process = await session.get(Process, world.registry.process_id)
        assert process is not None and process.active
        # The review happened: the three-year period restarts.
        assert process.review_due == date(2028, 6, 17)
        with pytest.raises(CaseError, match="уже завершён"):
            await complete_step(session, case_id, "D1", world.owner_id, on=date(2025, 6, 18))


async def test_exclude_ends_the_case_and_deactivates_the_process(
    session_pool: SessionPool, world: World
) -> None:
    async with session_pool() as session, session.begin():
        _case_id, view = await _research_with(session, world, "exclude")
        assert view.outcome == "excluded"
        assert "исключается из Реестра" in (view.outcome_title or "")
        process = await session.get(Process, world.registry.process_id)
        assert process is not None and not process.active
        with pytest.raises(CaseError, match="исключён"):
            await open_case(session, process.id, "instruction", arose_on=date(2025, 7, 1))
        actions = [entry.action for entry in view.audit]
        assert actions.count("decision") == 2 and actions[-1] in ("closed", "step_activated")
        assert "closed" in actions


async def test_change_with_revision_loops_to_completion(
    session_pool: SessionPool, world: World
) -> None:
    async with session_pool() as session, session.begin():
        case_id = await open_instruction(session, world)
        on_due: Callable[[CaseStep], date] = lambda s: s.due_on or GROUND  # noqa: E731
        view = await drive(session, world, case_id, until="D3", when=on_due)
        assert view.step("D1").due_on == EXPECTED_DUE["D1"]

        # D3: the working group returns the target model; D3C confirms with a deadline.
        await record_decision(
            session, case_id, "D3", "revise", world.officer_id, on=date(2025, 7, 10)
        )
        with pytest.raises(CaseError, match="срок доработки"):
            await record_decision(
                session, case_id, "D3C", "revise", world.officer_id, on=date(2025, 7, 15)
            )
        with pytest.raises(CaseError, match="только при направлении на доработку"):
            await record_decision(
                session, case_id, "D3C", "approve", world.officer_id,
                on=date(2025, 7, 15), revision_due=date(2025, 7, 25),
            )  # fmt: skip
        transition = await record_decision(
            session, case_id, "D3C", "revise", world.officer_id,
            on=date(2025, 7, 15), revision_due=date(2025, 7, 25),
        )  # fmt: skip
        assert transition.activated == ("D2",)
        view = await case_view(session, case_id, today=date(2025, 7, 16))
        d2 = view.step("D2")
        assert d2.status == "active" and d2.due_on == date(2025, 7, 25) and d2.reopened
        assert d2.acting == "owner"  # the owner revises and resubmits (п. 3.4)
        assert view.step("D3").status == "pending" and view.step("D3C").status == "pending"
        assert view.step("D1").status == "done"
        reopened = [m.text for m in await messages(session, kind="case_step") if "шаг D2" in m.text]
        assert any("возвращены на доработку" in text for text in reopened)

        # Resubmitted 24.07: seven working days again for the group (to 04.08).
        await complete_step(session, case_id, "D2", world.owner_id, on=date(2025, 7, 24))
        view = await case_view(session, case_id)
        assert view.step("D3").due_on == date(2025, 8, 4)
        assert not view.step("D3").reopened and view.step("D3").acting == "working_group"
        await record_decision(
            session, case_id, "D3", "approve", world.officer_id, on=date(2025, 8, 4)
        )
        await record_decision(
            session, case_id, "D3C", "approve", world.officer_id, on=date(2025, 8, 7)
        )
        view = await case_view(session, case_id)
        assert view.step("D4").due_on == date(2025, 8, 18)

        # Plan: D4 → meeting → D5 returns it → D5C with a deadline → D4 again.
        await add_plan_item(
            session, case_id, world.owner_id, section=1, measure="Обучение специалистов",
            due_on=date(2025, 11, 28), responsible_name="Петров П. П.", on=date(2025, 8, 15),
            responsible_id=world.owner_id,
        )  # fmt: skip
        await complete_step(session, case_id, "D4", world.owner_id, on=date(2025, 8, 15))
        view = await case_view(session, case_id)
        assert view.step("D5").status == "active" and view.step("D5").due_on is None
        with pytest.raises(CaseError, match="ответственный по клиентоцентричности"):
            await schedule_meeting(
                session, case_id, date(2025, 8, 28), world.owner_id, on=date(2025, 8, 15)
            )
        await schedule_meeting(
            session, case_id, date(2025, 8, 28), world.officer_id, on=date(2025, 8, 15)
        )
        assert (await case_view(session, case_id)).step("D5").due_on == date(2025, 8, 28)
        await record_decision(
            session, case_id, "D5", "revise", world.officer_id, on=date(2025, 8, 28),
            meeting_on=date(2025, 8, 28),
        )  # fmt: skip
        await record_decision(
            session, case_id, "D5C", "revise", world.officer_id,
            on=date(2025, 9, 2), revision_due=date(2025, 9, 12),
        )  # fmt: skip
        view = await case_view(session, case_id)
        assert view.step("D4").status == "active" and view.step("D4").due_on == date(2025, 9, 12)
        assert view.step("D5").status == "pending"

        await complete_step(session, case_id, "D4", world.owner_id, on=date(2025, 9, 10))
        assert (await case_view(session, case_id)).step("D5").due_on is None  # 28.08 is over
        await schedule_meeting(
            session, case_id, date(2025, 9, 25), world.officer_id, on=date(2025, 9, 10)
        )
        await record_decision(
            session, case_id, "D5", "approve", world.officer_id, on=date(2025, 9, 25)
        )
        await record_decision(
            session, case_id, "D5C", "approve", world.officer_id, on=date(2025, 9, 29)
        )
        view = await case_view(session, case_id)
        impl = view.step("IMPL")
        assert impl.status == "active" and impl.due_on == date(2025, 11, 28)  # the plan's end
        # The approved plan went to its executor (the owner here).
        assert await messages(session, kind="plan_approved", chat_id=OWNER_CHAT)

        with pytest.raises(CaseError, match="не выполнено мероприятий — 1"):
            await complete_step(session, case_id, "IMPL", world.owner_id, on=date(2025, 11, 20))
        [item] = view.plan_items
        await set_plan_item_status(session, item.id, "done", world.owner_id, on=date(2025, 11, 19))
        await complete_step(session, case_id, "IMPL", world.owner_id, on=date(2025, 11, 20))
        view = await case_view(session, case_id)
        assert view.step("REPORT").due_on == date(2025, 12, 1)  # 21, 24–28.11, 01.12
        transition = await complete_step(
            session, case_id, "REPORT", world.officer_id, on=date(2025, 11, 27)
        )
        assert transition.outcome == "completed"
        process = await session.get(Process, world.registry.process_id)
        assert process is not None
        assert process.last_reengineering == date(2025, 11, 27)
        assert process.review_due == date(2028, 11, 27)
        decisions = [(e.step_id, e.details["option"]) for e in view.audit if e.action == "decision"]
        assert ("D3", "revise") in decisions and ("D5C", "revise") in decisions


async def test_permissions_and_wrong_requests(session_pool: SessionPool, world: World) -> None:
    async with session_pool() as session, session.begin():
        case_id = await open_instruction(session, world)
        stranger = Person(telegram_id=123, is_employee=True)
        session.add(stranger)
        await session.flush()
        with pytest.raises(CaseError, match="отмечает ответственный за процесс"):
            await complete_step(session, case_id, "R1", stranger.id, on=date(2025, 5, 5))
        with pytest.raises(CaseError, match="не ожидается"):
            await complete_step(session, case_id, "R3", world.owner_id, on=date(2025, 5, 5))
        with pytest.raises(CaseError, match="раньше начала"):
            await complete_step(session, case_id, "R1", world.owner_id, on=date(2025, 4, 28))
        with pytest.raises(CaseError, match="решением"):
            await complete_step(session, case_id, "R7", world.officer_id, on=date(2025, 5, 5))
        await drive(session, world, case_id, until="R7", when=lambda s: s.due_on or GROUND)
        with pytest.raises(CaseError, match="рабочей группы вносит"):
            await record_decision(
                session, case_id, "R7", "change", world.owner_id, on=date(2025, 6, 2)
            )
        with pytest.raises(CaseError, match="нет варианта"):
            await record_decision(
                session, case_id, "R7", "maybe", world.officer_id, on=date(2025, 6, 2)
            )


async def test_one_open_case_per_process(session_pool: SessionPool, world: World) -> None:
    await sync_questionnaires(session_pool)
    async with session_pool() as session, session.begin():
        case_id = await open_instruction(session, world)
        questionnaire_id = await session.scalar(sa.text("SELECT id FROM questionnaires LIMIT 1"))
        detection = DeclineDetection(
            series=f"p{world.registry.process_id}:q{questionnaire_id}", level="process",
            process_id=world.registry.process_id, questionnaire_id=questionnaire_id,
            month=date(2025, 5, 1), streak=4, first_mean=4.2, last_mean=3.1, p_value=0.01,
            reason="снижение четыре месяца подряд", detected_at=at(date(2025, 6, 2)),
        )  # fmt: skip
        session.add(detection)
        await session.flush()

        second = await open_case(
            session, world.registry.process_id, Ground.DECLINE,
            arose_on=date(2025, 6, 2), detection_id=detection.id,
        )  # fmt: skip
        assert second.case_id == case_id and not second.created and second.linked
        again = await open_case(
            session, world.registry.process_id, Ground.DECLINE,
            arose_on=date(2025, 6, 2), detection_id=detection.id,
        )  # fmt: skip
        assert again.case_id == case_id and not again.created and not again.linked
        review = await open_case(
            session, world.registry.process_id, "review_due", arose_on=date(2025, 6, 3)
        )
        assert review.linked
        assert (await open_cases_from_detections(session, at(date(2025, 6, 4)))) == []

        count = await session.scalar(sa.select(sa.func.count(ReengineeringCase.id)))
        assert count == 1
        grounds = list(await session.scalars(sa.select(CaseGround).order_by(CaseGround.id)))
        assert [(g.ground, g.opened) for g in grounds] == [
            (Ground.INSTRUCTION, True),
            (Ground.DECLINE, False),
            (Ground.REVIEW_DUE, False),
        ]
        view = await case_view(session, case_id)
        linked = [e for e in view.audit if e.action == "ground_linked"]
        assert [e.details["ground"] for e in linked] == ["decline", "review_due"]
        assert linked[0].details["detection_id"] == detection.id
        assert len(await messages(session, kind="case_ground_linked")) == 2


async def test_decline_detection_opens_a_case(session_pool: SessionPool, world: World) -> None:
    await sync_questionnaires(session_pool)
    async with session_pool() as session, session.begin():
        questionnaire_id = await session.scalar(sa.text("SELECT id FROM questionnaires LIMIT 1"))
        common = {
            "questionnaire_id": questionnaire_id, "month": date(2025, 5, 1), "streak": 4,
            "first_mean": 4.0, "last_mean": 3.0, "p_value": 0.02, "reason": "снижение",
            "detected_at": datetime(2025, 6, 2, 6, 0, tzinfo=UTC),
        }  # fmt: skip
        process_level = DeclineDetection(
            series="p1", level="process", process_id=world.registry.process_id, **common
        )
        touchpoint_level = DeclineDetection(
            series="t1", level="touchpoint", process_id=world.registry.internal_process_id,
            touchpoint_id=world.registry.touchpoint_id, **common,
        )  # fmt: skip
        session.add_all([process_level, touchpoint_level])
        await session.flush()

        [result] = await open_cases_from_detections(session, datetime(2025, 6, 3, 7, tzinfo=UTC))
        assert result.created
        case = await session.get(ReengineeringCase, result.case_id)
        assert case is not None
        assert case.ground == Ground.DECLINE and case.arose_on == date(2025, 6, 2)
        assert case.detection_id == process_level.id
        assert await open_cases_from_detections(session, datetime(2025, 6, 4, tzinfo=UTC)) == []
        opened = await messages(session, kind="case_opened")
        assert {m.chat_id for m in opened} == {OWNER_CHAT, OFFICER_CHAT}
        assert "устойчивое снижение удовлетворённости" in opened[0].text


async def test_extension_documents_and_lists(session_pool: SessionPool, world: World) -> None:
    async with session_pool() as session, session.begin():
        case_id = await open_instruction(session, world)
        extension_id = await request_extension(
            session, case_id, "R2", world.owner_id, reason="Нужны данные МФЦ",
            on=date(2025, 5, 7), proposed_due=date(2025, 5, 16),
        )  # fmt: skip
        with pytest.raises(CaseError, match="уже ожидает"):
            await request_extension(
                session, case_id, "R2", world.owner_id, reason="ещё", on=date(2025, 5, 7)
            )
        [request] = await messages(session, kind="case_extension_request")
        assert request.chat_id == OFFICER_CHAT and "Нужны данные МФЦ" in request.text
        with pytest.raises(CaseError, match="принимает ответственный по клиентоцентричности"):
            await decide_extension(
                session, extension_id, world.owner_id, granted=True, on=date(2025, 5, 8),
                new_due=date(2025, 5, 16),
            )  # fmt: skip
        await decide_extension(
            session, extension_id, world.officer_id, granted=True, on=date(2025, 5, 8),
            new_due=date(2025, 5, 16),
        )  # fmt: skip
        view = await case_view(session, case_id, today=date(2025, 5, 13))
        assert view.step("R2").due_on == date(2025, 5, 16) and view.step("R2").extended
        assert not view.step("R2").overdue
        assert view.step("R1").overdue  # due 06.05, still active on 13.05
        [granted] = await messages(session, kind="case_extension_decision")
        assert granted.chat_id == OWNER_CHAT and "продлён до 16.05.2025" in granted.text

        second = await request_extension(
            session, case_id, "R1", world.owner_id, reason="Болезнь", on=date(2025, 5, 13)
        )
        await decide_extension(
            session, second, world.officer_id, granted=False, on=date(2025, 5, 13),
            comment="срок установлен Порядком",
        )  # fmt: skip
        assert (await case_view(session, case_id)).step("R1").due_on == EXPECTED_DUE["R1"]

        document_id = await attach_document(
            session, case_id, "R1", world.owner_id, original_name="Профиль сегмента.xlsx",
            telegram_file_id="BQACAgIAAxk", file_path="/var/cases/1/profile.xlsx",
            on=date(2025, 5, 6), at=datetime(2025, 5, 6, 12, 30, tzinfo=UTC),
        )  # fmt: skip
        view = await case_view(session, case_id, today=date(2025, 5, 13))
        [document] = view.documents
        assert document.id == document_id and document.step_id == "R1"
        assert document.uploaded_by == "Петров Пётр Петрович"
        assert document.telegram_file_id == "BQACAgIAAxk"
        actions = [entry.action for entry in view.audit]
        assert actions[:1] == ["opened"]
        for action in ("extension_requested", "extension_granted", "extension_refused",
                       "document_attached"):  # fmt: skip
            assert action in actions
        assert [x.status for x in view.extensions] == ["granted", "refused"]

        owned = await cases_for_owner(session, world.owner_id, today=date(2025, 5, 13))
        assert [c.id for c in owned] == [case_id] and owned[0].overdue
        assert owned[0].overdue_steps == ("R1",)

        other = await open_case(
            session, world.registry.internal_process_id, "instruction", arose_on=date(2025, 5, 12)
        )
        listed = await cases_for_officer(session, today=date(2025, 5, 13))
        assert [c.id for c in listed] == [case_id, other.case_id]  # overdue first
        assert not listed[1].overdue


async def test_rolled_back_transaction_leaves_no_messages(
    session_pool: SessionPool, world: World
) -> None:
    async with session_pool() as session:
        async with session.begin():
            case_id = await open_instruction(session, world)
            assert await messages(session)  # queued in this transaction
            await session.rollback()
    async with session_pool() as session:
        assert await messages(session) == []
        assert await session.get(ReengineeringCase, case_id) is None
        assert await session.scalar(sa.select(sa.func.count(CaseEvent.id))) == 0

    async with session_pool() as session, session.begin():
        await open_instruction(session, world)
    async with session_pool() as session:
        queued = await messages(session)
        assert queued and all(m.lane == OutboxLane.ALERT for m in queued)


async def test_due_dates_beyond_the_calendar_data_say_so(
    session_pool: SessionPool, world: World
) -> None:
    async with session_pool() as session, session.begin():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CalendarDataWarning)
            case_id = await open_instruction(session, world, arose_on=date(2027, 12, 27))
            view = await case_view(session, case_id)
        r2_due = view.step("R2").due_on
        assert r2_due is not None and r2_due.year == 2028
        assert view.step("R2").data_warning is not None
        r2 = next(m.text for m in await messages(session, kind="case_step") if "шаг R2" in m.text)
        assert "Производственный календарь на 2028 год" in r2
        r1 = next(m.text for m in await messages(session, kind="case_step") if "шаг R1" in m.text)
        assert "Производственный календарь" not in r1  # due 30.12.2027: official data
