"""The jobs a regulation adds or changes: seed 000's journey cadence, and same-day declines."""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa

from core.calendar import default_calendar
from core.settings import Settings
from jobs.cases import run_case_reminders
from jobs.scan import monthly_scan_job
from reengineering.cases import complete_step, open_case
from reengineering.regulation import set_regulation
from storage.cases_models import CaseGround, CaseStep, Ground, ReengineeringCase
from storage.database import SessionPool
from storage.delivery_models import OutboxMessage
from storage.models import Person
from tests.conftest import SmallRegistry
from tests.jobs.test_scan import declining_year


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    """A local (Moscow, UTC+3) time as the scheduler would see it."""
    return datetime(day.year, day.month, day.day, hour - 3, minute, tzinfo=UTC)


async def _analysed_in_2022(pool: SessionPool, registry: SmallRegistry) -> int:
    """A seed 000 case whose customer-journey analysis (P1) was done on 01.03.2022, closed on
    01.09.2022 (so its review, п. 3, falls due only on 01.09.2025)."""
    async with pool() as session, session.begin():
        officer = Person(telegram_id=900001, is_officer=True)
        session.add(officer)
        await session.flush()
        await set_regulation(session, "seed000")
        case_id = (
            await open_case(
                session, registry.process_id, Ground.INSTRUCTION, arose_on=date(2022, 2, 1)
            )
        ).case_id
        await complete_step(session, case_id, "P1", officer.id, on=date(2022, 3, 1))
        for step_id in ("P2", "T1", "T2", "O1", "M1"):
            await complete_step(session, case_id, step_id, officer.id, on=date(2022, 9, 1))
        return case_id


async def test_three_years_after_the_journey_analysis_a_case_opens_on_its_ground(
    session_pool: SessionPool, registry: SmallRegistry, settings: Settings
) -> None:
    """Order 984 п. 2 пп. 1 абз. 2: «Анализ клиентского пути предоставления государственной
    услуги (сервиса) проводится не реже одного раза в три года или, в случае внесения
    изменений в законодательство, … когда такие изменения влияют на изменения клиентского
    пути». The last analysis (P1) was done on 01.03.2022: the daily job opens nothing on
    27.02.2025 and opens a case on the ground «journey_due» on 03.03.2025, once."""
    first = await _analysed_in_2022(session_pool, registry)
    early = await run_case_reminders(session_pool, lambda: _at(date(2025, 2, 27), 10), settings)
    assert early.opened == []
    report = await run_case_reminders(session_pool, lambda: _at(date(2025, 3, 3), 10), settings)
    again = await run_case_reminders(session_pool, lambda: _at(date(2025, 3, 4), 10), settings)
    assert len(report.opened) == 1 and report.opened[0] != first
    assert again.opened == [] and again.linked == []
    async with session_pool() as session:
        case = await session.get(ReengineeringCase, report.opened[0])
        grounds = (
            await session.scalars(sa.select(CaseGround).where(CaseGround.case_id == case.id))  # type: ignore[union-attr]
        ).all()
        texts = [m.text or "" for m in await session.scalars(sa.select(OutboxMessage))]
    assert case is not None and case.ground == Ground.JOURNEY_DUE and case.template_id == "seed000"
    assert case.arose_on == date(2025, 3, 3) and len(grounds) == 1
    assert any("истечение трех лет с последнего анализа клиентского пути" in t for t in texts)


async def test_no_journey_cadence_under_a_regulation_without_one(
    session_pool: SessionPool, registry: SmallRegistry, settings: Settings
) -> None:
    """Seed 003 and seed 001 set no cadence of a journey analysis: nothing opens on it."""
    await _analysed_in_2022(session_pool, registry)
    async with session_pool() as session, session.begin():
        await set_regulation(session, "seed003")
    report = await run_case_reminders(session_pool, lambda: _at(date(2025, 3, 3), 10), settings)
    assert report.opened == []


async def test_a_decline_found_by_the_scan_opens_its_case_the_same_day(
    session_pool: SessionPool, registry: SmallRegistry, settings: Settings
) -> None:
    """Seed 003 п. 1.5 пп. 2 (a steady decline is a ground) and п. 2.2: R1 «в течение 3
    рабочих дней после возникновения оснований». 05.05.2025 is May's first working day: the
    case job at 09:00 finds nothing yet; the scan at 09:05 finds the decline and opens the
    case that day, so R1 is due on 12.05.2025 (6, 7, 12 May; 8–11 May are days off) and the
    owner hears of R1 and R2 on the 5th, not the 6th."""
    may5 = date(2025, 5, 5)
    await declining_year(session_pool, registry, date(2025, 4, 1))
    before = await run_case_reminders(session_pool, lambda: _at(may5, 9), settings)
    assert before.opened == []
    await monthly_scan_job(session_pool, settings, lambda: _at(may5, 9, 5))
    async with session_pool() as session:
        case = await session.scalar(sa.select(ReengineeringCase))
        assert case is not None
        r1 = await session.scalar(
            sa.select(CaseStep).where(CaseStep.case_id == case.id, CaseStep.step_code == "R1")
        )
        alerts = [
            m.text or ""
            for m in await session.scalars(
                sa.select(OutboxMessage).where(OutboxMessage.kind == "decline_process")
            )
        ]
        step_notices = await session.scalar(
            sa.select(sa.func.count(OutboxMessage.id)).where(
                OutboxMessage.kind == "case_step",
                OutboxMessage.chat_id == registry.owner_telegram_id,
            )
        )
    assert case.ground == Ground.DECLINE and case.opened_at.astimezone(settings.tz).date() == may5
    assert r1 is not None and r1.due_on == default_calendar().add_working_days(may5, 3)
    assert r1.due_on == date(2025, 5, 12) and step_notices == 2  # R1 and R2 start at the ground
    # The alert words the ground as the organisation's regulation does (seed 003 by default).
    assert alerts and all("(п. 1.5 пп. 2): устойчивое снижение" in text for text in alerts)
    later = await run_case_reminders(session_pool, lambda: _at(date(2025, 5, 6), 9), settings)
    assert later.opened == [] and later.linked == []
