"""Hypothesis-generated updates: no handler error, a friendly answer, an intact database."""

from __future__ import annotations

import asyncio
import itertools
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from bot.factory import create_dispatcher
from core.settings import Settings
from storage.database import create_engine, create_session_pool
from storage.migrate import upgrade_database
from storage.models import Person
from surveys.catalogue import sync_questionnaires
from tests.conftest import TEST_TOKEN, build_small_registry
from tests.mocked_bot import Telegram, make_bot

USERS = [5001, 5002, 700001, 900001]
CALLBACK_IDS = itertools.count(1)
COMMANDS = [
    "/start",
    "/start t-SUP01-EPGU",
    "/start t-SUP01-MFC",
    "/start inv-nope",
    "/rate",
    "/stats",
    "/forget",
    "/help",
    "/invite",
    "/cancel",
    "/start t-",
]
PREFIXES = ["a", "c", "o", "n", "r", "f", "iv", "m", "st", "rp", "fa", "fr", "zz"]

any_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=5000)
short = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
value = st.one_of(
    st.integers(-(2**40), 2**40).map(str),
    short,
    st.sampled_from(
        [
            "1",
            "5",
            "0",
            "ok",
            "-",
            "<",
            "t.queue",
            "t.bogus",
            "reply",
            "ack",
            "find",
            "rate",
            "invite",
            "forget",
            "d",
            "p",
            "t",
            "True",
            "False",
        ]
    ),
)
callback_data = st.one_of(
    st.text(max_size=64).filter(lambda s: 0 < len(s.encode()) <= 64),
    st.builds(
        lambda p, vs: ":".join([p, *vs])[:64],
        st.sampled_from(PREFIXES),
        st.lists(value, min_size=1, max_size=4),
    ),
)


def _user(uid: int, username: str | None) -> dict[str, Any]:
    user: dict[str, Any] = {"id": uid, "is_bot": False, "first_name": "Имя"}
    if username:
        user["username"] = username
    return user


@st.composite
def updates(draw: st.DrawFn) -> dict[str, Any]:
    uid = draw(st.sampled_from(USERS))
    user = _user(uid, draw(st.one_of(st.none(), st.just("someone"))))
    chat_type = draw(
        st.sampled_from(["private", "private", "private", "group", "supergroup", "channel"])
    )
    chat = {"id": uid if chat_type == "private" else -100123, "type": chat_type}
    message: dict[str, Any] = {
        "message_id": draw(st.integers(1, 10**6)),
        "date": 1700000000,
        "chat": chat,
        "from": user,
    }
    kind = draw(
        st.sampled_from(
            [
                "text",
                "command",
                "sticker",
                "photo",
                "document",
                "contact",
                "location",
                "callback",
                "edited",
                "channel_post",
                "unknown",
            ]
        )
    )
    if kind == "text":
        message["text"] = draw(any_text) or "x"
    elif kind == "command":
        message["text"] = draw(st.sampled_from(COMMANDS)) + draw(st.sampled_from(["", " ", "x"]))
        message["entities"] = [
            {"type": "bot_command", "offset": 0, "length": len(message["text"].split()[0])}
        ]
    elif kind == "sticker":
        message["sticker"] = {
            "file_id": "s",
            "file_unique_id": "s",
            "type": "regular",
            "width": 1,
            "height": 1,
            "is_animated": False,
            "is_video": False,
        }
    elif kind == "photo":
        message["photo"] = [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}]
    elif kind == "document":
        message["document"] = {"file_id": "d", "file_unique_id": "d", "file_name": "x.pdf"}
    elif kind == "contact":
        message["contact"] = {"phone_number": "+70000000000", "first_name": "X"}
    elif kind == "location":
        message["location"] = {"latitude": 55.75, "longitude": 37.61}
    if kind == "callback":
        bot_message = {
            **message,
            "from": {"id": 1000001, "is_bot": True, "first_name": "Bot"},
            "text": "?",
        }
        return {
            "callback_query": {
                "id": str(draw(st.integers(1, 10**9))),
                "from": user,
                "chat_instance": "ci",
                "message": bot_message,
                "data": draw(callback_data),
            }
        }
    if kind == "edited":
        message["text"] = draw(any_text) or "x"
        message["edit_date"] = 1700000001
        return {"edited_message": message}
    if kind == "channel_post":
        message.pop("from")
        message["chat"] = {"id": -100999, "type": "channel"}
        message["text"] = "post"
        return {"channel_post": message}
    if kind == "unknown":
        return {
            "my_chat_member": {
                "chat": {"id": uid, "type": "private"},
                "from": user,
                "date": 1700000000,
                "old_chat_member": {"status": "member", "user": user},
                "new_chat_member": {"status": "kicked", "user": user, "until_date": 0},
            }
        }
    return {"message": message}


class ErrorRecords(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.db'}"

    async def prepare() -> None:
        engine = create_engine(url)
        await upgrade_database(engine)
        pool = create_session_pool(engine)
        await sync_questionnaires(pool)
        await build_small_registry(pool)
        async with pool() as session, session.begin():
            session.add(Person(telegram_id=900001, is_officer=True))
        await engine.dispose()

    asyncio.run(prepare())
    return url


async def _feed_all(url: str, batch: list[dict[str, Any]]) -> tuple[list[str], str, list[Any]]:
    from aiogram.types import Update

    engine = create_engine(url)
    pool = create_session_pool(engine)
    config = Settings(
        _env_file=None,
        bot_token=SecretStr(TEST_TOKEN),  # type: ignore[call-arg]
        database_url=url,
        secret_key=SecretStr("fuzz"),
        data_dir=Path("/tmp"),
    )
    bot, session = make_bot()
    telegram = Telegram(
        bot,
        create_dispatcher(config, pool, clock=lambda: datetime(2025, 3, 3, tzinfo=UTC)),
        session,
    )
    errors = ErrorRecords()
    logging.getLogger().addHandler(errors)
    try:
        for raw in batch:
            if "callback_query" in raw:  # Telegram never reuses a callback query's id
                raw = {"callback_query": {**raw["callback_query"], "id": str(next(CALLBACK_IDS))}}
            update = Update.model_validate({"update_id": next(Telegram._update_ids), **raw})
            await telegram.feed(update)
    finally:
        logging.getLogger().removeHandler(errors)
    async with engine.connect() as connection:
        integrity = (await connection.exec_driver_sql("PRAGMA integrity_check")).scalar()
        foreign = (await connection.exec_driver_sql("PRAGMA foreign_key_check")).all()
    await engine.dispose()
    return [r.getMessage() for r in errors.records], str(integrity), list(foreign)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(batch=st.lists(updates(), min_size=1, max_size=12))
def test_random_updates_never_break_the_bot(database: str, batch: list[dict[str, Any]]) -> None:
    """No handler error for any of them, and SQLite's integrity and foreign-key checks pass."""
    errors, integrity, foreign_keys = asyncio.run(_feed_all(database, batch))
    assert errors == []
    assert integrity == "ok" and foreign_keys == []
