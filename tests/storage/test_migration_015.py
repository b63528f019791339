"""Revision 015: responses stored before it were collected through Telegram."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from core.settings import Settings
from storage.database import create_engine
from storage.migrate import upgrade_database


async def test_existing_responses_are_telegrams(settings: Settings) -> None:
    engine = create_engine(settings.database_url)
    try:
        await upgrade_database(engine, "014")
        now = datetime(2025, 3, 1, tzinfo=UTC)
        async with engine.begin() as connection:
            await connection.execute(
                sa.text(
                    "INSERT INTO questionnaires (id, code, version, title, audience, scale_min,"
                    " scale_max, definition, checksum, is_current, loaded_at)"
                    " VALUES (1, 'touchpoint', 1, 't', 'external', 1, 5, '{}', 'x', true, :now)"
                ),
                {"now": now},
            )
            await connection.execute(
                sa.text(
                    "INSERT INTO survey_sessions (id, respondent_key, questionnaire_id, status,"
                    " step, path, answers, started_at, expires_at)"
                    " VALUES (1, 'k', 1, 'completed', 1, '[0]', '{}', :now, :now)"
                ),
                {"now": now},
            )
            await connection.execute(
                sa.text(
                    "INSERT INTO responses (id, session_id, questionnaire_id, respondent_key,"
                    " client_type, channel, rating, month, local_day, submitted_at)"
                    " VALUES (1, 1, 1, 'k', 'external', 'digital', 4, :day, :day, :now)"
                ),
                {"day": now.date(), "now": now},
            )
        await upgrade_database(engine, "015")
        async with engine.connect() as connection:
            value = await connection.scalar(sa.text("SELECT collected_via FROM responses"))
        assert value == "telegram"
    finally:
        await engine.dispose()
