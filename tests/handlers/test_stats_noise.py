"""/stats shows the noise guard's verdict: a chance streak is not flagged as a decline."""

from __future__ import annotations

from datetime import date

from aiogram.methods import SendMessage

from storage.database import SessionPool
from storage.models import Person
from tests.conftest import SmallRegistry
from tests.handlers.conftest import MovableClock
from tests.jobs.test_scan_guard import NOISY_STREAK, REAL_DECLINE, store_year
from tests.mocked_bot import Telegram

OWNER, OFFICER = 700001, 900001
FEBRUARY = date(2025, 2, 1)  # the last complete month at the clock's 12 March 2025


async def test_owner_reads_that_a_noisy_streak_is_within_the_noise(
    telegram: Telegram, session_pool: SessionPool, registry: SmallRegistry, clock: MovableClock
) -> None:
    await store_year(session_pool, registry, NOISY_STREAK, last=FEBRUARY)
    await telegram.send(OWNER, "/stats")
    [text] = [
        r.text for r in telegram.session.requests
        if isinstance(r, SendMessage) and "Показатели за" in r.text
    ]  # fmt: skip
    assert "В пределах случайных колебаний выборки: снижение на 0,12 балла" in text
    assert "основанием для реинжиниринга не является" in text


async def test_officer_overview_flags_only_a_real_decline(
    telegram: Telegram, session_pool: SessionPool, registry: SmallRegistry, clock: MovableClock
) -> None:
    await store_year(session_pool, registry, NOISY_STREAK, last=FEBRUARY)
    async with session_pool() as session, session.begin():
        session.add(Person(telegram_id=OFFICER, is_officer=True))
    await telegram.send(OFFICER, "/stats")
    buttons = [
        button.text
        for request in telegram.session.requests
        if isinstance(request, SendMessage) and request.reply_markup is not None
        for row in request.reply_markup.inline_keyboard  # type: ignore[union-attr]
        for button in row
    ]
    assert buttons and not any(text.startswith("🔻") for text in buttons)


async def test_owner_reads_the_significance_of_a_real_decline(
    telegram: Telegram, session_pool: SessionPool, registry: SmallRegistry, clock: MovableClock
) -> None:
    await store_year(session_pool, registry, REAL_DECLINE, last=FEBRUARY)
    await telegram.send(OWNER, "/stats")
    [text] = [
        r.text for r in telegram.session.requests
        if isinstance(r, SendMessage) and "Показатели за" in r.text
    ]  # fmt: skip
    assert "Снижение удовлетворённости 3 месяца подряд" in text
    assert "стандартной ошибки" in text and "порог устойчивости — 2,5" in text
