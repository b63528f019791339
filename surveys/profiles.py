"""What the bot remembers of a respondent (consent, segment, opt-ins), by Core statements.

Read and written on every questionnaire's opening and completion, by statements built once
(storage.statements) in the caller's session.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Respondent
from storage.statements import PerDialect, dialect_insert, first, run, scalar

_TABLE = cast(sa.Table, Respondent.__table__)
_c = _TABLE.c
_KEY = _c.key == sa.bindparam("rkey")

_CONSENT = sa.select(_c.consent_at).where(_KEY)
_SEGMENT = sa.select(_c.segment, _c.segment_asked).where(_KEY)
_OPT_INS = sa.select(_c.recontact_ok, _c.answer_ok).where(_KEY)
_CREATE = sa.insert(_TABLE).values(
    key=sa.bindparam("rkey"), created_at=sa.bindparam("now"), consent_at=sa.bindparam("consent")
)


def _consent_once(dialect: str) -> sa.Executable:
    """Insert the respondent consenting now, or keep the first consent's time: one statement."""
    statement = dialect_insert(dialect)(_TABLE).values(
        key=sa.bindparam("rkey"), created_at=sa.bindparam("now"), consent_at=sa.bindparam("now")
    )
    return statement.on_conflict_do_update(
        index_elements=["key"],
        set_={"consent_at": sa.func.coalesce(_c.consent_at, statement.excluded.consent_at)},
    ).returning(_c.segment_asked)


_GIVE_CONSENT = PerDialect(_consent_once)
_SEGMENT_TOLD = (
    sa.update(_TABLE)
    .where(_KEY)
    .values(
        segment_asked=True,
        segment=sa.func.coalesce(sa.bindparam("told", type_=sa.String(32)), _c.segment),
    )
    .returning(_c.segment)
)


async def has_consented(session: AsyncSession, key: str) -> bool:
    return await scalar(session, _CONSENT, {"rkey": key}) is not None


async def give_consent(session: AsyncSession, key: str, now: datetime) -> bool:
    """Record the consent once (the first consent's time stays); whether the person was
    asked the segment before, which the same statement returns."""
    return bool(await scalar(session, _GIVE_CONSENT.of(session), {"rkey": key, "now": now}))


async def segment_of(session: AsyncSession, key: str) -> tuple[str | None, bool] | None:
    """(segment, asked before), or None for a person never seen."""
    row = await first(session, _SEGMENT, {"rkey": key})
    return (row[0], bool(row[1])) if row else None


async def ensure(session: AsyncSession, key: str, now: datetime) -> None:
    """The respondent row exists (without consent, which only the person gives)."""
    if await first(session, _CONSENT, {"rkey": key}) is None:
        await run(session, _CREATE, {"rkey": key, "now": now, "consent": None})


async def segment_told(
    session: AsyncSession, key: str, segment: str | None
) -> tuple[str | None] | None:
    """The segment question was answered (None: skipped); it is not asked again.

    Returns the segment now stored (the one told, or the one known when skipped), or None
    when the person has no row yet (`ensure` first).
    """
    row = await first(session, _SEGMENT_TOLD, {"rkey": key, "told": segment})
    return (row[0],) if row is not None else None


async def opt_ins(session: AsyncSession, key: str) -> tuple[bool, bool]:
    """(may be asked again later, wants an answer to their feedback)."""
    row = await first(session, _OPT_INS, {"rkey": key})
    return (bool(row[0]), bool(row[1])) if row else (False, False)


async def get_respondent(session: AsyncSession, key: str) -> Respondent | None:
    """The respondent's row as an ORM object, for the rare callers that change it."""
    return await session.get(Respondent, key)
