"""Issue #13, point 5: a message to someone Telegram cannot reach yet is kept, not lost.

Telegram answers 400 "chat not found" to a bot writing to a person who never pressed Start.
The message is held, the officer sees who is waiting and why (/stats, the CLI), and the
person's first update releases everything, which the sender then delivers in order.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.methods import SendMessage, TelegramMethod

from bot.cli import main
from bot.delivery import OutboxSender
from core.calendar import default_calendar
from core.i18n import translator
from core.settings import Settings
from jobs.cases import queue_deadline_reminders
from outreach.campaigns import run_campaigns, start_campaign
from reengineering.cases import Ground, open_case
from storage.database import SessionPool
from storage.delivery_models import OutboxMessage, OutboxStatus
from storage.models import CampaignInvite, Person
from tests.conftest import SmallRegistry
from tests.handlers.conftest import MovableClock
from tests.handlers.test_citizen_flow import consent_and_rate
from tests.handlers.test_feedback_loop import low_score_with_comment
from tests.mocked_bot import RecordingSession, Telegram

OWNER, OFFICER, EMPLOYEE, SECOND_CITIZEN = 700001, 900001, 700321, 987005


class Reachability:
    """Telegram's side: whom the bot may write to (those who pressed Start, and not blocked)."""

    def __init__(self, session: RecordingSession, started: set[int]) -> None:
        self.started = started
        self.blocked: set[int] = set()
        session.on_request = self.check

    async def check(self, method: TelegramMethod[Any]) -> None:
        if not isinstance(method, SendMessage):
            return
        chat = int(method.chat_id)
        if chat in self.blocked:
            raise TelegramForbiddenError(method, "Forbidden: bot was blocked by the user")
        if chat not in self.started:
            raise TelegramBadRequest(method, "Bad Request: chat not found")


async def drain(sender: OutboxSender, pool: SessionPool) -> None:
    """Send until nothing is pending (held messages are not pending)."""

    async def loop() -> None:
        while True:
            await sender.run_once()
            await asyncio.sleep(0.05)
            async with pool() as session:
                left = await session.scalar(
                    sa.select(sa.func.count(OutboxMessage.id)).where(
                        OutboxMessage.status == OutboxStatus.PENDING
                    )
                )
            if not left and not sender._in_flight:
                return

    await asyncio.wait_for(loop(), 30)


async def messages(pool: SessionPool) -> list[OutboxMessage]:
    async with pool() as session:
        query = sa.select(OutboxMessage).order_by(OutboxMessage.id)
        return list((await session.scalars(query)).all())


async def person(pool: SessionPool, telegram_id: int) -> Person:
    async with pool() as session:
        found = await session.scalar(sa.select(Person).where(Person.telegram_id == telegram_id))
    assert found is not None
    return found


def texts(telegram: Telegram, chat: int) -> list[str]:
    return [m.text or "" for m in telegram.session.sent_to(chat)]


async def test_alert_to_an_owner_who_never_opened_the_bot_waits_and_reaches_them(
    telegram: Telegram,
    session_pool: SessionPool,
    registry: SmallRegistry,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with session_pool() as session, session.begin():
        session.add(Person(telegram_id=OFFICER, is_officer=True, full_name="Куратор"))
        owner = await session.scalar(sa.select(Person).where(Person.telegram_id == OWNER))
        assert owner is not None
        owner.full_name = "Иванова Мария"
    telegram_side = Reachability(telegram.session, started={987001, OFFICER})
    sender = OutboxSender(telegram.bot, session_pool)

    await low_score_with_comment(telegram)
    await drain(sender, session_pool)
    [alert] = [m for m in await messages(session_pool) if m.kind == "low_score_alert"]
    assert alert.status == OutboxStatus.HELD, "kept for the owner, not failed"
    assert alert.person_id is not None and "chat not found" in str(alert.last_error)
    waiting = await person(session_pool, OWNER)
    assert waiting.unreachable and waiting.unreachable_reason == "not_started"
    assert texts(telegram, OWNER) == []

    # The officer sees who cannot be reached, why, how much waits, and the link to pass on.
    await telegram.send(OFFICER, "/stats")
    report = texts(telegram, OFFICER)[-1]
    assert "Бот пока не может написать участникам: 1" in report
    assert "Иванова Мария" in report and "SUP01" in report
    assert "бот ещё не открыт" in report and "ожидают доставки сообщений: 1" in report
    assert "https://t.me/otklik_test_bot?start=hello" in report

    # The same list from the command line.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OTKLIK_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("OTKLIK_SECRET_KEY", "test-secret-key")
    monkeypatch.delenv("OTKLIK_OFFICER_IDS", raising=False)
    monkeypatch.setenv("OTKLIK_MAX_BOT_NAME", "otklik_max_bot")
    output = await asyncio.to_thread(
        run_cli, ["people", "unreachable", "--bot-username", "otklik_bot"], capture=True
    )
    assert "Иванова Мария" in output and "ожидают доставки сообщений: 1" in output
    assert "https://t.me/otklik_bot?start=hello" in output
    assert "https://max.ru/otklik_max_bot?start=hello" in output, "MAX users get MAX's link"

    # Now that the owner is known to be unreachable, a new alert is kept for them at once
    # and the officer gets it too, so that somebody can act on it.
    telegram_side.started.add(SECOND_CITIZEN)
    await consent_and_rate(telegram, SECOND_CITIZEN, "2")
    await telegram.tap(SECOND_CITIZEN, "Очередь")
    await telegram.tap(SECOND_CITIZEN, "Готово")
    await telegram.tap(SECOND_CITIZEN, "рассмотрение")
    await telegram.tap(SECOND_CITIZEN, "Высокая")
    await telegram.send(SECOND_CITIZEN, "Второй раз не могу дозвониться")
    await telegram.tap(SECOND_CITIZEN, "Пенсионер")
    await drain(sender, session_pool)
    second = [m for m in await messages(session_pool) if m.kind == "low_score_alert"][1:]
    assert {(m.chat_id, m.status) for m in second} == {
        (OWNER, OutboxStatus.HELD),
        (OFFICER, OutboxStatus.SENT),
    }
    assert any("Второй раз не могу дозвониться" in text for text in texts(telegram, OFFICER))

    # The owner opens the link: the first update releases what waited, and it goes out.
    telegram_side.started.add(OWNER)
    await telegram.send(OWNER, "/start hello")
    assert "Для вас накопились сообщения: 2" in texts(telegram, OWNER)[-1]
    await drain(sender, session_pool)
    alerts = [text for text in texts(telegram, OWNER) if "Низкая оценка" in text]
    assert len(alerts) == 2 and "Три часа в очереди" in alerts[0], "oldest first"
    kept = [m for m in await messages(session_pool) if m.chat_id == OWNER]
    assert {m.status for m in kept} == {OutboxStatus.SENT}
    assert not (await person(session_pool, OWNER)).unreachable
    before = len(texts(telegram, OFFICER))
    await telegram.send(OFFICER, "/stats")
    after = texts(telegram, OFFICER)[before:]
    assert after and not any("Бот пока не может" in text for text in after)


def run_cli(argv: list[str], *, capture: bool) -> str:
    """`otklik …` in its own event loop (as from a shell), its standard output returned."""
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(argv) == 0
    return out.getvalue()


async def test_a_person_known_only_by_username_gets_case_and_campaign_messages_on_first_write(
    telegram: Telegram,
    session_pool: SessionPool,
    registry: SmallRegistry,
    settings: Settings,
    clock: MovableClock,
) -> None:
    """Case notices and reminders to an owner with no chat id, a campaign to a blocked employee."""
    async with session_pool() as session, session.begin():
        session.add(Person(telegram_id=OFFICER, is_officer=True))
        session.add(Person(telegram_id=EMPLOYEE, is_employee=True, full_name="Петров П."))
        owner = await session.scalar(sa.select(Person).where(Person.telegram_id == OWNER))
        assert owner is not None
        owner.telegram_id, owner.username = None, "maria_owner"
    telegram_side = Reachability(telegram.session, started={OFFICER, OWNER, EMPLOYEE})
    telegram_side.blocked.add(EMPLOYEE)
    sender = OutboxSender(telegram.bot, session_pool)
    today = clock().date()
    async with session_pool() as session, session.begin():
        await open_case(
            session, registry.process_id, Ground.INSTRUCTION, arose_on=today, at=clock()
        )
        campaign = await start_campaign(
            session,
            questionnaire_code="internal_service",
            audience="employees",
            department_codes=[],
            starts_on=today,
            ends_on=today.replace(day=28),
            remind_after_days=1,
            max_reminders=2,
            now=clock(),
            _=translator(),
        )
        await run_campaigns(session, today, clock(), settings.secret(), _=translator())
    await drain(sender, session_pool)
    # R1 is due 3 working days after the ground: the reminder two days before is queued.
    calendar = default_calendar()
    async with session_pool() as session, session.begin():
        await queue_deadline_reminders(session, calendar.add_working_days(today, 1), calendar)
        await run_campaigns(
            session,
            calendar.add_working_days(today, 2),
            clock(),
            settings.secret(),
            calendar,
            _=translator(),
        )
    await drain(sender, session_pool)

    kept = [m for m in await messages(session_pool) if m.status == OutboxStatus.HELD]
    by_kind = {(m.kind, m.chat_id) for m in kept}
    assert ("case_opened", None) in by_kind and ("case_step", None) in by_kind
    assert ("deadline_digest", None) in by_kind, "the owner's digest without a chat is kept"
    assert ("campaign_invite", EMPLOYEE) in by_kind, "the blocked employee's invitation is kept"
    assert not [m for m in kept if m.kind == "campaign_reminder"], "no reminders pile up meanwhile"
    async with session_pool() as session:
        invites = (await session.scalars(sa.select(CampaignInvite))).all()
    assert EMPLOYEE in {invite.chat_id for invite in invites}
    # The officers heard about the owner's step while the owner cannot be reached.
    assert any("R1" in text for text in texts(telegram, OFFICER))
    assert (await person(session_pool, EMPLOYEE)).unreachable_reason == "blocked"
    assert campaign.id is not None

    owner_kept = [m.text for m in kept if m.chat_id is None]
    await telegram.send(OWNER, "/start", username="Maria_Owner")  # claims the registry entry
    telegram_side.blocked.discard(EMPLOYEE)
    await telegram.send(EMPLOYEE, "/help")
    await drain(sender, session_pool)
    assert texts(telegram, OWNER)[1:] == owner_kept, "everything, oldest first"
    assert any("Опрос" in text for text in texts(telegram, EMPLOYEE))
    left = [m for m in await messages(session_pool) if m.status == OutboxStatus.HELD]
    assert left == []
