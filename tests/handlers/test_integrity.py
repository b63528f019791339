"""Never double-counted, never lost: duplicates, double taps, limits, restarts, expiry, pitfalls."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage
from aiogram.types import PhotoSize, Sticker

from core.settings import Settings
from handlers.callbacks import AnswerCb
from storage.database import SessionPool, create_engine
from storage.models import SessionStatus
from tests.handlers.conftest import MovableClock
from tests.handlers.helpers import count_responses, session_statuses
from tests.handlers.test_citizen_flow import consent_and_rate
from tests.mocked_bot import Telegram

USER = 6001


async def finish_high(telegram: Telegram, user: int = USER) -> None:
    await consent_and_rate(telegram, user, "5")
    while "Спасибо" not in (telegram.last(user).text or ""):
        await telegram.tap(user, "Пропустить")


async def test_same_update_delivered_twice_stores_one_response(
    telegram: Telegram, session_pool: SessionPool
) -> None:
    await consent_and_rate(telegram, USER, "5")
    await telegram.tap(USER, "Пропустить")
    last = telegram.button(USER, "Пропустить")
    update = telegram.callback_update(USER, telegram.last(USER), last)
    await asyncio.gather(telegram.feed(update), telegram.feed(update))
    await telegram.feed(update)
    assert await count_responses(session_pool) == 1


async def test_double_tap_sends_the_next_question_once(
    telegram: Telegram, session_pool: SessionPool
) -> None:
    await telegram.send(USER, "/start t-SUP01-EPGU")
    await telegram.tap(USER, "Дать согласие")
    data = telegram.button(USER, "4")
    message = telegram.last(USER)
    requests_before = len(telegram.session.requests)
    first = telegram.callback_update(USER, message, data)
    second = telegram.callback_update(USER, message, data)
    await asyncio.gather(telegram.feed(first), telegram.feed(second))
    edits = [
        (r.text, str(r.reply_markup))
        for r in telegram.session.requests[requests_before:]
        if isinstance(r, EditMessageText)
    ]
    # The late tap shows the current question again (issue #13: an old keyboard must lead
    # back to it): an identical edit, which Telegram answers "not modified". One question.
    assert len(set(edits)) == 1 and "комментарий" in (edits[0][0] or "")
    answers = telegram.session.callback_answers
    texts = [answers[u.callback_query.id].text for u in (first, second)]  # type: ignore[union-attr]
    assert "На этот вопрос уже дан ответ." in texts
    # a late tap on the old keyboard after completion changes nothing either
    await telegram.tap(USER, "Пропустить")
    await telegram.tap(USER, "Пропустить")
    await telegram.press(USER, data, message)
    assert await count_responses(session_pool) == 1


async def test_daily_limit_per_touchpoint(
    telegram: Telegram, session_pool: SessionPool, clock: MovableClock
) -> None:
    await finish_high(telegram)
    await telegram.send(USER, "/start t-SUP01-EPGU")
    assert "уже оценили эту услугу сегодня" in (telegram.last(USER).text or "")
    clock.advance(days=1)
    await finish_high(telegram)
    assert await count_responses(session_pool) == 2


async def test_restart_mid_questionnaire_resumes(
    make_telegram: Callable[[], Telegram], telegram: Telegram, session_pool: SessionPool
) -> None:
    await consent_and_rate(telegram, USER, "2")
    await telegram.tap(USER, "Очередь")
    restarted = make_telegram()  # a new dispatcher and bot over the same database
    await restarted.send(USER, "/start t-SUP01-EPGU")
    texts = [m.text or "" for m in restarted.session.sent_to(USER)]
    assert any("продолжим" in t for t in texts)
    assert "Что пошло не так" in texts[-1] and "✅ Очередь" in str(
        restarted.last(USER).reply_markup
    )
    await restarted.tap(USER, "Готово")
    assert "На каком этапе" in (restarted.last(USER).text or "")


async def test_unfinished_questionnaire_expires_as_abandoned(
    telegram: Telegram, session_pool: SessionPool, clock: MovableClock
) -> None:
    await consent_and_rate(telegram, USER, "4")
    clock.advance(hours=25)
    await telegram.tap(USER, "Пропустить")
    assert "Время заполнения анкеты истекло" in (telegram.last(USER).text or "")
    assert await session_statuses(session_pool) == [SessionStatus.ABANDONED]
    assert await count_responses(session_pool) == 0


async def test_forged_values_are_refused(telegram: Telegram, session_pool: SessionPool) -> None:
    await telegram.send(USER, "/start t-SUP01-EPGU")
    await telegram.tap(USER, "Дать согласие")
    real = AnswerCb.unpack(telegram.button(USER, "4"))
    for forged in ("9", "0", "t.bogus", "ok", "-", "<", "drop table"):
        data = AnswerCb(s=real.s, v=real.v, x=forged).pack()
        update = await telegram.press(USER, data)
        answer = telegram.session.callback_answers[update.callback_query.id]  # type: ignore[union-attr]
        assert answer.text and "Такого варианта здесь нет" in answer.text
    other_session = AnswerCb(s=real.s + 50, v=0, x="5").pack()
    await telegram.press(USER, other_session)
    assert await count_responses(session_pool) == 0
    await telegram.tap(USER, "4")
    assert "комментарий" in (telegram.last(USER).text or "")


async def test_another_persons_session_cannot_be_answered(
    telegram: Telegram, session_pool: SessionPool
) -> None:
    await consent_and_rate(telegram, USER, "5")
    data = telegram.button(USER, "Пропустить")
    intruder = 6999
    update = telegram.callback_update(intruder, telegram.last(USER), data)
    await telegram.feed(update)
    assert telegram.session.callback_answers[update.callback_query.id].text  # type: ignore[union-attr]
    await telegram.tap(USER, "Пропустить")
    assert "в каком качестве вы обращались" in (telegram.last(USER).text or "")


async def test_overlong_comment_is_not_echoed_and_not_stored(
    telegram: Telegram, session_pool: SessionPool
) -> None:
    await consent_and_rate(telegram, USER, "5")
    await telegram.send(USER, "Ж" * 5000)
    reply = telegram.session.requests[-1]
    assert isinstance(reply, SendMessage) and "Ж" * 20 not in reply.text
    assert len(reply.text) < 4096 and "5000" in reply.text
    await telegram.send(USER, "Ж" * 1000)
    assert "в каком качестве вы обращались" in (telegram.last(USER).text or "")


async def test_every_button_tap_is_answered(telegram: Telegram) -> None:
    await finish_high(telegram)
    await telegram.press(USER, "garbage-callback")
    await telegram.press(USER, "a:not:valid")
    taps = [r for r in telegram.session.requests if isinstance(r, AnswerCallbackQuery)]
    assert len(taps) == telegram._callback_ids.__next__() - 1  # every query id answered once


@pytest.mark.sqlite_only
async def test_thanks_only_after_commit_and_no_transaction_across_telegram_calls(
    telegram: Telegram, session_pool: SessionPool, settings: Settings
) -> None:
    """At every Telegram call another connection can write at once, and 'saved' sees the row."""
    probe = create_engine(settings.database_url, connect_args={"timeout": 0.05})
    seen: list[int] = []

    async def check(method: Any) -> None:
        async with probe.begin() as connection:  # BEGIN IMMEDIATE: fails if a writer holds the lock
            await connection.exec_driver_sql("UPDATE organization_settings SET name = name")
            if isinstance(method, EditMessageText) and "Спасибо" in (method.text or ""):
                count = await connection.scalar(sa.text("SELECT count(*) FROM responses"))
                seen.append(int(count or 0))

    telegram.session.on_request = check
    await finish_high(telegram)
    await probe.dispose()
    assert seen == [1]


async def test_bad_input_gets_a_hint_and_the_questionnaire_goes_on(
    telegram: Telegram, session_pool: SessionPool
) -> None:
    await telegram.send(USER, "/start t-UNKNOWN-PAYLOAD")
    assert "Ссылка не распознана" in (telegram.last(USER).text or "")
    await telegram.send(USER, "/start t-SUP01-EPGU")
    await telegram.tap(USER, "Дать согласие")
    await telegram.send(USER, "пять")
    assert "ответьте кнопками" in (telegram.session.sent_to(USER)[-2].text or "")
    sticker = Sticker(
        file_id="s",
        file_unique_id="s",
        type="regular",
        width=1,
        height=1,
        is_animated=False,
        is_video=False,
    )
    await telegram.send(USER, None, sticker=sticker)
    await telegram.send(
        USER, None, photo=[PhotoSize(file_id="p", file_unique_id="p", width=1, height=1)]
    )
    hints = [m.text or "" for m in telegram.session.sent_to(USER)[-2:]]
    assert all("кнопками или текстом" in h for h in hints)
    await telegram.send(USER, "/nonsense")
    await telegram.tap(USER, "5")
    assert "комментарий" in (telegram.last_with_keyboard(USER).text or "")
    await telegram.send(USER, "   ")
    await telegram.send(USER, "Всё хорошо")
    await telegram.tap(USER, "Гражданин")
    assert await count_responses(session_pool) == 1


async def test_groups_and_channels_are_ignored(telegram: Telegram) -> None:
    await telegram.send(-100123, "/start t-SUP01-EPGU", chat_type="supergroup")
    assert telegram.session.sent_to(-100123) == []


async def test_no_answer_table_holds_the_telegram_id(
    telegram: Telegram, session_pool: SessionPool
) -> None:
    user = 987654321
    await consent_and_rate(telegram, user, "1")
    await telegram.tap(user, "Другое")
    await telegram.tap(user, "Готово")
    await telegram.tap(user, "подача заявления")
    await telegram.tap(user, "Низкая")
    await telegram.send(user, "Мой комментарий")
    await telegram.tap(user, "Гражданин")
    await telegram.tap(user, "спросить меня позже")
    async with session_pool() as session:
        for table in (
            "responses",
            "response_answers",
            "respondents",
            "survey_sessions",
            "fsm_records",
        ):
            rows = (await session.execute(sa.text(f"SELECT * FROM {table}"))).all()
            assert rows or table == "fsm_records"
            assert str(user) not in repr(rows), table
