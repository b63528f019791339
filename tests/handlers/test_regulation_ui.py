"""The officer chooses the organisation's regulation in the bot; cases keep theirs.

Through the real dispatcher: /regulation (and the menu) → a regulation → «Выбрать»; then a
case opened by instruction follows order 984 (seed 000), whose steps carry no deadline, so
the officer sets the due date from the card and the owner is told.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from handlers.callbacks import CaseCb, CaseOpenCb, RegulationCb
from storage.cases_models import CaseStep, Ground, ReengineeringCase
from storage.database import SessionPool
from storage.delivery_models import OutboxMessage
from storage.models import OrganizationSettings
from tests.handlers.test_cases_ui import (  # noqa: F401 - `people` is a fixture
    OFFICER,
    OWNER,
    PROCESS,
    People,
    answer,
    people,
)
from tests.mocked_bot import Telegram

SEED000 = "Реинжиниринг процесса по приказу министерства труда"
SEED001 = "Реинжиниринг процесса по приказу Министерства социальной"


async def _regulation(pool: SessionPool) -> str | None:
    async with pool() as session:
        return await session.scalar(sa.select(OrganizationSettings.regulation_id))


async def _choose(telegram: Telegram, title: str) -> None:
    await telegram.send(OFFICER, "/regulation")
    await telegram.tap(OFFICER, title)
    assert "Открытые дела продолжаются по порядку" in (telegram.last(OFFICER).text or "")
    update = await telegram.tap(OFFICER, "Выбрать")
    assert answer(telegram, update) == "Порядок выбран."


async def _open(telegram: Telegram) -> str:
    await telegram.send(OFFICER, "/cases")
    await telegram.tap(OFFICER, "Открыть дело по поручению")
    await telegram.tap(OFFICER, PROCESS)
    confirmation = telegram.last(OFFICER).text or ""
    await telegram.tap(OFFICER, "Открыть дело")
    return confirmation


async def test_the_officer_chooses_order_984_and_its_case_follows_it(
    telegram: Telegram,
    session_pool: SessionPool,
    people: People,  # noqa: F811
) -> None:
    await telegram.send(OFFICER, "/start")
    await telegram.tap(OFFICER, "Порядок реинжиниринга")
    menu = telegram.last(OFFICER).text or ""
    assert "<b>Порядок реинжиниринга организации</b>" in menu
    assert "✅ <b>Реинжиниринг процесса по постановлению Администрации г. Десногорска" in menu
    assert "шагов: 6; сроки устанавливает ответственный по клиентоцентричности" in menu
    await _choose(telegram, SEED000)
    assert await _regulation(session_pool) == "seed000"
    assert f"✅ <b>{SEED000}" in (telegram.last(OFFICER).text or "")

    confirmation = await _open(telegram)
    assert "решение министерства или ответственного по клиентоцентричности" in confirmation
    assert "Глав" not in confirmation
    async with session_pool() as session:
        case = await session.scalar(sa.select(ReengineeringCase))
    assert case is not None and case.template_id == "seed000" and case.template_version
    card = telegram.last_with_keyboard(OFFICER).text or ""
    assert "Порядок: Реинжиниринг процесса по приказу министерства труда" in card
    assert "1151" not in card and "<b>Подготовка к реинжинирингу</b>" in card
    assert "▶️ <b>P1</b> Анализ клиентского пути — до 09.04.2025" in card  # 20 working days
    # The officer's dates for the steps to come are on the card from the opening.
    assert "срок установлен ответственным по клиентоцентричности: до 13.05.2025" in card

    await telegram.tap(OFFICER, "P1: установить срок")
    assert "порядок срока не устанавливает" in (telegram.last(OFFICER).text or "")
    await telegram.send(OFFICER, "10.01.2025")
    assert "Срок не может быть в прошлом." in (telegram.last(OFFICER).text or "")
    await telegram.send(OFFICER, "16.04.2025")
    texts = [m.text or "" for m in telegram.session.sent_to(OFFICER)]
    assert "Срок установлен: 16.04.2025." in texts
    assert "▶️ <b>P1</b> Анализ клиентского пути — до 16.04.2025" in texts[-1]
    async with session_pool() as session:
        p1 = await session.scalar(
            sa.select(CaseStep).where(CaseStep.case_id == case.id, CaseStep.step_code == "P1")
        )
        told = list(
            await session.scalars(
                sa.select(OutboxMessage.text).where(
                    OutboxMessage.chat_id == OWNER, OutboxMessage.kind == "case_due_set"
                )
            )
        )
    assert p1 is not None and p1.due_on == date(2025, 4, 16)
    assert told and "установлен ответственным по клиентоцентричности: 16.04.2025" in told[0]

    # The owner works the step from the card; the next step keeps the officer's date.
    await telegram.send(OWNER, "/cases")
    await telegram.press(OWNER, CaseCb(c=case.id).pack())
    owner_card = telegram.last_with_keyboard(OWNER).text or ""
    assert "P1: установить срок" not in str(telegram.last_with_keyboard(OWNER).reply_markup)
    assert "Анализ клиентского пути" in owner_card
    await telegram.tap(OWNER, "P1: отметить выполненным")
    assert "▶️ <b>P2</b>" in (telegram.last_with_keyboard(OWNER).text or "")
    assert "до 13.05.2025" in (telegram.last_with_keyboard(OWNER).text or "")  # 40 working days


async def test_a_change_of_choice_leaves_the_open_case_and_only_officers_choose(
    telegram: Telegram,
    session_pool: SessionPool,
    people: People,  # noqa: F811
) -> None:
    await _choose(telegram, SEED000)
    await _open(telegram)
    await _choose(telegram, SEED001)
    assert await _regulation(session_pool) == "seed001"
    async with session_pool() as session:
        case = await session.scalar(sa.select(ReengineeringCase))
    assert case is not None and case.template_id == "seed000"
    await telegram.send(OFFICER, "/cases")
    await telegram.press(OFFICER, CaseCb(c=case.id).pack())
    assert "▶️ <b>P1</b>" in (telegram.last_with_keyboard(OFFICER).text or "")

    # An owner has no /regulation and a forged button changes nothing.
    await telegram.send(OWNER, "/cases")
    await telegram.press(OWNER, RegulationCb(t="seed003", ok=True).pack())
    await telegram.send(OWNER, "/regulation")
    assert "Порядок реинжиниринга организации" not in (telegram.last(OWNER).text or "")
    assert await _regulation(session_pool) == "seed001"


async def test_order_984_opens_on_a_change_of_the_law(
    telegram: Telegram,
    session_pool: SessionPool,
    people: People,  # noqa: F811
) -> None:
    """Order 984 п. 2 пп. 1 абз. 2: the journey is analysed again «в случае внесения
    изменений в законодательство … когда такие изменения влияют на изменения клиентского
    пути» — a ground the officer records when opening the case."""
    await _choose(telegram, SEED000)
    await telegram.send(OFFICER, "/cases")
    await telegram.tap(OFFICER, "Открыть дело по поручению")
    await telegram.tap(OFFICER, PROCESS)
    data = telegram.button(OFFICER, "Открыть: изменение законодательства")
    assert CaseOpenCb.unpack(data).g == "law_change"
    await telegram.press(OFFICER, data)
    async with session_pool() as session:
        case = await session.scalar(sa.select(ReengineeringCase))
    assert case is not None and case.ground == Ground.LAW_CHANGE
    card = telegram.last_with_keyboard(OFFICER).text or ""
    assert "Основание: изменение законодательства, регулирующего порядок" in card
