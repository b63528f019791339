"""Bot API answer types are built once per process, not again after each garbage collection."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import weakref
from pathlib import Path

from aiogram import Bot
from aiogram.methods import AnswerCallbackQuery, SendMessage

from bot.telegram_session import TolerantSession
from tests.conftest import TEST_TOKEN

ROOT = Path(__file__).resolve().parents[2]
MESSAGE = {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}, "text": "x"}


async def test_answer_types_outlive_garbage_collection() -> None:
    session = TolerantSession()
    bot = Bot(TEST_TOKEN, session=session)
    try:
        send = SendMessage(chat_id=1, text="x")
        tap = AnswerCallbackQuery(callback_query_id="1")
        answers = [
            session.check_response(bot, send, 200, json.dumps({"ok": True, "result": MESSAGE})),
            session.check_response(bot, tap, 200, json.dumps({"ok": True, "result": True})),
        ]
        built = [weakref.ref(type(answer)) for answer in answers]
        del answers
        gc.collect()
        # pydantic holds parametrized models weakly: without the session's hold they are
        # collected here, and the next answer builds its validator again (~0.1 s of CPU).
        assert [ref() is not None for ref in built] == [True, True]
        again = session.check_response(bot, send, 200, json.dumps({"ok": True, "result": MESSAGE}))
        assert type(again) is built[0]()
        assert again.result is not None
    finally:
        await bot.session.close()


def test_the_models_of_every_answer_are_built_at_start_up(tmp_path: Path) -> None:
    """aiogram's models are built on first use; those of a respondent's every answer are built
    when the bot is created, not in the first respondents' answers (about 0.4 s of CPU)."""
    code = (
        "from bot.aiogram_lazy import install; install()\n"
        "from aiogram.types import Update, Message\n"
        "from aiogram.methods import EditMessageText\n"
        "hot = (Update, Message, EditMessageText)\n"
        "before = [m.__pydantic_complete__ for m in hot]\n"
        "from bot.factory import create_bot\n"
        "from core.settings import Settings\n"
        f"create_bot(Settings(bot_token={TEST_TOKEN!r}, database_url='sqlite+aiosqlite:///x.db'))\n"
        "from bot.telegram_session import TolerantSession\n"
        "after = [m.__pydantic_complete__ for m in hot]\n"
        "print(before, after, bool in TolerantSession.answer_types)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    ).stdout.strip()
    assert out == "[False, False, False] [True, True, True] True"
