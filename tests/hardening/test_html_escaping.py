"""Every text the bot sends is HTML (parse mode is HTML by default): names, titles and what
people typed are escaped in every message, the outbox's included.

Issue #13, point 15. A registry name, a department name or a typed reason with markup in it
either broke the message (Telegram answers 400 "can't parse entities" and the alert is lost)
or was rendered as markup. Every text is parsed here the way Telegram parses it.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from aiogram.methods import EditMessageText, SendDocument, SendMessage, SendPhoto

from core.settings import Settings
from handlers.callbacks import CaseCb
from reengineering.cases import open_case
from sandbox.errors import ApiError
from sandbox.telegram.formatting import parse_html
from storage.cases_models import Ground, ReengineeringCase
from storage.database import SessionPool
from storage.delivery_models import OutboxMessage
from storage.models import Department, Person, Process
from surveys.catalogue import sync_questionnaires
from surveys.invites import create_invite, invite_payload
from tests.conftest import SmallRegistry
from tests.handlers.conftest import MovableClock
from tests.handlers.test_citizen_flow import consent_and_rate
from tests.mocked_bot import Telegram, make_bot

OWNER, OFFICER, NEWCOMER, CITIZEN = 700001, 900001, 800042, 987_010
NOW = datetime(2025, 3, 12, 9, 30, tzinfo=UTC)
PROCESS = "Выдача <u>справок</u> & «копий»"
DEPARTMENT = "Отдел <i>кадров</i> & <обучения"
REASON = "Нет данных <b>за 2 года"
COMMENT = '<a href="https://example.com">ссылка</a> & <b>'
RAW = ("<u>справок", "<i>кадров", "<обучения", "<b>за 2", "<a href", "& «")


@pytest.fixture
async def telegram(
    settings: Settings, session_pool: SessionPool, registry: SmallRegistry
) -> Telegram:
    from bot.factory import create_dispatcher

    await sync_questionnaires(session_pool)
    async with session_pool() as session, session.begin():
        process = await session.get(Process, registry.process_id)
        department = await session.get(Department, registry.department_id)
        assert process is not None and department is not None
        process.name, department.name = PROCESS, DEPARTMENT
        session.add(Person(telegram_id=OFFICER, is_officer=True))
    bot, recording = make_bot()
    return Telegram(
        bot, create_dispatcher(settings, session_pool, clock=MovableClock(NOW)), recording
    )


def _texts(telegram: Telegram) -> list[str]:
    texts = []
    for request in telegram.session.requests:
        if isinstance(request, SendMessage | EditMessageText):
            texts.append(request.text)
        elif isinstance(request, SendPhoto | SendDocument) and request.caption:
            texts.append(request.caption)
    return texts


async def test_names_titles_and_typed_text_are_escaped_in_every_message(
    telegram: Telegram, session_pool: SessionPool, registry: SmallRegistry
) -> None:
    async with session_pool() as session, session.begin():
        invite = await create_invite(session, department_code="SOC", uses=5, days=7, now=NOW)
        payload = invite_payload(invite)
        officer_id = await session.scalar(sa.select(Person.id).where(Person.telegram_id == OFFICER))
        opened = await open_case(
            session, registry.process_id, Ground.INSTRUCTION, arose_on=NOW.date(),
            actor_id=officer_id, at=NOW,
        )  # fmt: skip
    await telegram.send(NEWCOMER, f"/start {payload}")  # the department's name
    await telegram.send(OWNER, "/cases")
    await telegram.press(OWNER, CaseCb(c=opened.case_id).pack())  # the case card
    await telegram.press(OWNER, CaseCb(c=opened.case_id, a="ext", s="R1").pack())
    await telegram.send(OWNER, REASON)  # the officer is told the reason
    await consent_and_rate(telegram, CITIZEN, "1")
    for label in ("Очередь", "Готово", "рассмотрение", "Высокая"):
        await telegram.tap(CITIZEN, label)
    await telegram.send(CITIZEN, COMMENT)  # the owner's low-score alert
    await telegram.tap(CITIZEN, "Пенсионер")
    await telegram.send(OWNER, "/stats")  # the process's summary, with the comment

    async with session_pool() as session:
        assert await session.scalar(sa.select(sa.func.count(ReengineeringCase.id))) == 1
        queued = {m.kind: m.text for m in await session.scalars(sa.select(OutboxMessage))}
    assert {"case_opened", "case_extension_request", "low_score_alert"} <= set(queued), queued
    texts = _texts(telegram) + list(queued.values())
    for text in texts:
        try:
            parse_html(text)
        except ApiError as error:  # what Telegram would answer with 400
            pytest.fail(f"{error}: {text!r}")
        assert not [raw for raw in RAW if raw in text], text
    shown = [parse_html(text)[0] for text in texts]
    for name in (PROCESS, DEPARTMENT, REASON, COMMENT):
        assert any(name in plain for plain in shown), f"{name!r} never shown as text"


def test_reminders_and_decline_alerts_escape_what_the_registry_and_people_wrote() -> None:
    """The scheduler's texts (deadline reminders, decline alerts) are HTML messages too."""
    from datetime import date

    from jobs.scan import _alert_text
    from reengineering.reminders import (
        Reminder,
        plan_item_reminder_text,
        review_reminder_text,
        step_reminder_text,
    )
    from storage.models import DeclineDetection

    today = date(2025, 3, 12)
    reminder = Reminder("before", today, date(2025, 3, 14), 2)
    texts = [
        step_reminder_text(
            case_number="№ 1", process_name=PROCESS, step_id="R1", step_title="<R1>",
            produces=REASON, reminder=reminder, today=today, responsible=DEPARTMENT,
        ),
        plan_item_reminder_text(
            case_number="№ 1", process_name=PROCESS, number="1.1", measure=COMMENT,
            responsible=DEPARTMENT, reminder=reminder, today=today,
        ),
        review_reminder_text(
            process_name=PROCESS, review_due=today, last_reengineering=None, reminder=reminder
        ),
        _alert_text(
            Process(name=PROCESS, code="<SUP01>"),
            DeclineDetection(level="process", reason="среднее < 3 & падает"),
        ),
    ]  # fmt: skip
    for text in texts:
        try:
            parse_html(text)
        except ApiError as error:
            pytest.fail(f"{error}: {text!r}")
        assert not [raw for raw in RAW if raw in text], text
