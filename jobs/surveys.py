"""Survey housekeeping: unfinished questionnaires past their time become abandoned, and
conversation states nobody came back to are dropped, so the FSM table stays small."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Protocol, runtime_checkable

from core.clock import Clock
from storage.database import SessionPool
from storage.fsm import STATE_RETENTION
from surveys.attempts import expire_sessions

log = logging.getLogger(__name__)


@runtime_checkable
class StaleStates(Protocol):
    """Conversation states that age in the database (bot.fsm.SqlFsmStorage; Redis expires
    its keys itself)."""

    async def purge_older_than(self, age: timedelta) -> int: ...


async def expire_unfinished(session_pool: SessionPool, clock: Clock) -> int:
    """Idempotent: an attempt is abandoned once; a second run finds nothing to do."""
    async with session_pool() as session, session.begin():
        expired = await expire_sessions(session, clock())
    if expired:
        log.info("%d unfinished questionnaires recorded as abandoned", expired)
    return expired


async def purge_fsm(storage: StaleStates, ttl: timedelta = STATE_RETENTION) -> int:
    """Idempotent: what is older than `ttl` goes; a second run finds nothing to do."""
    purged = await storage.purge_older_than(ttl)
    if purged:
        log.info("%d stale conversation states purged", purged)
    return purged
