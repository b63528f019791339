"""Deadline reminders: pure planning, and the daily job with an injected clock."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from core.calendar import WorkingCalendar
from core.settings import Settings
from jobs.cases import CaseJobReport, run_case_reminders
from reengineering.cases import case_view
from reengineering.effect import effect_checks, effect_due_on, effect_windows
from reengineering.plan import add_plan_item
from reengineering.reminders import (
    Reminder,
    deadline_reminder,
    review_reminder,
    working_days_phrase,
)
from storage.cases_models import CaseStatus, CaseStep, Ground, ReengineeringCase
from storage.database import SessionPool
from storage.delivery_models import OutboxMessage
from storage.models import ClientType, DeclineDetection, MonthlyRollup, Process
from surveys.catalogue import sync_questionnaires
from tests.reengineering.test_cases import (
    OFFICER_CHAT,
    OWNER_CHAT,
    World,
    drive,
    make_world,
    open_instruction,
)

MSK = ZoneInfo("Europe/Moscow")
CAL = WorkingCalendar()


@pytest.fixture
async def world(session_pool: SessionPool) -> World:
    return await make_world(session_pool)


def clock_at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=MSK)


async def run(
    session_pool: SessionPool, settings: Settings, day: date, hour: int = 10
) -> CaseJobReport:
    return await run_case_reminders(session_pool, lambda: clock_at(day, hour), settings)


async def reminder_rows(session_pool: SessionPool) -> list[OutboxMessage]:
    async with session_pool() as session:
        rows = await session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.dedupe_key.like("rem:%"))
            .order_by(OutboxMessage.id)
        )
        return list(rows)


def keys(rows: list[OutboxMessage]) -> set[str]:
    return {row.dedupe_key or "" for row in rows}


# --------------------------------------------------------------------------- pure planning


def test_before_due_and_overdue() -> None:
    due = date(2025, 5, 12)  # Monday after the second May break
    # 2 working days before 12.05: 07.05 (08–11.05 are days off, 12.05 −0, 07.05 −1, 06.05 −2)
    assert deadline_reminder(due, date(2025, 5, 5), CAL) is None
    assert deadline_reminder(due, date(2025, 5, 6), CAL) == Reminder(
        "before", date(2025, 5, 6), due, 2
    )
    # 07.05: the "2 days before" was sent yesterday; it is still today's latest reminder.
    assert deadline_reminder(due, date(2025, 5, 7), CAL) == Reminder(
        "before", date(2025, 5, 6), due, 1
    )
    assert deadline_reminder(due, date(2025, 5, 12), CAL) == Reminder("due", due, due, 0)
    assert deadline_reminder(due, date(2025, 5, 13), CAL) == Reminder(
        "overdue", date(2025, 5, 13), due, 1
    )
    assert deadline_reminder(due, date(2025, 5, 20), CAL) == Reminder(
        "overdue", date(2025, 5, 20), due, 6
    )
    for off in (date(2025, 5, 8), date(2025, 5, 9), date(2025, 5, 10), date(2025, 5, 11)):
        assert deadline_reminder(due, off, CAL) is None
    assert deadline_reminder(date(2025, 5, 6), date(2025, 5, 3), CAL) is None


def test_missed_reminders_are_superseded_not_sent_late() -> None:
    due = date(2025, 5, 12)
    # Down on 06.05 and 07.05: on 12.05 only the due-day reminder, never the "2 days before".
    assert deadline_reminder(due, date(2025, 5, 12), CAL, days_before=(5, 2)).kind == "due"  # type: ignore[union-attr]
    # Several lead times: the latest one whose date has come.
    reminder = deadline_reminder(due, date(2025, 4, 30), CAL, days_before=(5, 2))
    assert reminder == Reminder("before", date(2025, 4, 29), due, 4)
    # Reminders dated on or before the activation are not sent (the activation said it).
    assert deadline_reminder(due, date(2025, 5, 6), CAL, active_since=date(2025, 5, 6)) is None
    assert deadline_reminder(due, date(2025, 5, 12), CAL, active_since=date(2025, 5, 12)) is None
    # A due date on a day off: the due-day reminder comes on the last working day before it.
    saturday = date(2025, 6, 14)
    assert deadline_reminder(saturday, date(2025, 6, 11), CAL) == Reminder(
        "due", date(2025, 6, 11), saturday, 0
    )
    assert deadline_reminder(saturday, date(2025, 6, 16), CAL).kind == "overdue"  # type: ignore[union-attr]


def test_review_reminders_60_30_10() -> None:
    review_due = date(2025, 9, 15)
    dates = [CAL.add_working_days(review_due, -n) for n in (60, 30, 10)]
    assert dates == [date(2025, 6, 23), date(2025, 8, 4), date(2025, 9, 1)]  # 12–13.06 off
    assert review_reminder(review_due, date(2025, 6, 20), CAL) is None
    assert review_reminder(review_due, date(2025, 6, 23), CAL) == Reminder(
        "before", date(2025, 6, 23), review_due, 60
    )
    assert review_reminder(review_due, date(2025, 7, 1), CAL).nominal == date(2025, 6, 23)  # type: ignore[union-attr]
    assert review_reminder(review_due, date(2025, 9, 1), CAL).days == 10  # type: ignore[union-attr]
    assert review_reminder(review_due, review_due, CAL) is None


def test_working_days_phrase() -> None:
    assert [working_days_phrase(n) for n in (1, 2, 5, 11, 21, 22, 14)] == [
        "1 рабочий день", "2 рабочих дня", "5 рабочих дней", "11 рабочих дней",
        "21 рабочий день", "22 рабочих дня", "14 рабочих дней",
    ]  # fmt: skip


# ------------------------------------------------------------------------------ the job


async def test_step_reminders_with_an_injected_clock(
    session_pool: SessionPool, settings: Settings, world: World
) -> None:
    async with session_pool() as session, session.begin():
        case_id = await open_instruction(session, world)  # R1 due 06.05, R2 due 12.05
        view = await case_view(session, case_id)
        r1 = next(s for s in view.steps if s.step_id == "R1")
    step_ids = await _step_row_ids(session_pool, case_id)
    assert r1.due_on == date(2025, 5, 6)

    # Before the configured hour nothing is planned yet.
    report = await run(session_pool, settings, date(2025, 4, 30), hour=8)
    assert report.skipped and await reminder_rows(session_pool) == []

    # 30.04: R1 is two working days ahead (30.04, 05.05, 06.05 → 2 days before = 30.04).
    report = await run(session_pool, settings, date(2025, 4, 30))
    rows = await reminder_rows(session_pool)
    assert keys(rows) == {f"rem:step:{step_ids['R1']}:2025-04-30:{OWNER_CHAT}"}
    assert "осталось 2 рабочих дня" in rows[0].text and rows[0].kind == "case_reminder"
    assert report.reminders == 1
    # Rerun the same day: nothing new.
    assert (await run(session_pool, settings, date(2025, 4, 30))).reminders == 0

    # The May holidays and the weekend: nothing at all.
    for day in (date(2025, 5, 1), date(2025, 5, 2), date(2025, 5, 3), date(2025, 5, 4)):
        report = await run(session_pool, settings, day)
        assert report.skipped == "нерабочий день"
    assert len(await reminder_rows(session_pool)) == 1

    # 05.05: the latest reminder of R1 is still the one of 30.04, already sent.
    assert (await run(session_pool, settings, date(2025, 5, 5))).reminders == 0

    # 06.05: R1's due day, R2 two working days ahead (06.05, 07.05, 12.05).
    await run(session_pool, settings, date(2025, 5, 6))
    new = keys(await reminder_rows(session_pool)) - {
        f"rem:step:{step_ids['R1']}:2025-04-30:{OWNER_CHAT}"
    }
    assert new == {
        f"rem:step:{step_ids['R1']}:2025-05-06:{OWNER_CHAT}",
        f"rem:step:{step_ids['R2']}:2025-05-06:{OWNER_CHAT}",
    }

    # 07.05: R1 overdue — to the owner, with a copy to the officer.
    before = len(await reminder_rows(session_pool))
    await run(session_pool, settings, date(2025, 5, 7))
    rows = (await reminder_rows(session_pool))[before:]
    assert {(row.chat_id, row.kind) for row in rows} == {
        (OWNER_CHAT, "case_overdue"),
        (OFFICER_CHAT, "case_overdue_copy"),
    }
    copy = next(row for row in rows if row.chat_id == OFFICER_CHAT)
    assert "Копия ответственному по клиентоцентричности" in copy.text
    assert "Петров Пётр Петрович" in copy.text and "просрочка 1 рабочий день" in copy.text

    # 08.05–11.05: days off again.
    for day in (date(2025, 5, 8), date(2025, 5, 9), date(2025, 5, 10), date(2025, 5, 11)):
        assert (await run(session_pool, settings, day)).skipped
    assert len(await reminder_rows(session_pool)) == before + 2

    # 12.05: R1 overdue again (owner + officer), R2 due today.
    await run(session_pool, settings, date(2025, 5, 12))
    rows = (await reminder_rows(session_pool))[before + 2 :]
    assert sorted((row.kind, row.chat_id) for row in rows) == [
        ("case_overdue", OWNER_CHAT),
        ("case_overdue_copy", OFFICER_CHAT),
        ("case_reminder", OWNER_CHAT),
    ]
    assert any("срок истекает сегодня" in row.text for row in rows)

    # The bot is down 13.05–19.05 (five working days); on 20.05 exactly one overdue
    # reminder per item (and its officer copy) goes out, none for the missed days.
    count = len(await reminder_rows(session_pool))
    await run(session_pool, settings, date(2025, 5, 20))
    await run(session_pool, settings, date(2025, 5, 20), hour=15)
    rows = (await reminder_rows(session_pool))[count:]
    assert sorted((row.dedupe_key or "") for row in rows) == sorted(
        [
            f"rem:step:{step_ids['R1']}:2025-05-20:{OWNER_CHAT}",
            f"rem:step:{step_ids['R1']}:2025-05-20:{OFFICER_CHAT}",
            f"rem:step:{step_ids['R2']}:2025-05-20:{OWNER_CHAT}",
            f"rem:step:{step_ids['R2']}:2025-05-20:{OFFICER_CHAT}",
        ]
    )
    assert not any("2025-05-1" in (row.dedupe_key or "") for row in rows)


async def _step_row_ids(session_pool: SessionPool, case_id: int) -> dict[str, int]:
    async with session_pool() as session:
        rows = await session.scalars(sa.select(CaseStep).where(CaseStep.case_id == case_id))
        return {row.step_code: row.id for row in rows}


async def test_plan_item_reminders(
    session_pool: SessionPool, settings: Settings, world: World
) -> None:
    arose = date(2025, 6, 2)
    async with session_pool() as session, session.begin():
        case_id = await open_instruction(session, world, arose_on=arose)
        await drive(session, world, case_id, until="D4", when=lambda s: s.started_on or arose)
        executor_id = world.officer_id  # the officer executes a measure, to see both roles
        first = await add_plan_item(
            session, case_id, world.owner_id, section=1, measure="Регламент приёма",
            due_on=date(2025, 6, 6), responsible_name="Иванова И. И.",
            responsible_id=executor_id, on=arose,
        )  # fmt: skip
        second = await add_plan_item(
            session, case_id, world.owner_id, section=3, measure="Доработка портала",
            due_on=date(2025, 6, 20), responsible_name="Петров П. П.",
            responsible_id=world.owner_id, on=arose,
        )  # fmt: skip
        view = await drive(
            session, world, case_id, until="IMPL", when=lambda s: s.started_on or arose,
            meeting=arose,
        )  # fmt: skip
        assert view.step("IMPL").status == "active"
        assert view.step("IMPL").due_on == date(2025, 6, 20)

    # 04.06: two working days before the first measure (04, 05, 06.06).
    await run(session_pool, settings, date(2025, 6, 4))
    plan_rows = [
        r for r in await reminder_rows(session_pool) if r.dedupe_key and ":plan:" in r.dedupe_key
    ]
    assert {(r.chat_id, r.kind) for r in plan_rows} == {
        (OFFICER_CHAT, "plan_reminder"),  # the executor
        (OWNER_CHAT, "plan_reminder"),  # the owner tracks the plan
    }
    assert all(f"rem:plan:{first}:2025-06-04:" in (r.dedupe_key or "") for r in plan_rows)
    assert "Мероприятие 1.1 «Регламент приёма»" in plan_rows[0].text

    # 09.06: overdue; the officer is the executor, so no separate copy for the same chat.
    await run(session_pool, settings, date(2025, 6, 9))
    overdue = [
        r
        for r in await reminder_rows(session_pool)
        if r.dedupe_key and ":2025-06-09:" in r.dedupe_key
    ]
    assert {(r.chat_id, r.kind) for r in overdue if f":plan:{first}:" in (r.dedupe_key or "")} == {
        (OFFICER_CHAT, "plan_overdue"),
        (OWNER_CHAT, "plan_overdue"),
    }
    assert "рабочую группу" in overdue[0].text
    # 12.06 (holiday) and 13.06 (transferred day off): nothing.
    assert (await run(session_pool, settings, date(2025, 6, 12))).skipped
    assert (await run(session_pool, settings, date(2025, 6, 13))).skipped
    # 20.06: the second measure's due day, and its officer gets nothing (not overdue).
    await run(session_pool, settings, date(2025, 6, 20))
    today = [
        r
        for r in await reminder_rows(session_pool)
        if r.dedupe_key and f":plan:{second}:2025-06-20:" in r.dedupe_key
    ]
    assert {r.chat_id for r in today} == {OWNER_CHAT}


async def test_review_due_reminders_and_opening(
    session_pool: SessionPool, settings: Settings, world: World
) -> None:
    review_due = date(2025, 9, 15)
    async with session_pool() as session, session.begin():
        process = await session.get(Process, world.registry.process_id)
        assert process is not None
        process.last_reengineering = date(2022, 9, 15)
        process.review_due = review_due

    for day, expected in (
        (date(2025, 6, 20), 0),
        (date(2025, 6, 23), 2),  # 60 wd: owner and officer
        (date(2025, 6, 24), 0),
        (date(2025, 8, 4), 2),  # 30 wd
        (date(2025, 9, 1), 2),  # 10 wd
        (date(2025, 9, 1), 0),  # rerun
        (date(2025, 9, 12), 0),
    ):
        report = await run(session_pool, settings, day)
        assert report.review_reminders == expected, day
        assert report.opened == []
    rows = [r for r in await reminder_rows(session_pool) if r.kind == "review_reminder"]
    assert {r.dedupe_key for r in rows} == {
        f"rem:review:{world.registry.process_id}:{day}:{chat}"
        for day in ("2025-06-23", "2025-08-04", "2025-09-01")
        for chat in (OWNER_CHAT, OFFICER_CHAT)
    }
    assert "осталось 10 рабочих дней" in rows[-1].text
    assert "15.09.2025" in rows[-1].text

    report = await run(session_pool, settings, review_due)
    assert len(report.opened) == 1
    async with session_pool() as session:
        case = await session.get(ReengineeringCase, report.opened[0])
        assert case is not None
        assert case.ground == Ground.REVIEW_DUE and case.arose_on == review_due
    again = await run(session_pool, settings, review_due)
    assert again.opened == [] and again.linked == []
    assert (await run(session_pool, settings, date(2025, 9, 16))).opened == []


async def test_detection_opens_a_case_from_the_job(
    session_pool: SessionPool, settings: Settings, world: World
) -> None:
    await sync_questionnaires(session_pool)
    async with session_pool() as session, session.begin():
        questionnaire_id = await session.scalar(sa.text("SELECT id FROM questionnaires LIMIT 1"))
        session.add(
            DeclineDetection(
                series="p1:q1", level="process", process_id=world.registry.process_id,
                questionnaire_id=questionnaire_id, month=date(2025, 5, 1), streak=4,
                first_mean=4.1, last_mean=3.2, p_value=0.01, reason="снижение",
                detected_at=datetime(2025, 6, 2, 6, tzinfo=UTC),
            )
        )  # fmt: skip
    report = await run(session_pool, settings, date(2025, 6, 2))
    assert len(report.opened) == 1
    assert (await run(session_pool, settings, date(2025, 6, 2))).opened == []


async def _completed_case(session: AsyncSession, world: World, arose: date) -> int:
    """A case closed as completed on the day it opened (the workflow is tested elsewhere)."""
    case_id = await open_instruction(session, world, arose_on=arose)
    case = await session.get(ReengineeringCase, case_id)
    assert case is not None
    case.status = CaseStatus.CLOSED
    case.outcome = "completed"
    case.closed_on = arose
    return case_id


async def test_effect_check_three_months_after(
    session_pool: SessionPool, settings: Settings, world: World, tmp_path: Path
) -> None:
    await sync_questionnaires(session_pool)
    arose = date(2025, 6, 2)
    async with session_pool() as session, session.begin():
        case_id = await _completed_case(session, world, arose)
        questionnaire_id = await session.scalar(
            sa.text("SELECT id FROM questionnaires WHERE code = 'touchpoint'")
        )
        research_id = await session.scalar(
            sa.text("SELECT id FROM questionnaires WHERE code = 'research_client'")
        )
        before, after = effect_windows(arose, arose)
        assert before == [date(2025, 3, 1), date(2025, 4, 1), date(2025, 5, 1)]
        assert after == [date(2025, 7, 1), date(2025, 8, 1), date(2025, 9, 1)]
        assert effect_due_on(arose) == date(2025, 10, 1)
        for month, mean, qid in [
            *((m, 3, questionnaire_id) for m in before),
            *((m, 4, questionnaire_id) for m in after),
            (after[0], 1, research_id),  # the case's own research survey is left out
        ]:
            session.add(
                MonthlyRollup(
                    cell=f"{qid}|{month}", month=month, questionnaire_id=qid,
                    process_id=world.registry.process_id, channel="digital",
                    client_type=ClientType.EXTERNAL, n=10, total=10 * mean,
                    total_sq=10 * mean * mean, top2=10 if mean >= 4 else 0,
                )
            )  # fmt: skip

    async with session_pool() as session, session.begin():
        assert await effect_checks(session, clock_at(date(2025, 9, 30)), cases_dir=tmp_path) == []
    async with session_pool() as session, session.begin():
        [summary] = await effect_checks(session, clock_at(date(2025, 10, 1)), cases_dir=tmp_path)
        assert summary.case_id == case_id
        assert summary.before_mean == 3 and summary.after_mean == 4
        assert summary.before_n == 30 and summary.after_n == 30
        assert summary.chart == tmp_path / str(case_id) / "effect.png"
        assert summary.chart.read_bytes()[:4] == b"\x89PNG"
    async with session_pool() as session, session.begin():
        assert await effect_checks(session, clock_at(date(2025, 10, 2)), cases_dir=tmp_path) == []
        photos = list(
            await session.scalars(
                sa.select(OutboxMessage).where(OutboxMessage.kind == "effect_check")
            )
        )
    assert {p.chat_id for p in photos} == {OWNER_CHAT, OFFICER_CHAT}
    assert all(p.method == "sendPhoto" and p.file_path == str(summary.chart) for p in photos)
    assert "Изменение средней оценки: +1,00" in photos[0].text
    assert {p.dedupe_key for p in photos} == {
        f"effect:{case_id}:{OWNER_CHAT}",
        f"effect:{case_id}:{OFFICER_CHAT}",
    }
    # The job runs it too, into settings.data_dir / "cases" (nothing left to do here).
    report = await run(session_pool, settings, date(2025, 10, 2))
    assert report.effects == []


async def test_review_due_with_an_open_case_or_long_past(
    session_pool: SessionPool, settings: Settings, world: World
) -> None:
    review_due = date(2025, 9, 15)
    async with session_pool() as session, session.begin():
        process = await session.get(Process, world.registry.process_id)
        internal = await session.get(Process, world.registry.internal_process_id)
        assert process is not None and internal is not None
        process.review_due = review_due
        internal.review_due = date(2024, 1, 10)  # imported long overdue
        case_id = await open_instruction(session, world, arose_on=date(2025, 9, 1))

    report = await run(session_pool, settings, review_due)
    assert report.linked == [case_id]
    [opened] = report.opened
    async with session_pool() as session:
        case = await session.get(ReengineeringCase, opened)
        assert case is not None and case.process_id == world.registry.internal_process_id
        assert case.arose_on == review_due  # counts from the day it opens, not from 2024
    again = await run(session_pool, settings, date(2025, 9, 16))
    assert again.linked == [] and again.opened == []


async def digests(session_pool: SessionPool) -> list[OutboxMessage]:
    async with session_pool() as session:
        rows = await session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.kind == "deadline_digest")
            .order_by(OutboxMessage.id)
        )
        return list(rows)


async def test_one_digest_a_working_day_per_person_urgent_first_with_the_case_button(
    session_pool: SessionPool, settings: Settings, world: World
) -> None:
    """12.05.2025: R1 overdue, R2 due today. The owner gets one message with both, the
    overdue one first; the officer one summary naming the responsible person; nothing is
    sent alone; a rerun the same day adds nothing; the next working day brings one more."""
    from storage.delivery_models import OutboxStatus

    async with session_pool() as session, session.begin():
        case_id = await open_instruction(session, world)  # R1 due 06.05, R2 due 12.05
    await run(session_pool, settings, date(2025, 5, 12))
    await run(session_pool, settings, date(2025, 5, 12), hour=15)
    rows = await digests(session_pool)
    assert sorted(row.chat_id or 0 for row in rows) == sorted([OWNER_CHAT, OFFICER_CHAT])
    items = await reminder_rows(session_pool)
    assert items and all(item.status == OutboxStatus.DIGESTED for item in items)
    assert all(row.status == OutboxStatus.PENDING for row in rows)
    owner = next(row for row in rows if row.chat_id == OWNER_CHAT)
    assert owner.text.startswith("<b>📋 Ваши сроки на 12.05.2025</b>")
    assert "Просрочено: 1, срок сегодня: 1, скоро: 0." in owner.text
    assert f"<b>№ {case_id} «" in owner.text
    r1, r2 = owner.text.index("Шаг R1"), owner.text.index("Шаг R2")
    assert r1 < r2, "the overdue step first"
    assert "🔴 Шаг R1" in owner.text and "срок истекает сегодня" in owner.text[r2:]
    actions = owner.actions or []
    assert actions == [[{"intent": "case.open", "ids": [case_id], "label": f"Дело № {case_id}"}]]
    officer = next(row for row in rows if row.chat_id == OFFICER_CHAT)
    assert "сводка для ответственного по клиентоцентричности" in officer.text
    assert "ответственный: Петров Пётр Петрович" in officer.text
    assert "• 🔴 просрочено, рабочих дней: R1 (2)" in officer.text, "one line per case"
    assert "Шаг R1" not in officer.text

    await run(session_pool, settings, date(2025, 5, 13))
    assert len(await digests(session_pool)) == 4, "one more digest each on the next working day"
