"""Bot API answer types are built once per process, not again after each garbage collection."""

from __future__ import annotations

import gc
import json
import weakref

from aiogram import Bot
from aiogram.methods import AnswerCallbackQuery, EditMessageText

from bot.telegram_session import TolerantSession
from tests.conftest import TEST_TOKEN

MESSAGE = {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}, "text": "x"}


async def test_answer_types_outlive_garbage_collection() -> None:
    session = TolerantSession()
    bot = Bot(TEST_TOKEN, session=session)
    try:
        edit = EditMessageText(chat_id=1, message_id=1, text="x")
        tap = AnswerCallbackQuery(callback_query_id="1")
        answers = [
            session.check_response(bot, edit, 200, json.dumps({"ok": True, "result": MESSAGE})),
            session.check_response(bot, tap, 200, json.dumps({"ok": True, "result": True})),
        ]
        built = [weakref.ref(type(answer)) for answer in answers]
        del answers
        gc.collect()
        # pydantic holds parametrized models weakly: without the session's hold they are
        # collected here, and the next answer builds its validator again (~0.1 s of CPU).
        assert [ref() is not None for ref in built] == [True, True]
        again = session.check_response(bot, edit, 200, json.dumps({"ok": True, "result": MESSAGE}))
        assert type(again) is built[0]()
        assert again.result is not None
    finally:
        await bot.session.close()
