"""One process takes updates by long polling per database; webhook replicas never mix with it.

A second `otklik run` with long polling would end the first's getUpdates (Telegram answers
the older one 409) and both would fight; a poller started beside webhook replicas would
delete their webhook. So the poller holds the `polling` lease, each webhook replica a
`webhook:…` lease of its own, and a process that would collide refuses to start with one
line. A holder that died on this machine is recognised at once (its pid is gone); one that
died elsewhere is recognised when its lease lapses (30 s).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from datetime import timedelta

from core.clock import Clock, utcnow
from core.i18n import Translator, translator
from core.settings import SettingsError
from storage.database import SessionPool
from storage.lease import acquire, live_holders, release

log = logging.getLogger(__name__)
POLLING = "polling"
WEBHOOK = "webhook:"


def _alive_elsewhere(holder: str) -> bool:
    """False only when the holder provably died: this machine, and its pid is gone (or ours)."""
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return True
    pid = int(pid_text)
    if pid == os.getpid():  # an earlier life of this very process id (a restarted container)
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True


def _refusal(holder: str, template: str) -> SettingsError:
    host, _, rest = holder.partition(":")
    return SettingsError(template.format(pid=rest.partition(":")[0] or "?", host=host or "?"))


def second_poller(_: Translator) -> str:
    return _(
        "The bot already takes updates from this database (process {pid} on {host}), a second "
        "`otklik run` is not started: stop the first one or wait 30 s if it has just crashed."
    )


def poller_beside_webhook(_: Translator) -> str:
    return _(
        "Replicas with --webhook work with this database (process {pid} on {host}): "
        "`otklik run` without --webhook would delete their webhook and is not started."
    )


def webhook_beside_poller(_: Translator) -> str:
    return _(
        "A long-polling bot already works with this database (process {pid} on {host}): "
        "the replica with --webhook is not started, stop that bot first."
    )


class IntakeLease:
    """The lease of this process's way of taking updates, renewed until `stop`."""

    def __init__(
        self,
        pool: SessionPool,
        *,
        webhook: bool,
        ttl: timedelta = timedelta(seconds=30),
        clock: Clock = utcnow,
        _: Translator | None = None,
    ) -> None:
        self.pool = pool
        self._ = _ or translator()
        self.ttl = ttl
        self.clock = clock
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.name = f"{WEBHOOK}{self.holder.rpartition(':')[2]}" if webhook else POLLING

    async def take(self) -> None:
        """Take the lease, or raise a one-line `SettingsError` saying who runs already."""
        now = self.clock()
        if self.name == POLLING:
            for holder in (await live_holders(self.pool, WEBHOOK, now=now)).values():
                if _alive_elsewhere(holder):
                    raise _refusal(holder, poller_beside_webhook(self._))
        else:
            for holder in (await live_holders(self.pool, POLLING, now=now)).values():
                if _alive_elsewhere(holder):
                    raise _refusal(holder, webhook_beside_poller(self._))
        if await acquire(self.pool, self.name, self.holder, ttl=self.ttl, now=now):
            return
        current = await live_holders(self.pool, self.name, now=now)
        holder = current.get(self.name, "")
        if holder and not _alive_elsewhere(holder):
            log.info("taking over the %s lease of a process that died", self.name)
            await release(self.pool, self.name, holder)
            if await acquire(self.pool, self.name, self.holder, ttl=self.ttl, now=now):
                return
        raise _refusal(holder, second_poller(self._))

    async def keep(self, stop: asyncio.Event) -> None:
        """Renew until `stop`; if another process took the lease meanwhile, stop this one."""
        interval = self.ttl.total_seconds() / 3
        try:
            while not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), interval)
                if stop.is_set():
                    break
                try:
                    held = await acquire(
                        self.pool, self.name, self.holder, ttl=self.ttl, now=self.clock()
                    )
                except Exception:  # a database blip: try again at the next renewal
                    log.exception("intake lease renewal failed")
                    continue
                if not held:
                    log.error("another process took over the %s lease; stopping", self.name)
                    stop.set()
        finally:
            with contextlib.suppress(Exception):
                await release(self.pool, self.name, self.holder)
