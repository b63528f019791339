"""Upgrading an existing SQLite database loses no row and no link between rows.

Alembic's batch mode rebuilds a table to add a foreign key (departments.head_id,
touchpoints.department_id, reengineering_cases.owner_id): with foreign keys on, the DROP of the
old table deleted every case's steps and grounds and set every process's department and every
answer's touchpoint to NULL. storage.migrate switches them off for the migrations' transaction.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from core.settings import Settings
from storage.database import create_engine
from storage.migrate import upgrade_database
from tests.conftest import ON_POSTGRES

NOW = datetime(2026, 3, 1, tzinfo=UTC)
DAY = date(2026, 3, 1)

ROWS = [
    "INSERT INTO departments (id, code, name) VALUES (1, 'SOC', 'Отдел')",
    "INSERT INTO people (id, telegram_id, department_id, is_employee, is_officer, unreachable,"
    " created_at) VALUES (1, 700001, 1, true, false, false, :now)",
    "INSERT INTO processes (id, code, name, direction_id, department_id, owner_id, client_type,"
    " stages, active) SELECT 1, 'SUP01', 'Выплата', min(id), 1, 1, 'external', '[]', true"
    " FROM activity_directions",
    "INSERT INTO touchpoints (id, code, process_id, name, kind, channel, needs, specifics,"
    " payload, active) VALUES (1, 'SUP01-EPGU', 1, 'Портал', 'digital', 'ЕПГУ', '[]', '',"
    " 't-SUP01-EPGU', true)",
    "INSERT INTO questionnaires (id, code, version, title, audience, scale_min, scale_max,"
    " definition, checksum, is_current, loaded_at)"
    " VALUES (1, 'touchpoint', 1, 't', 'external', 1, 5, '{}', 'x', true, :now)",
    "INSERT INTO survey_sessions (id, respondent_key, questionnaire_id, touchpoint_id, status,"
    " step, path, answers, started_at, expires_at)"
    " VALUES (1, 'k1', 1, 1, 'completed', 1, '[0]', '{}', :now, :now)",
    "INSERT INTO responses (id, session_id, questionnaire_id, respondent_key, process_id,"
    " touchpoint_id, client_type, channel, month, local_day, submitted_at)"
    " VALUES (1, 1, 1, 'k1', 1, 1, 'external', 'digital', :day, :day, :now)",
    "INSERT INTO reengineering_cases (id, process_id, template_id, ground, arose_on, status,"
    " opened_at, uses_digital_service) VALUES (1, 1, 'seed003', 'decline', :day, 'open', :now,"
    " false)",
    "INSERT INTO case_steps (id, case_id, step_code, position, status, activation, reopened)"
    " VALUES (1, 1, 'R1', 0, 'active', 'ground', 0)",
    "INSERT INTO case_grounds (id, case_id, ground, arose_on, opened, recorded_at)"
    " VALUES (1, 1, 'decline', :day, true, :now)",
]
LINKS = {
    "SELECT count(*) FROM case_steps WHERE case_id = 1": 1,
    "SELECT count(*) FROM case_grounds WHERE case_id = 1": 1,
    "SELECT count(*) FROM processes WHERE department_id = 1 AND owner_id = 1": 1,
    "SELECT count(*) FROM people WHERE department_id = 1": 1,
    "SELECT count(*) FROM responses WHERE touchpoint_id = 1 AND process_id = 1": 1,
    "SELECT count(*) FROM survey_sessions WHERE touchpoint_id = 1": 1,
}


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's table rebuilds; PostgreSQL alters in place")
@pytest.mark.parametrize("start", ["014", "017"])  # before 016 (people rebuilt) and after
async def test_an_upgrade_keeps_every_row_and_link(settings: Settings, start: str) -> None:
    engine = create_engine(settings.database_url)
    try:
        await upgrade_database(engine, start)
        async with engine.begin() as connection:
            for statement in ROWS:
                await connection.exec_driver_sql(
                    statement.replace(":now", "?").replace(":day", "?"),
                    tuple(
                        NOW.isoformat(" ") if part == ":now" else DAY.isoformat()
                        for part in _placeholders(statement)
                    ),
                )
        await upgrade_database(engine)
        async with engine.connect() as connection:
            found = {
                query: (await connection.exec_driver_sql(query)).scalar_one() for query in LINKS
            }
            foreign_keys = (await connection.exec_driver_sql("PRAGMA foreign_keys")).scalar_one()
        assert found == LINKS
        assert foreign_keys == 1, "foreign keys are on again after the upgrade"
    finally:
        await engine.dispose()


def _placeholders(statement: str) -> list[str]:
    """The :now and :day placeholders of a statement, in order."""
    parts: list[str] = []
    position = 0
    while True:
        at = min(
            (
                i
                for i in (statement.find(":now", position), statement.find(":day", position))
                if i >= 0
            ),
            default=-1,
        )
        if at < 0:
            return parts
        parts.append(statement[at : at + 4])
        position = at + 4
