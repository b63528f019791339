"""Survey housekeeping jobs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from aiogram.fsm.storage.base import StorageKey

from bot.fsm import SqlFsmStorage
from core.clock import utcnow
from core.settings import Settings
from jobs.setup import create_scheduler
from jobs.surveys import expire_unfinished, purge_fsm
from storage.database import SessionPool
from storage.delivery_models import FsmRecord
from storage.fsm import STATE_RETENTION
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


async def test_stale_conversation_states_are_purged_nightly(
    session_pool: SessionPool, settings: Settings
) -> None:
    fsm = SqlFsmStorage(session_pool, b"salt", cache=True)
    stale, fresh = (StorageKey(bot_id=1, chat_id=uid, user_id=uid) for uid in (11, 12))
    for key in (stale, fresh):
        await fsm.set_state(key, "Survey:answering")
        await fsm.set_data(key, {"session_id": key.user_id})
    async with session_pool() as session, session.begin():
        oldest = (await session.scalars(sa.select(FsmRecord))).all()
        assert len(oldest) == 2
        aged = [record for record in oldest if record.data == {"session_id": 11}]
        aged[0].updated_at = utcnow() - STATE_RETENTION - timedelta(hours=1)

    assert await purge_fsm(fsm) == 1
    assert await purge_fsm(fsm) == 0
    # The memory copy went with the rows: the stale state is gone, the fresh one remains.
    assert await fsm.get_state(stale) is None
    assert await fsm.get_data(stale) == {}
    assert await fsm.get_state(fresh) == "Survey:answering"

    scheduled = create_scheduler(settings, session_pool, utcnow, fsm_storage=fsm)
    assert "purge_fsm" in {job.id for job in scheduled.get_jobs()}
    without = create_scheduler(settings, session_pool, utcnow)
    assert "purge_fsm" not in {job.id for job in without.get_jobs()}
