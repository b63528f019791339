"""The internal survey after seed 004: the closed loop for a low internal score with a
comment (§3 «реагирование»), and the results against the previous survey on the working
group's agenda (§14), through the dispatcher, the hourly job and the /stats report."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from core.settings import Settings
from handlers.callbacks import AlertCb, ReportCb
from jobs.inquiries import inquiries_followup
from storage.database import SessionPool
from storage.delivery_models import OutboxMessage
from storage.models import Person, Process
from tests.conftest import SmallRegistry
from tests.handlers.conftest import MovableClock
from tests.handlers.test_report_periods import document_sheets, info
from tests.mocked_bot import Telegram, outbox_markup

IT_OWNER, OFFICER = 700500, 900001
EMPLOYEES = (8301, 8302)


async def staff(pool: SessionPool, registry: SmallRegistry) -> None:
    async with pool() as session, session.begin():
        owner = Person(telegram_id=IT_OWNER, is_employee=True)
        session.add(owner)
        session.add(Person(telegram_id=OFFICER, is_officer=True))
        for chat in EMPLOYEES:
            session.add(
                Person(telegram_id=chat, is_employee=True, department_id=registry.department_id)
            )
        await session.flush()
        process = await session.get(Process, registry.internal_process_id)
        assert process is not None
        process.owner_id = owner.id


async def rate(telegram: Telegram, user: int, score: str, comment: str | None = None) -> None:
    await telegram.send(user, "/rate")
    await telegram.tap(user, "Техническая поддержка")
    consent = telegram.last_with_keyboard(user).reply_markup
    if consent is not None and any(
        "Согласен" in b.text
        for row in consent.inline_keyboard  # type: ignore[union-attr]
        for b in row
    ):
        await telegram.tap(user, "Согласен")
    for _question in ("satisfaction", "speed", "clarity"):
        await telegram.tap(user, score)
    if comment is None:
        await telegram.tap(user, "Пропустить")
    else:
        await telegram.send(user, comment)
    assert "Спасибо" in (telegram.last(user).text or "")


async def outbox(pool: SessionPool, kind: str) -> list[OutboxMessage]:
    async with pool() as session:
        query = sa.select(OutboxMessage).where(OutboxMessage.kind == kind)
        return list((await session.scalars(query.order_by(OutboxMessage.id))).all())


async def test_low_internal_score_with_a_comment_gets_the_closed_loop(
    telegram: Telegram, session_pool: SessionPool, registry: SmallRegistry
) -> None:
    await staff(session_pool, registry)
    employee = EMPLOYEES[0]
    await rate(telegram, employee, "4", "Всё хорошо, но долго ждал")
    assert await outbox(session_pool, "low_score_alert") == []  # 4 is no low score
    await rate(telegram, EMPLOYEES[1], "1", "Заявку на ремонт ноутбука не берут третью неделю")
    await telegram.tap(EMPLOYEES[1], "ответ на мой отзыв")
    [alert] = await outbox(session_pool, "low_score_alert")
    assert alert.chat_id == IT_OWNER and "третью неделю" in alert.text
    assert "Техническая поддержка рабочих мест" in alert.text
    assert str(EMPLOYEES[1]) not in alert.text  # the owner does not learn who it was
    markup = outbox_markup(alert)
    assert markup is not None
    reply = AlertCb.unpack(markup["inline_keyboard"][0][0]["callback_data"])  # type: ignore[index]
    await telegram.send(IT_OWNER, "/start")
    await telegram.press(IT_OWNER, AlertCb(a=reply.a, x="reply").pack())
    await telegram.send(IT_OWNER, "Ноутбук заберём сегодня, замена на время ремонта есть.")
    [relay] = await outbox(session_pool, "feedback_answer")
    assert relay.chat_id == EMPLOYEES[1] and "замена на время ремонта" in relay.text


async def test_results_against_the_previous_survey_go_on_the_agenda(
    telegram: Telegram,
    session_pool: SessionPool,
    registry: SmallRegistry,
    clock: MovableClock,
    settings: Settings,
) -> None:
    """January's survey, none in February, March's: March is compared with January."""
    await staff(session_pool, registry)
    clock.now = datetime(2025, 1, 15, 9, 0, tzinfo=UTC)
    await rate(telegram, EMPLOYEES[0], "4")
    await rate(telegram, EMPLOYEES[1], "5")
    clock.now = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)
    await rate(telegram, EMPLOYEES[0], "2")
    await rate(telegram, EMPLOYEES[1], "3")

    clock.now = datetime(2025, 4, 1, 7, 0, tzinfo=UTC)
    shown = settings.model_copy(update={"min_cell_respondents": 1})
    await inquiries_followup(session_pool, shown, clock)
    await inquiries_followup(session_pool, shown, clock)  # once a month, not once an hour
    [item] = await outbox(session_pool, "internal_agenda")
    assert item.chat_id == OFFICER and "рабочей группы" in item.text
    assert "03.2025" in item.text and "(01.2025)" in item.text
    assert "2.50" in item.text and "4.50" in item.text and "-2.00" in item.text

    await telegram.send(OFFICER, "/start")
    await telegram.press(OFFICER, ReportCb(k="i", p=0).pack())
    caption, sheets = document_sheets(telegram)
    assert "внутренних клиентов" in caption
    assert info(sheets, "Предыдущий период") == "01.01.2025 – 31.01.2025"


async def test_the_agenda_hides_figures_of_too_few_respondents(
    telegram: Telegram,
    session_pool: SessionPool,
    registry: SmallRegistry,
    clock: MovableClock,
    settings: Settings,
) -> None:
    await staff(session_pool, registry)
    clock.now = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)
    await rate(telegram, EMPLOYEES[0], "2")
    clock.now = datetime(2025, 4, 1, 7, 0, tzinfo=UTC)
    await inquiries_followup(session_pool, settings, clock)  # min_cell 5
    [item] = await outbox(session_pool, "internal_agenda")
    assert "&lt;5" in item.text and "2.00" not in item.text
    assert "предыдущего опроса не было" in item.text
