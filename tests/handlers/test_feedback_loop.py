"""Closed loop: low score → owner alert → relayed answer both ways, no identity leaked."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.i18n import translator
from handlers.callbacks import AlertCb, RelayCb
from outreach.loop import remind_and_escalate
from storage.database import SessionPool
from storage.delivery_models import OutboxMessage
from storage.models import FeedbackAlert, Person, ResponseAnswer
from tests.conftest import SmallRegistry
from tests.handlers.conftest import MovableClock
from tests.handlers.test_citizen_flow import consent_and_rate
from tests.mocked_bot import Telegram, outbox_markup

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
        await telegram.tap(CITIZEN, "ответ на свой отзыв")


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
    buttons = [b["callback_data"] for b in outbox_markup(alert_message)["inline_keyboard"][0]]  # type: ignore[index]
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
        outbox_markup(alert_message)["inline_keyboard"][0][0]["callback_data"]
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
            assert (
                await remind_and_escalate(session, start + timedelta(days=days), _=translator())
                == expected
            )
    kinds = [(m.kind, m.chat_id) for m in await outbox(session_pool)]
    assert kinds.count(("alert_reminder", OWNER)) == 2
    assert kinds.count(("alert_escalated", OFFICER)) == 1


@pytest.mark.parametrize(
    "invisible",
    [
        "   ",
        "\u200b",
        "\u200b\u200c\u200d\u200e\u200f",
        "\u00a0\u2060\ufeff \u3000",
        "\u2800\u3164\u180e\u00ad",
        "\u202e\u2066\u2069\n\t",
    ],
)
async def test_a_comment_of_invisible_characters_is_no_comment(
    telegram: Telegram, session_pool: SessionPool, registry: SmallRegistry, invisible: str
) -> None:
    """Issue #13, point 15: spaces or zero-width characters alone are no comment (no alert)."""
    await consent_and_rate(telegram, CITIZEN, "1")
    await telegram.tap(CITIZEN, "Очередь")
    await telegram.tap(CITIZEN, "Готово")
    await telegram.tap(CITIZEN, "рассмотрение")
    await telegram.tap(CITIZEN, "Высокая")
    await telegram.send(CITIZEN, invisible)
    assert "Пустое сообщение" in (telegram.last(CITIZEN).text or "")
    await telegram.tap(CITIZEN, "Пропустить")
    await telegram.tap(CITIZEN, "Пенсионер")
    async with session_pool() as session:
        assert await session.scalar(sa.select(sa.func.count(FeedbackAlert.id))) == 0
        stored = (await session.scalars(sa.select(ResponseAnswer.value_text))).all()
    assert all(value is None or value.strip() for value in stored)
    assert not any(invisible.strip() in (value or "") for value in stored if invisible.strip())
    assert [m for m in await outbox(session_pool) if m.kind == "feedback_alert"] == []


async def test_an_invisible_answer_is_not_relayed_and_does_not_count_as_answered(
    telegram: Telegram, session_pool: SessionPool, registry: SmallRegistry
) -> None:
    await low_score_with_comment(telegram)
    [alert_message] = await outbox(session_pool)
    alert_id = AlertCb.unpack(
        outbox_markup(alert_message)["inline_keyboard"][0][0]["callback_data"]  # type: ignore[index]
    ).a
    await telegram.send(OWNER, "/start")
    await telegram.press(OWNER, AlertCb(a=alert_id, x="reply").pack())
    await telegram.send(OWNER, "\u200b\u2060\ufeff")
    assert "Пустое сообщение" in (telegram.last(OWNER).text or "")
    assert len(await outbox(session_pool)) == 1, "nothing relayed to the client"
    async with session_pool() as session:
        alert = await session.get(FeedbackAlert, alert_id)
    assert alert is not None and alert.answered_at is None
    await telegram.send(OWNER, "Разобрались, спасибо за отзыв")
    assert "Ответ отправлен заявителю" in (telegram.last(OWNER).text or "")
