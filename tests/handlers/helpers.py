"""Small readers of the database for handler tests."""

from __future__ import annotations

import sqlalchemy as sa

from storage.database import SessionPool
from storage.models import Response, SessionStatus, SurveySession


async def count_responses(pool: SessionPool) -> int:
    async with pool() as session:
        return int(await session.scalar(sa.select(sa.func.count(Response.id))) or 0)


async def responses(pool: SessionPool) -> list[Response]:
    async with pool() as session:
        rows = await session.scalars(sa.select(Response).order_by(Response.id))
        result = list(rows.all())
        for row in result:
            await row.awaitable_attrs.answers
        return result


async def session_statuses(pool: SessionPool) -> list[SessionStatus]:
    async with pool() as session:
        return list((await session.scalars(sa.select(SurveySession.status))).all())
