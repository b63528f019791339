"""/stats names the collection channels when the month's answers came through more than one."""

from __future__ import annotations

from datetime import date

from aiogram.methods import SendMessage

from handlers.callbacks import StatsCb
from storage.database import SessionPool
from storage.models import Person
from surveys.catalogue import sync_questionnaires
from tests.conftest import SmallRegistry
from tests.handlers.conftest import MovableClock
from tests.mocked_bot import Telegram
from tests.surveys.factories import add_responses, questionnaire

OWNER, OFFICER = 700001, 900001
FEBRUARY = date(2025, 2, 1)  # the last complete month on the test clock (12 March 2025)


async def _answers(pool: SessionPool, registry: SmallRegistry, channels: dict[str, int]) -> None:
    await sync_questionnaires(pool)
    async with pool() as session, session.begin():
        survey = await questionnaire(session, "touchpoint")
        for via, count in channels.items():
            await add_responses(
                session, questionnaire=survey, process_id=registry.process_id,
                touchpoint_id=registry.touchpoint_id, ratings=[4] * count, month=FEBRUARY,
                collected_via=via,
            )  # fmt: skip


def _texts(telegram: Telegram) -> list[str]:
    return [r.text for r in telegram.session.requests if isinstance(r, SendMessage)]


async def test_owner_and_officer_see_the_split_by_collection_channel(
    telegram: Telegram, session_pool: SessionPool, registry: SmallRegistry, clock: MovableClock
) -> None:
    await _answers(session_pool, registry, {"web": 2, "telegram": 3, "max": 1})
    await telegram.send(OWNER, "/stats")
    [text] = [t for t in _texts(telegram) if "Показатели за" in t]  # the process card
    assert "ответов: 6" in text
    assert "Ответы по каналам сбора: Telegram 3 · MAX 1 · Веб-форма 2" in text
    async with session_pool() as session, session.begin():
        session.add(Person(telegram_id=OFFICER, is_officer=True))
    telegram.session.requests.clear()
    await telegram.send(OFFICER, "/stats")
    overview = [t for t in _texts(telegram) if "Выберите процесс" in t]
    assert overview and (
        "Ответы за февраль 2025 по каналам сбора: Telegram 3 · MAX 1 · Веб-форма 2" in overview[0]
    )


async def test_one_channel_is_not_called_a_split(
    telegram: Telegram, session_pool: SessionPool, registry: SmallRegistry, clock: MovableClock
) -> None:
    await _answers(session_pool, registry, {"telegram": 4})
    await telegram.send(OWNER, "/stats")
    [text] = [t for t in _texts(telegram) if "Показатели за" in t]  # the process card
    assert "ответов: 4" in text and "каналам сбора" not in text


async def test_an_internal_split_with_a_small_channel_is_left_out(
    telegram: Telegram, session_pool: SessionPool, registry: SmallRegistry, clock: MovableClock
) -> None:
    await sync_questionnaires(session_pool)
    async with session_pool() as session, session.begin():
        survey = await questionnaire(session, "internal_service")
        for via, count in {"telegram": 6, "web": 2}.items():
            await add_responses(
                session, questionnaire=survey, process_id=registry.internal_process_id,
                department_id=registry.department_id, ratings=[4] * count, month=FEBRUARY,
                collected_via=via,
            )  # fmt: skip
        session.add(Person(telegram_id=OFFICER, is_officer=True))
    await telegram.send(OFFICER, "/start")
    await telegram.press(OFFICER, StatsCb(p=registry.internal_process_id).pack())
    [text] = [t for t in _texts(telegram) if "Техническая поддержка рабочих мест" in t]
    assert "ответов: 8" in text and "каналам сбора" not in text  # two could be named
    async with session_pool() as session, session.begin():
        survey = await questionnaire(session, "internal_service")
        await add_responses(
            session, questionnaire=survey, process_id=registry.internal_process_id,
            department_id=registry.department_id, ratings=[5] * 3, month=FEBRUARY,
            collected_via="web", first_day=10,
        )  # fmt: skip
    telegram.session.requests.clear()
    await telegram.press(OFFICER, StatsCb(p=registry.internal_process_id).pack())
    [text] = [t for t in _texts(telegram) if "Техническая поддержка рабочих мест" in t]
    assert "Ответы по каналам сбора: Telegram 6 · Веб-форма 5" in text
