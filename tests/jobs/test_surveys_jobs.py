"""Survey housekeeping jobs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from jobs.surveys import expire_unfinished
from storage.database import SessionPool
from storage.models import ClientType, Questionnaire, SessionStatus, SurveySession


async def test_unfinished_questionnaires_expire_once(session_pool: SessionPool) -> None:
    start = datetime(2025, 3, 1, 10, tzinfo=UTC)
    async with session_pool() as session, session.begin():
        questionnaire = Questionnaire(
            code="q",
            version=1,
            title="q",
            audience=ClientType.EXTERNAL,
            definition={},
            checksum="x",
        )
        session.add(questionnaire)
        await session.flush()
        for hours in (1, 30):
            session.add(
                SurveySession(
                    respondent_key=f"k{hours}",
                    questionnaire_id=questionnaire.id,
                    status=SessionStatus.OPEN,
                    path=[0],
                    answers={},
                    started_at=start - timedelta(hours=hours),
                    expires_at=start - timedelta(hours=hours) + timedelta(hours=24),
                )
            )
    assert await expire_unfinished(session_pool, lambda: start) == 1
    assert await expire_unfinished(session_pool, lambda: start) == 0
    async with session_pool() as session:
        statuses = dict(
            (
                await session.execute(sa.select(SurveySession.respondent_key, SurveySession.status))
            ).all()
        )
    assert statuses == {"k1": SessionStatus.OPEN, "k30": SessionStatus.ABANDONED}
