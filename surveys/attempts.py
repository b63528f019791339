"""Questionnaire attempts (`survey_sessions` rows) as plain records, by Core statements.

The hot path reads and writes attempts without ORM objects (statements built once,
storage.statements): every answer loads one row and claims the next step with one
compare-and-set.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Respondent, SessionStatus, SurveySession
from storage.statements import AnyRow, first, run, scalar

_TABLE = cast(sa.Table, SurveySession.__table__)
_c = _TABLE.c


@dataclass
class Attempt:
    """One attempt: who, what is asked, how far they got."""

    id: int
    respondent_key: str
    questionnaire_id: int
    touchpoint_id: int | None
    process_id: int | None
    department_id: int | None
    status: SessionStatus
    step: int
    path: list[int]
    answers: dict[str, Any]
    expires_at: datetime
    message_id: int | None

    @classmethod
    def of(cls, row: AnyRow | tuple[Any, ...]) -> Attempt:
        return cls(*row)


_COLUMNS = (
    _c.id,
    _c.respondent_key,
    _c.questionnaire_id,
    _c.touchpoint_id,
    _c.process_id,
    _c.department_id,
    _c.status,
    _c.step,
    _c.path,
    _c.answers,
    _c.expires_at,
    _c.message_id,
)
_BY_ID = sa.select(*_COLUMNS).where(_c.id == sa.bindparam("attempt_id"))
_OPEN_OF = (
    sa.select(*_COLUMNS)
    .where(_c.respondent_key == sa.bindparam("key"), _c.status == SessionStatus.OPEN)
    .order_by(_c.id.desc())
    .limit(1)
)
# With the person's "segment asked" flag (what the view needs next), in the same statement.
_people = cast(sa.Table, Respondent.__table__).c
_WITH_FLAG = sa.select(*_COLUMNS, _people.segment_asked).select_from(
    _TABLE.outerjoin(Respondent.__table__, _people.key == _c.respondent_key)
)
_BY_ID_FLAGGED = _WITH_FLAG.where(_c.id == sa.bindparam("attempt_id"))
_OPEN_OF_FLAGGED = (
    _WITH_FLAG.where(_c.respondent_key == sa.bindparam("key"), _c.status == SessionStatus.OPEN)
    .order_by(_c.id.desc())
    .limit(1)
)
_INSERT = (
    sa.insert(_TABLE)
    .values(
        respondent_key=sa.bindparam("key"),
        questionnaire_id=sa.bindparam("questionnaire_id"),
        touchpoint_id=sa.bindparam("touchpoint_id"),
        process_id=sa.bindparam("process_id"),
        department_id=sa.bindparam("department_id"),
        status=SessionStatus.OPEN,
        step=0,
        path=sa.bindparam("first_path"),
        answers=sa.bindparam("first_answers"),
        started_at=sa.bindparam("now"),
        expires_at=sa.bindparam("expires"),
        message_id=sa.bindparam("message"),
    )
    .returning(_c.id)
)
_MINE_OPEN_AT = (
    _c.id == sa.bindparam("attempt_id"),
    _c.step == sa.bindparam("version"),
    _c.status == SessionStatus.OPEN,
)
# The compare-and-set on the step counter: only one tap per step ever wins.
_CLAIM_NEXT = (
    sa.update(_TABLE)
    .where(*_MINE_OPEN_AT)
    .values(step=_c.step + 1, path=sa.bindparam("new_path"), answers=sa.bindparam("new_answers"))
)
_CLAIM_FINISH = (
    sa.update(_TABLE)
    .where(*_MINE_OPEN_AT)
    .values(
        step=_c.step + 1,
        answers=sa.bindparam("new_answers"),
        status=SessionStatus.COMPLETED,
        finished_at=sa.bindparam("now"),
    )
)
_ABANDON = (
    sa.update(_TABLE)
    .where(_c.id == sa.bindparam("attempt_id"), _c.status == SessionStatus.OPEN)
    .values(status=SessionStatus.ABANDONED, finished_at=sa.bindparam("now"))
)
_SET_MESSAGE = (
    sa.update(_TABLE)
    .where(_c.id == sa.bindparam("attempt_id"))
    .values(message_id=sa.bindparam("message"))
)


async def load(session: AsyncSession, attempt_id: int) -> Attempt | None:
    row = await first(session, _BY_ID, {"attempt_id": attempt_id})
    return Attempt.of(row) if row else None


async def open_of(session: AsyncSession, key: str) -> Attempt | None:
    """The person's latest open attempt, if any."""
    row = await first(session, _OPEN_OF, {"key": key})
    return Attempt.of(row) if row else None


async def load_flagged(session: AsyncSession, attempt_id: int) -> tuple[Attempt, bool] | None:
    """The attempt and whether its respondent was asked the segment, in one statement."""
    row = await first(session, _BY_ID_FLAGGED, {"attempt_id": attempt_id})
    return (Attempt.of(row[:-1]), bool(row[-1])) if row else None


async def open_flagged(session: AsyncSession, key: str) -> tuple[Attempt, bool] | None:
    """The person's latest open attempt and their "segment asked" flag, in one statement."""
    row = await first(session, _OPEN_OF_FLAGGED, {"key": key})
    return (Attempt.of(row[:-1]), bool(row[-1])) if row else None


async def create(
    session: AsyncSession,
    *,
    key: str,
    questionnaire_id: int,
    touchpoint_id: int | None,
    process_id: int,
    department_id: int | None,
    first: int,
    now: datetime,
    expires_at: datetime,
    message_id: int | None,
) -> Attempt:
    new_id = await scalar(
        session,
        _INSERT,
        {
            "key": key,
            "questionnaire_id": questionnaire_id,
            "touchpoint_id": touchpoint_id,
            "process_id": process_id,
            "department_id": department_id,
            "first_path": [first],
            "first_answers": {},
            "now": now,
            "expires": expires_at,
            "message": message_id,
        },
    )
    return Attempt(
        id=int(new_id),
        respondent_key=key,
        questionnaire_id=questionnaire_id,
        touchpoint_id=touchpoint_id,
        process_id=process_id,
        department_id=department_id,
        status=SessionStatus.OPEN,
        step=0,
        path=[first],
        answers={},
        expires_at=expires_at,
        message_id=message_id,
    )


async def claim_next(
    session: AsyncSession, attempt: Attempt, version: int, path: list[int], answers: dict[str, Any]
) -> bool:
    """Move to the next step if nobody else did; the record follows the row."""
    params = {"attempt_id": attempt.id, "version": version, "new_path": path}
    if await run(session, _CLAIM_NEXT, {**params, "new_answers": answers}) != 1:
        return False
    attempt.step, attempt.path, attempt.answers = version + 1, path, answers
    return True


async def claim_finish(
    session: AsyncSession, attempt: Attempt, version: int, answers: dict[str, Any], now: datetime
) -> bool:
    """Complete the attempt if nobody else moved it on."""
    params = {"attempt_id": attempt.id, "version": version, "new_answers": answers, "now": now}
    if await run(session, _CLAIM_FINISH, params) != 1:
        return False
    attempt.step, attempt.answers = version + 1, answers
    attempt.status = SessionStatus.COMPLETED
    return True


async def abandon(session: AsyncSession, attempt: Attempt, now: datetime) -> None:
    await run(session, _ABANDON, {"attempt_id": attempt.id, "now": now})
    attempt.status = SessionStatus.ABANDONED


async def set_message(session: AsyncSession, attempt_id: int, message_id: int) -> None:
    await run(session, _SET_MESSAGE, {"attempt_id": attempt_id, "message": message_id})


async def expire_sessions(session: AsyncSession, now: datetime) -> int:
    """Open attempts past their time become abandoned: the completion funnel counts them."""
    result = await session.execute(
        sa.update(SurveySession)
        .where(SurveySession.status == SessionStatus.OPEN, SurveySession.expires_at <= now)
        .values(status=SessionStatus.ABANDONED, finished_at=now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
