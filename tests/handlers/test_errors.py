"""The errors router: a failure after a button was acknowledged still reaches the person."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import AnswerCallbackQuery, TelegramMethod

import bot.reports
from handlers.callbacks import ReportCb
from storage.database import SessionPool
from storage.models import Person
from tests.conftest import SmallRegistry
from tests.mocked_bot import Telegram

OFFICER = 900001


async def test_a_report_that_fails_after_its_button_was_answered_says_so_in_the_chat(
    telegram: Telegram,
    session_pool: SessionPool,
    registry: SmallRegistry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The button was answered «Готовлю отчёт…»; Telegram refuses a second answer, as it does
    for every callback, so the apology must come as a message (it was lost before)."""
    async with session_pool() as session, session.begin():
        session.add(Person(telegram_id=OFFICER, is_officer=True))

    async def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("the report failed")

    monkeypatch.setattr(bot.reports, "build_report", broken)

    async def like_telegram(method: TelegramMethod[Any]) -> None:
        if (
            isinstance(method, AnswerCallbackQuery)
            and method.callback_query_id in telegram.session.callback_answers
        ):
            raise TelegramBadRequest(method, "Bad Request: query is too old or already answered")

    telegram.session.on_request = like_telegram
    await telegram.send(OFFICER, "/start")
    await telegram.press(OFFICER, ReportCb(k="d", p=0).pack())
    assert "что-то пошло не так" in (telegram.last(OFFICER).text or "")
