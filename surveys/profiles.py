"""What the bot remembers of a respondent (consent, segment, opt-ins), by direct statements.

Read and written on every questionnaire's opening and completion (storage.direct); the
occasional callers that hold an ORM session pass it and get the same statements.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from storage.direct import Direct, Statement
from storage.models import Respondent

_TABLE = cast(sa.Table, Respondent.__table__)
_c = _TABLE.c
_KEY = _c.key == sa.bindparam("rkey")

_CONSENT = Statement.of(sa.select(_c.consent_at).where(_KEY))
_SEGMENT = Statement.of(sa.select(_c.segment, _c.segment_asked).where(_KEY))
_OPT_INS = Statement.of(sa.select(_c.recontact_ok, _c.answer_ok).where(_KEY))
_CREATE = Statement.of(
    sa.insert(_TABLE).values(
        key=sa.bindparam("rkey"), created_at=sa.bindparam("now"), consent_at=sa.bindparam("consent")
    )
)
_GIVE_CONSENT = Statement.of(
    sa.update(_TABLE).where(_KEY, _c.consent_at.is_(None)).values(consent_at=sa.bindparam("now"))
)
_SEGMENT_TOLD = Statement.of(
    sa.update(_TABLE)
    .where(_KEY)
    .values(
        segment_asked=True,
        segment=sa.func.coalesce(sa.bindparam("told", type_=sa.String(32)), _c.segment),
    )
)


async def has_consented(db: Direct, key: str) -> bool:
    return await db.scalar(_CONSENT, {"rkey": key}) is not None


async def give_consent(db: Direct, key: str, now: datetime) -> None:
    """Record the consent once; the first consent's time stays."""
    if await db.run(_GIVE_CONSENT, {"rkey": key, "now": now}) == 1:
        return
    if await db.row(_CONSENT, {"rkey": key}) is None:
        await db.run(_CREATE, {"rkey": key, "now": now, "consent": now})


async def segment_of(db: Direct, key: str) -> tuple[str | None, bool] | None:
    """(segment, asked before), or None for a person never seen."""
    row = await db.row(_SEGMENT, {"rkey": key})
    return (row[0], bool(row[1])) if row else None


async def ensure(db: Direct, key: str, now: datetime) -> None:
    """The respondent row exists (without consent, which only the person gives)."""
    if await db.row(_CONSENT, {"rkey": key}) is None:
        await db.run(_CREATE, {"rkey": key, "now": now, "consent": None})


async def segment_told(db: Direct, key: str, segment: str | None) -> None:
    """The segment question was answered (None: skipped); it is not asked again."""
    await db.run(_SEGMENT_TOLD, {"rkey": key, "told": segment})


async def opt_ins(db: Direct, key: str) -> tuple[bool, bool]:
    """(may be asked again later, wants an answer to their feedback)."""
    row = await db.row(_OPT_INS, {"rkey": key})
    return (bool(row[0]), bool(row[1])) if row else (False, False)


async def get_respondent(session: AsyncSession, key: str) -> Respondent | None:
    """The respondent's row as an ORM object, for the rare callers that change it."""
    return await session.get(Respondent, key)
