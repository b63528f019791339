"""A lease in the database: one holder at a time, taken over when the holder stops renewing.

Portable (SQLite and PostgreSQL): a conditional UPDATE is the compare-and-set; the row is
created on first use.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from storage.database import SessionPool
from storage.delivery_models import Lease


async def acquire(
    pool: SessionPool, name: str, holder: str, *, ttl: timedelta, now: datetime
) -> bool:
    """Take or renew the lease; True when `holder` has it until now + ttl."""
    async with pool() as session, session.begin():
        taken = await session.execute(
            sa.update(Lease)
            .where(Lease.name == name, sa.or_(Lease.holder == holder, Lease.expires_at <= now))
            .values(holder=holder, expires_at=now + ttl)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount == 1:  # type: ignore[attr-defined]
            return True
        exists = await session.scalar(sa.select(Lease.name).where(Lease.name == name))
        if exists is not None:
            return False
    try:
        async with pool() as session, session.begin():
            session.add(Lease(name=name, holder=holder, expires_at=now + ttl))
        return True
    except IntegrityError:  # another replica created it a moment earlier
        return False


async def release(pool: SessionPool, name: str, holder: str) -> None:
    async with pool() as session, session.begin():
        await session.execute(sa.delete(Lease).where(Lease.name == name, Lease.holder == holder))


async def live_holders(pool: SessionPool, prefix: str, *, now: datetime) -> dict[str, str]:
    """Unexpired leases whose name starts with `prefix`: name → holder."""
    async with pool() as session:
        rows = await session.execute(
            sa.select(Lease.name, Lease.holder).where(
                Lease.name.startswith(prefix, autoescape=True), Lease.expires_at > now
            )
        )
        return {name: holder for name, holder in rows}
