"""/stats: owners see their processes only, officers all of them, reports come as documents."""

from __future__ import annotations

import io
from datetime import date

import pandas as pd
from aiogram.methods import SendDocument, SendMessage, SendPhoto

from analytics.report_xlsx import HEAD_ROWS
from handlers.callbacks import ReportCb, StatsCb
from storage.database import SessionPool
from storage.models import Person
from tests.conftest import SmallRegistry
from tests.handlers.conftest import MovableClock
from tests.jobs.test_scan import declining_year
from tests.mocked_bot import Telegram

OWNER, OFFICER, STRANGER = 700001, 900001, 5555


async def test_owner_gets_index_chart_pains_and_comments(
    telegram: Telegram, session_pool: SessionPool, registry: SmallRegistry, clock: MovableClock
) -> None:
    await declining_year(session_pool, registry, date(2025, 2, 1))
    await telegram.send(OWNER, "/stats")
    requests = telegram.session.requests
    assert any(isinstance(r, SendPhoto) for r in requests)
    [text] = [r.text for r in requests if isinstance(r, SendMessage) and "оценка" in r.text]
    assert "Назначение ежемесячной денежной выплаты" in text and "Средняя оценка: 3,80" in text
    assert "3 месяца подряд" in text


async def test_crafted_callbacks_for_another_process_are_refused(
    telegram: Telegram, registry: SmallRegistry
) -> None:
    await telegram.send(OWNER, "/start")
    for data in (
        StatsCb(p=registry.internal_process_id).pack(),
        ReportCb(k="p", p=registry.internal_process_id).pack(),
        ReportCb(k="d", p=0).pack(),
    ):
        update = await telegram.press(OWNER, data)
        answer = telegram.session.callback_answers[update.callback_query.id]  # type: ignore[union-attr]
        assert answer.text == "У вас нет доступа к этому процессу."
    await telegram.send(STRANGER, "/stats")
    assert "доступна ответственным" in (telegram.last(STRANGER).text or "")


async def test_officer_gets_overview_and_a_report_document(
    telegram: Telegram, session_pool: SessionPool, registry: SmallRegistry, clock: MovableClock
) -> None:
    await declining_year(session_pool, registry, date(2025, 2, 1))
    async with session_pool() as session, session.begin():
        session.add(Person(telegram_id=OFFICER, is_officer=True))
    await telegram.send(OFFICER, "/stats")
    assert any(isinstance(r, SendPhoto) for r in telegram.session.requests)
    first = telegram.button(OFFICER, "🔻")
    assert StatsCb.unpack(first).p == registry.process_id, "the declining process comes first"
    await telegram.press(OFFICER, ReportCb(k="p", p=registry.process_id).pack())
    [document] = [r for r in telegram.session.requests if isinstance(r, SendDocument)]
    content = document.document.data  # type: ignore[union-attr]
    sheets = pd.read_excel(io.BytesIO(content), sheet_name=None, header=HEAD_ROWS)
    assert "Карта болей" in sheets
