"""Closed loop: low score → owner alert → relayed answer both ways, no identity leaked."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from handlers.callbacks import AlertCb, RelayCb
from storage.database import SessionPool
from storage.models import FeedbackAlert, OutboxMessage, Person
from surveys.feedback import remind_and_escalate
from tests.conftest import SmallRegistry
from tests.handlers.conftest import MovableClock
from tests.handlers.test_citizen_flow import consent_and_rate
from tests.mocked_bot import Telegram

CITIZEN, OWNER, OFFICER, OTHER_OWNER = 987001, 700001, 900001, 700777


async def outbox(pool: SessionPool) -> list[OutboxMessage]:
    async with pool() as session:
        return list(
            (await session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id))).all()
        )


async def low_score_with_comment(telegram: Telegram, want_answer: bool = True) -> None:
    await consent_and_rate(telegram, CITIZEN, "1")
    await telegram.tap(CITIZEN, "Очередь")
    await telegram.tap(CITIZEN, "Готово")
    await telegram.tap(CITIZEN, "рассмотрение")
    await telegram.tap(CITIZEN, "Высокая")
    await telegram.send(CITIZEN, "Три часа в очереди, никто не объяснил сроки")
    await telegram.tap(CITIZEN, "Пенсионер")
    if want_answer:
        await telegram.tap(CITIZEN, "ответ на мой отзыв")


async def test_low_score_alerts_the_owner_and_the_answer_goes_both_ways(
    telegram: Telegram, session_pool: SessionPool, registry: SmallRegistry
) -> None:
    await low_score_with_comment(telegram)
    [alert_message] = await outbox(session_pool)
    assert alert_message.chat_id == OWNER and alert_message.lane == "alert"
    assert (
        "Низкая оценка: 1 из 5" in alert_message.text and "Три часа в очереди" in alert_message.text
    )
    assert "Портал Госуслуг" in alert_message.text and "очередь" in alert_message.text
    assert str(CITIZEN) not in alert_message.text
    buttons = [b["callback_data"] for b in alert_message.reply_markup["inline_keyboard"][0]]  # type: ignore[index]
    alert_id = AlertCb.unpack(buttons[0]).a

    await telegram.send(OWNER, "/start")
    await telegram.press(OWNER, AlertCb(a=alert_id, x="ack").pack())
    await telegram.press(OWNER, AlertCb(a=alert_id, x="reply").pack())
    assert "без вашего имени" in (telegram.last(OWNER).text or "")
    await telegram.send(OWNER, "Приносим извинения. С 1 апреля открыто второе окно приёма.")
    assert "Ответ отправлен заявителю" in (telegram.last(OWNER).text or "")
    relay = (await outbox(session_pool))[-1]
    assert relay.chat_id == CITIZEN and relay.lane == "interactive"
    assert "второе окно приёма" in relay.text and str(OWNER) not in relay.text

    await telegram.press(CITIZEN, RelayCb(a=alert_id).pack())
    await telegram.send(CITIZEN, "Спасибо, приду ещё раз")
    back = (await outbox(session_pool))[-1]
    assert back.chat_id == OWNER and "приду ещё раз" in back.text and str(CITIZEN) not in back.text
    async with session_pool() as session:
        alert = await session.get(FeedbackAlert, alert_id)
    assert alert is not None and alert.acknowledged_at and alert.answered_at


async def test_answer_not_relayed_without_opt_in_and_other_owners_are_refused(
    telegram: Telegram, session_pool: SessionPool, registry: SmallRegistry
) -> None:
    await low_score_with_comment(telegram, want_answer=False)
    [alert_message] = await outbox(session_pool)
    alert_id = AlertCb.unpack(
        alert_message.reply_markup["inline_keyboard"][0][0]["callback_data"]
    ).a  # type: ignore[index]
    await telegram.send(OTHER_OWNER, "/start")
    update = await telegram.press(OTHER_OWNER, AlertCb(a=alert_id, x="reply").pack())
    answer = telegram.session.callback_answers[update.callback_query.id]  # type: ignore[union-attr]
    assert answer.text == "У вас нет доступа к этому процессу."
    await telegram.send(OWNER, "/start")
    await telegram.press(OWNER, AlertCb(a=alert_id, x="reply").pack())
    await telegram.send(OWNER, "Разберёмся")
    assert "не просил присылать ответ" in (telegram.last(OWNER).text or "")
    assert len(await outbox(session_pool)) == 1


async def test_unanswered_alert_is_reminded_then_escalated_once(
    telegram: Telegram, session_pool: SessionPool, registry: SmallRegistry, clock: MovableClock
) -> None:
    await low_score_with_comment(telegram)
    async with session_pool() as session, session.begin():
        session.add(Person(telegram_id=OFFICER, is_officer=True))
    start = clock()
    for days, expected in (
        (1, (0, 0)),
        (8, (1, 0)),
        (8, (0, 0)),
        (28, (1, 0)),
        (31, (0, 1)),
        (40, (0, 0)),
    ):
        async with session_pool() as session, session.begin():
            assert await remind_and_escalate(session, start + timedelta(days=days)) == expected
    kinds = [(m.kind, m.chat_id) for m in await outbox(session_pool)]
    assert kinds.count(("alert_reminder", OWNER)) == 2
    assert kinds.count(("alert_escalated", OFFICER)) == 1
