"""Scheduled jobs run in exactly one replica: the holder of the `scheduler` lease.

Every replica runs a scheduler; each job first asks whether this replica leads. The leader
renews its lease every few seconds; when it dies, the lease lapses and another takes over.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from core.clock import Clock, utcnow
from storage.database import SessionPool
from storage.lease import acquire, release

log = logging.getLogger(__name__)
LEASE = "scheduler"


class Leadership:
    def __init__(
        self, pool: SessionPool, *, ttl: timedelta = timedelta(seconds=30), clock: Clock = utcnow
    ) -> None:
        self.pool = pool
        self.ttl = ttl
        self.clock = clock
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.is_leader = False

    async def renew(self) -> bool:
        was = self.is_leader
        self.is_leader = await acquire(
            self.pool, LEASE, self.holder, ttl=self.ttl, now=self.clock()
        )
        if self.is_leader != was:
            log.info(
                "replica %s %s the scheduler",
                self.holder,
                "now leads" if self.is_leader else "no longer leads",
            )
        return self.is_leader

    async def run(self, stop: asyncio.Event) -> None:
        interval = self.ttl.total_seconds() / 3
        try:
            while not stop.is_set():
                try:
                    await self.renew()
                except Exception:  # a database blip: not leading until the next renewal
                    self.is_leader = False
                    log.exception("lease renewal failed")
                try:
                    await asyncio.wait_for(stop.wait(), interval)
                except TimeoutError:
                    pass
        finally:
            if self.is_leader:
                await release(self.pool, LEASE, self.holder)
                self.is_leader = False

    def guard(self, job: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        """The job, run only while this replica leads."""

        @wraps(job)
        async def only_on_leader(*args: Any, **kwargs: Any) -> Any:
            if not self.is_leader:
                return None
            return await job(*args, **kwargs)

        return only_on_leader
