"""Revision 016: outbox rows stored before it are Telegram's; people get a MAX id; it reverts."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command
from sqlalchemy import Connection

from core.settings import Settings
from storage.database import create_engine
from storage.migrate import alembic_config, upgrade_database


async def test_existing_outbox_rows_are_telegrams_and_the_revision_reverts(
    settings: Settings,
) -> None:
    engine = create_engine(settings.database_url)
    try:
        await upgrade_database(engine, "015")
        now = datetime(2025, 3, 1, tzinfo=UTC)
        async with engine.begin() as connection:
            await connection.execute(sa.text("INSERT INTO people (id, telegram_id, is_employee,"
                                             " is_officer, unreachable, created_at)"
                                             " VALUES (1, 700001, true, false, false, :now)"),
                                     {"now": now})  # fmt: skip
            await connection.execute(
                sa.text(
                    "INSERT INTO outbox (id, lane, chat_id, kind, method, text, status, attempts,"
                    " created_at, next_attempt_at) VALUES (1, 'alert', 700001, 'k', 'sendMessage',"
                    " 't', 'pending', 0, :now, :now)"
                ),
                {"now": now},
            )
        await upgrade_database(engine, "016")
        async with engine.begin() as connection:
            assert await connection.scalar(sa.text("SELECT channel FROM outbox")) == "telegram"
            assert await connection.scalar(sa.text("SELECT max_id FROM people")) is None
            await connection.execute(sa.text("UPDATE people SET max_id = 5550001"))
            await connection.execute(
                sa.text("INSERT INTO channel_markers (channel, marker) VALUES ('max', 42)")
            )

        def downgrade(connection: Connection) -> None:
            config = alembic_config(engine.url.render_as_string(hide_password=False))
            config.attributes["connection"] = connection
            command.downgrade(config, "015")

        async with engine.begin() as connection:
            await connection.run_sync(downgrade)
        async with engine.connect() as connection:
            columns = await connection.run_sync(
                lambda sync: {c["name"] for c in sa.inspect(sync).get_columns("outbox")}
            )
            tables = await connection.run_sync(lambda sync: set(sa.inspect(sync).get_table_names()))
        assert "channel" not in columns and "channel_markers" not in tables
    finally:
        await engine.dispose()
