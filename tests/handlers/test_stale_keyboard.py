"""A keyboard left behind by a crash (step committed, edit lost) leads back to the question."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import EditMessageText

from storage.database import SessionPool
from tests.handlers.helpers import count_responses
from tests.mocked_bot import Telegram

USER = 6101


class Crash(BaseException):
    """The process dies here: not an error the bot could handle, nothing after it runs."""


async def test_a_tap_on_the_keyboard_whose_edit_was_lost_shows_the_current_question(
    telegram: Telegram, session_pool: SessionPool
) -> None:
    await telegram.send(USER, "/start t-SUP01-EPGU")
    await telegram.tap(USER, "Дать согласие")
    old = telegram.last(USER)
    rating = telegram.button(USER, "5")

    async def lose_the_edit(method: Any) -> None:
        if isinstance(method, EditMessageText):
            telegram.session.on_request = None
            raise Crash

    telegram.session.on_request = lose_the_edit
    with pytest.raises(Crash):  # the step is committed, then the process dies before the edit
        await telegram.press(USER, rating, old)
    assert "Вопрос 1" in (telegram.last(USER).text or ""), "the chat still shows question 1"

    await telegram.press(USER, rating, old)  # the same old keyboard, tapped again
    shown = telegram.last(USER)
    assert "комментарий" in (shown.text or ""), "the current question is shown again"
    await telegram.tap(USER, "Пропустить")
    assert "в каком качестве вы обращались" in (telegram.last(USER).text or ""), (
        "answering it proceeds"
    )
    await telegram.tap(USER, "Гражданин")
    assert "Спасибо" in (telegram.last(USER).text or "")
    assert await count_responses(session_pool) == 1


async def test_a_question_whose_message_cannot_be_edited_is_sent_anew(
    telegram: Telegram, session_pool: SessionPool
) -> None:
    """The person deleted the questionnaire's message: the next question must still appear."""
    await telegram.send(USER, "/start t-SUP01-EPGU")
    await telegram.tap(USER, "Дать согласие")
    old = telegram.last(USER)

    async def refuse_the_edit(method: Any) -> None:
        if isinstance(method, EditMessageText):
            telegram.session.on_request = None
            raise TelegramBadRequest(
                method=method, message="Bad Request: message to edit not found"
            )

    telegram.session.on_request = refuse_the_edit
    await telegram.tap(USER, "5")
    shown = telegram.last(USER)
    assert shown.message_id != old.message_id and "комментарий" in (shown.text or "")
    await telegram.tap(USER, "Пропустить")  # the new message is the one edited from now on
    assert telegram.last(USER).message_id == shown.message_id
    assert "в каком качестве вы обращались" in (telegram.last(USER).text or "")
