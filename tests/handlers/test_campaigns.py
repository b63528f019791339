"""Campaigns: invitations, reminders to non-respondents only, closure with the response rate."""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa

from core.i18n import translator
from core.settings import Settings
from handlers.callbacks import CampaignCb
from outreach.campaigns import CampaignError, run_campaigns, start_campaign
from storage.database import SessionPool
from storage.delivery_models import OutboxMessage
from storage.models import Campaign, Person
from tests.conftest import SmallRegistry
from tests.handlers.conftest import MovableClock
from tests.mocked_bot import Telegram

A, B, C, OFFICER = 8101, 8102, 8103, 900001
OWNER = 700001  # the registry's process owner is an employee of the same department


async def kinds(pool: SessionPool) -> list[tuple[str, int]]:
    async with pool() as session:
        rows = await session.execute(
            sa.select(OutboxMessage.kind, OutboxMessage.chat_id).order_by(OutboxMessage.id)
        )
        return [(row[0], row[1]) for row in rows]


async def tick(pool: SessionPool, settings: Settings, day: date) -> None:
    async with pool() as session, session.begin():
        await run_campaigns(
            session,
            day,
            datetime(day.year, day.month, day.day, 9, tzinfo=UTC),
            settings.secret(),
            _=translator(),
        )


async def test_campaign_invites_reminds_non_respondents_and_closes_with_rate(
    telegram: Telegram,
    session_pool: SessionPool,
    registry: SmallRegistry,
    settings: Settings,
    clock: MovableClock,
) -> None:
    async with session_pool() as session, session.begin():
        for chat in (A, B, C):
            session.add(
                Person(telegram_id=chat, is_employee=True, department_id=registry.department_id)
            )
        session.add(Person(telegram_id=OFFICER, is_officer=True))
        with_errors = [
            {"audience": "nobody"},
            {"audience": "departments", "department_codes": ["NOPE"]},
            {"audience": "employees", "ends_on": date(2025, 3, 1)},
        ]
        for wrong in with_errors:
            arguments = {
                "questionnaire_code": "internal_service",
                "starts_on": date(2025, 3, 3),
                "ends_on": date(2025, 3, 14),
                "now": clock(),
                **wrong,
            }
            try:
                await start_campaign(session, **arguments, _=translator())  # type: ignore[arg-type]
            except CampaignError:
                continue
            raise AssertionError(f"accepted {wrong}")
        campaign = await start_campaign(
            session,
            questionnaire_code="internal_service",
            audience="departments",
            department_codes=["SOC"],
            starts_on=date(2025, 3, 3),
            ends_on=date(2025, 3, 14),
            remind_after_days=2,
            max_reminders=2,
            now=clock(),
            _=translator(),
        )
        campaign_id = campaign.id

    await tick(session_pool, settings, date(2025, 3, 3))
    await tick(session_pool, settings, date(2025, 3, 3))
    invites = [(k, c) for k, c in await kinds(session_pool) if k == "campaign_invite"]
    assert sorted(c for _, c in invites) == [A, B, C, OWNER]
    clock.now = datetime(2025, 3, 4, 10, tzinfo=UTC)
    await telegram.send(A, "/start")
    await telegram.press(A, CampaignCb(c=campaign_id).pack())
    await telegram.tap(A, "Техническая поддержка")
    await telegram.tap(A, "Согласен")
    for score in ("5", "4", "5"):
        await telegram.tap(A, score)
    await telegram.tap(A, "Пропустить")
    assert "Спасибо" in (telegram.last(A).text or "")

    for day in (
        date(2025, 3, 5),
        date(2025, 3, 5),
        date(2025, 3, 6),
        date(2025, 3, 7),
        date(2025, 3, 11),
        date(2025, 3, 15),
    ):
        await tick(session_pool, settings, day)
    sent = await kinds(session_pool)
    reminders = sorted(c for k, c in sent if k == "campaign_reminder")
    assert reminders == [B, B, C, C, OWNER, OWNER]
    assert [c for k, c in sent if k == "campaign_closed"] == [OFFICER]
    async with session_pool() as session:
        closed = await session.get(Campaign, campaign_id)
        closing = await session.scalar(
            sa.select(OutboxMessage.text).where(OutboxMessage.kind == "campaign_closed")
        )
    assert closed is not None and closed.status == "closed"
    assert (closed.invited, closed.responded) == (4, 1)
    assert closing is not None and "ответили: 1 (25%)" in closing
    update = await telegram.press(A, CampaignCb(c=campaign_id).pack())
    answer = telegram.session.callback_answers[update.callback_query.id]  # type: ignore[union-attr]
    assert answer.text == "Этот опрос уже завершён. Спасибо!"


async def employee_rates(telegram: Telegram, chat: int, entry: str) -> None:
    await telegram.send(chat, entry)
    if entry == "/start":
        return
    await telegram.tap(chat, "Техническая поддержка")
    await telegram.tap(chat, "Согласен")
    for score in ("5", "4", "5"):
        await telegram.tap(chat, score)
    await telegram.tap(chat, "Пропустить")
    assert "Спасибо" in (telegram.last(chat).text or "")


async def test_the_response_rate_counts_only_answers_given_after_the_campaign_started(
    telegram: Telegram,
    session_pool: SessionPool,
    registry: SmallRegistry,
    settings: Settings,
    clock: MovableClock,
) -> None:
    """B rated IT support at 07:00 on the first day, before the campaign invited anyone at
    09:00; A answered the invitation at 10:00. One of the invited answered the campaign."""
    async with session_pool() as session, session.begin():
        for chat in (A, B):
            session.add(
                Person(telegram_id=chat, is_employee=True, department_id=registry.department_id)
            )
        campaign = await start_campaign(
            session,
            questionnaire_code="internal_service",
            audience="departments",
            department_codes=["SOC"],
            starts_on=date(2025, 3, 3),
            ends_on=date(2025, 3, 14),
            now=clock(),
            _=translator(),
        )
        campaign_id = campaign.id
    clock.now = datetime(2025, 3, 3, 7, tzinfo=UTC)
    await employee_rates(telegram, B, "/rate")
    await tick(session_pool, settings, date(2025, 3, 3))  # starts at 09:00
    clock.now = datetime(2025, 3, 3, 10, tzinfo=UTC)
    await telegram.send(A, "/start")
    await telegram.press(A, CampaignCb(c=campaign_id).pack())
    await telegram.tap(A, "Техническая поддержка")
    await telegram.tap(A, "Согласен")
    for score in ("5", "4", "5"):
        await telegram.tap(A, score)
    await telegram.tap(A, "Пропустить")
    await tick(session_pool, settings, date(2025, 3, 4))
    async with session_pool() as session:
        stored = await session.get(Campaign, campaign_id)
    assert stored is not None and stored.started_at is not None
    assert (stored.invited, stored.responded) == (3, 1), "A answered; B's earlier answer is not one"


async def test_a_campaign_that_would_invite_nobody_asks_before_starting(
    telegram: Telegram, session_pool: SessionPool, registry: SmallRegistry
) -> None:
    from storage.models import Department

    async with session_pool() as session, session.begin():
        session.add(Department(code="EMPTY", name="Архивный отдел"))
        session.add(Person(telegram_id=OFFICER, is_officer=True))
    await telegram.send(OFFICER, "/campaign")
    await telegram.tap(OFFICER, "Архивный отдел")
    await telegram.tap(OFFICER, "7")
    assert (telegram.last(OFFICER).text or "").startswith("Сейчас пригласить некого")
    async with session_pool() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(Campaign)) == 0
    await telegram.tap(OFFICER, "Начать всё равно")
    assert "приглашено сотрудников — 0" in (telegram.last(OFFICER).text or "")
    async with session_pool() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(Campaign)) == 1
