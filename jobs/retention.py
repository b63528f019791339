"""Retention: what identifies a person is dropped once it has served (storage.retention)."""

from __future__ import annotations

import logging

from core.clock import Clock
from storage.database import SessionPool
from storage.retention import InboxSweep, sweep_inbox

log = logging.getLogger(__name__)


async def retention_job(session_pool: SessionPool, clock: Clock) -> InboxSweep:
    """Idempotent: a second run finds nothing left to drop."""
    async with session_pool() as session, session.begin():
        sweep = await sweep_inbox(session, clock())
    if sweep.given_up or sweep.scrubbed:
        log.info(
            "inbox: %d stuck updates given up, %d handled ones scrubbed",
            sweep.given_up,
            sweep.scrubbed,
        )
    return sweep
