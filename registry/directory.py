"""Finding a service without a QR code: directions, processes, touchpoints, text search."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    ActivityDirection,
    ClientType,
    OrganizationSettings,
    Process,
    Touchpoint,
)
from storage.statements import first, scalar

_touchpoints = cast(sa.Table, Touchpoint.__table__).c
_processes = cast(sa.Table, Process.__table__).c
_BY_PAYLOAD = sa.select(_touchpoints.id, _touchpoints.process_id).where(
    _touchpoints.payload == sa.bindparam("payload"), _touchpoints.active
)


async def payload_target(session: AsyncSession, payload: str) -> tuple[int, int] | None:
    """(touchpoint, process) of an active touchpoint's link payload (its QR code)."""
    row = await first(session, _BY_PAYLOAD, {"payload": payload})
    return (int(row[0]), int(row[1])) if row else None


# The process a touchpoint belongs to wins over the one named beside it (callback data).
_CLIENT_TYPE = sa.select(_processes.client_type).where(
    _processes.id
    == sa.func.coalesce(
        sa.select(_touchpoints.process_id)
        .where(_touchpoints.id == sa.bindparam("touchpoint_id"))
        .scalar_subquery(),
        sa.bindparam("process_id"),
    )
)


async def is_internal_service(
    session: AsyncSession, *, touchpoint_id: int | None, process_id: int | None
) -> bool:
    """Whether a questionnaire about this touchpoint or process rates an internal service
    (for employees only, seed 004), whatever link or button led there."""
    params = {"touchpoint_id": touchpoint_id or 0, "process_id": process_id or 0}
    client_type = await scalar(session, _CLIENT_TYPE, params)
    return client_type == ClientType.INTERNAL


def _rated_processes(client_type: ClientType) -> sa.Select[Process]:
    has_touchpoint = sa.exists().where(Touchpoint.process_id == Process.id, Touchpoint.active)
    return sa.select(Process).where(
        Process.active, Process.client_type == client_type, has_touchpoint
    )


async def directions_with_services(session: AsyncSession) -> list[tuple[int, str]]:
    subquery = _rated_processes(ClientType.EXTERNAL).with_only_columns(Process.direction_id)
    rows = await session.execute(
        sa.select(ActivityDirection.id, ActivityDirection.name)
        .where(ActivityDirection.id.in_(subquery))
        .order_by(ActivityDirection.position)
    )
    return [(row.id, row.name) for row in rows]


async def processes_of(session: AsyncSession, direction_id: int) -> list[tuple[int, str]]:
    query = _rated_processes(ClientType.EXTERNAL).where(Process.direction_id == direction_id)
    return [(p.id, p.name) for p in (await session.scalars(query.order_by(Process.name))).all()]


async def touchpoints_of(session: AsyncSession, process_id: int) -> list[tuple[int, str]]:
    rows = await session.scalars(
        sa.select(Touchpoint)
        .where(Touchpoint.process_id == process_id, Touchpoint.active)
        .order_by(Touchpoint.name)
    )
    return [(t.id, t.name) for t in rows.all()]


async def search_touchpoints(
    session: AsyncSession, text: str, limit: int = 8
) -> list[tuple[int, str]]:
    """Touchpoints whose own or process name contains every typed word (case-insensitive)."""
    words = [w for w in text.casefold().split() if len(w) >= 2][:5]
    if not words:
        return []
    rows = await session.execute(
        sa.select(Touchpoint.id, Touchpoint.name, Process.name.label("process"))
        .join(Process, Process.id == Touchpoint.process_id)
        .where(Touchpoint.active, Process.active, Process.client_type == ClientType.EXTERNAL)
    )
    found: list[tuple[int, str]] = []
    for row in rows:
        haystack = f"{row.process} {row.name}".casefold()
        if all(word in haystack for word in words):
            found.append((row.id, f"{row.process}: {row.name}"))
    return found[:limit]


async def internal_services(session: AsyncSession) -> list[tuple[int, str]]:
    rows = await session.scalars(
        sa.select(Process)
        .where(Process.active, Process.client_type == ClientType.INTERNAL)
        .order_by(Process.name)
    )
    return [(p.id, p.name) for p in rows.all()]


@dataclass(frozen=True)
class Landing:
    """What a touchpoint's page shows: who asks, about what, where; and its links' payload."""

    touchpoint_id: int
    process_id: int
    code: str
    payload: str
    place: str
    process_name: str
    organization: str
    bot_username: str | None
    internal: bool


async def landing_of(session: AsyncSession, code: str) -> Landing | None:
    """The active touchpoint of an active process with this code, or None."""
    row = (
        await session.execute(
            sa.select(
                Touchpoint.id,
                Touchpoint.process_id,
                Touchpoint.code,
                Touchpoint.payload,
                Touchpoint.name,
                Process.name,
                Process.client_type,
            )
            .join(Process, Process.id == Touchpoint.process_id)
            .where(Touchpoint.code == code, Touchpoint.active, Process.active)
        )
    ).first()
    if row is None:
        return None
    organization = (
        await session.execute(
            sa.select(OrganizationSettings.name, OrganizationSettings.bot_username).limit(1)
        )
    ).first()
    return Landing(
        touchpoint_id=row[0],
        process_id=row[1],
        code=row[2],
        payload=row[3],
        place=row[4],
        process_name=row[5],
        organization=organization[0] if organization else "",
        bot_username=(organization[1] or None) if organization else None,
        internal=row[6] == ClientType.INTERNAL,
    )
