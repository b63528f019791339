"""Revision 014: queued rows' Telegram markup becomes actions, and back on downgrade."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Connection

from core.speech import actions_from_json
from handlers.speech import inline_keyboard
from storage.database import create_engine
from storage.migrate import alembic_config, upgrade_database

TOKEN = "Zx_-" * 6
MARKUPS: list[dict[str, Any] | None] = [
    {
        "inline_keyboard": [
            [
                {"text": "Ответить", "callback_data": "fa:17:reply"},
                {"text": "Принято в работу", "callback_data": "fa:17:ack"},
            ]
        ]
    },
    {"inline_keyboard": [[{"text": "Ответить", "callback_data": "fr:17"}]]},
    {"inline_keyboard": [[{"text": "Пройти опрос", "callback_data": "cp:3"}]]},
    {"inline_keyboard": [[{"text": "Пройти опрос", "callback_data": f"rs:4:{TOKEN}"}]]},
    None,
]
outbox = sa.table(
    "outbox",
    sa.column("id", sa.Integer),
    sa.column("lane", sa.String),
    sa.column("kind", sa.String),
    sa.column("method", sa.String),
    sa.column("text", sa.Text),
    sa.column("status", sa.String),
    sa.column("attempts", sa.Integer),
    sa.column("created_at", sa.DateTime),
    sa.column("next_attempt_at", sa.DateTime),
    sa.column("reply_markup", sa.JSON),
    sa.column("actions", sa.JSON),
)


@pytest.mark.sqlite_only
async def test_queued_markup_becomes_actions_and_comes_back(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")
    try:
        await upgrade_database(engine, "013")
        async with engine.begin() as connection:
            for number, markup in enumerate(MARKUPS):
                await connection.execute(
                    sa.insert(outbox).values(
                        id=number + 1, lane="alert", kind="k", method="sendMessage", text="t",
                        status="pending", attempts=0, created_at=sa.func.now(),
                        next_attempt_at=sa.func.now(), reply_markup=markup,
                    )
                )  # fmt: skip
        await upgrade_database(engine)
        async with engine.connect() as connection:
            stored = (
                (await connection.execute(sa.select(outbox.c.actions).order_by(outbox.c.id)))
                .scalars()
                .all()
            )
        rendered = [inline_keyboard(actions_from_json(actions)) for actions in stored]
        assert [m and m.model_dump(exclude_none=True) for m in rendered] == MARKUPS

        def downgrade(connection: Connection) -> None:
            config = alembic_config(str(engine.url))
            config.attributes["connection"] = connection
            command.downgrade(config, "013")

        async with engine.begin() as connection:
            await connection.run_sync(downgrade)
            restored = (
                await connection.execute(sa.select(outbox.c.reply_markup).order_by(outbox.c.id))
            ).scalars()
            assert list(restored) == MARKUPS
    finally:
        await engine.dispose()
