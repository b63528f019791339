"""Who may take updates: one poller per database, never beside webhook replicas."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from bot.single_intake import IntakeLease
from core.settings import SettingsError
from storage.database import SessionPool
from storage.lease import release


def dead_pid() -> int:
    """A process id that no longer exists (a child that ended and was reaped)."""
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(child.stdout)


def living_holder() -> str:
    """A holder in another live process on this machine (the one that runs the tests)."""
    return f"{socket.gethostname()}:{os.getppid()}:{os.urandom(4).hex()}"


async def test_a_poller_that_died_on_this_machine_is_taken_over_at_once(
    session_pool: SessionPool,
) -> None:
    crashed = IntakeLease(session_pool, webhook=False)
    crashed.holder = f"{socket.gethostname()}:{dead_pid()}:0badf00d"
    await crashed.take()  # its lease is still valid for 30 s, but its process is gone
    restarted = IntakeLease(session_pool, webhook=False)
    restarted.holder = living_holder()
    await restarted.take()
    with pytest.raises(SettingsError, match="Бот уже получает обновления"):
        await IntakeLease(session_pool, webhook=False).take()  # the restarted one lives


async def test_pollers_and_webhook_replicas_never_mix(session_pool: SessionPool) -> None:
    replicas = [IntakeLease(session_pool, webhook=True) for _ in range(2)]
    for replica in replicas:
        replica.holder = living_holder()
        await replica.take()  # several webhook replicas are the documented deployment
    with pytest.raises(SettingsError, match="удалил бы их вебхук"):
        await IntakeLease(session_pool, webhook=False).take()
    elsewhere = IntakeLease(session_pool, webhook=False)
    elsewhere.holder = f"other-host:{os.getpid()}:12345678"
    for replica in replicas:
        await release(session_pool, replica.name, replica.holder)
    await elsewhere.take()
    with pytest.raises(SettingsError, match="реплика с --webhook не запущена"):
        await IntakeLease(session_pool, webhook=True).take()
