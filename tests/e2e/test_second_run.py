"""A second `otklik run` on the same database refuses in one Russian line; the first goes on."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from sandbox import SandboxServer
from tests.e2e.test_bad_answers import GREETING, alive_until, free_port, says, stop_bot
from tests.e2e.test_bot_process import bot_env, otklik, sandbox  # noqa: F401  (fixture)

pytestmark = pytest.mark.e2e


async def refused(env: dict[str, str], cwd: Path, *args: str) -> str:
    """Start `otklik run`, which must end by itself, non-zero, with one line and no traceback."""
    second = await otklik(env, cwd, "run", *args)
    output, _ = await asyncio.wait_for(second.communicate(), 60)
    text = output.decode()
    assert second.returncode not in (0, None), text
    assert "Traceback" not in text, text
    return text


async def test_a_second_poller_refuses_and_the_first_keeps_working(
    sandbox: SandboxServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    env = bot_env(sandbox, tmp_path)
    first = await otklik(env, tmp_path, "run")
    try:
        sandbox.inject_message(4261, "/start")
        await alive_until(first, sandbox.wait_for(4261, says(GREETING), 120))
        text = await refused(env, tmp_path)
        [line] = [line for line in text.splitlines() if "не запущен" in line]
        assert "Бот уже получает обновления из этой базы данных" in line
        sandbox.inject_message(4262, "/start")
        await alive_until(first, sandbox.wait_for(4262, says(GREETING), 60))
    finally:
        output = await stop_bot(first)
    assert first.returncode == 0 and "Traceback" not in output, output

    again = await otklik(env, tmp_path, "run")  # the lease went with the first: a new one starts
    try:
        sandbox.inject_message(4263, "/start")
        await alive_until(again, sandbox.wait_for(4263, says(GREETING), 120))
    finally:
        output = await stop_bot(again)
    assert again.returncode == 0 and "Traceback" not in output, output


async def test_beside_a_webhook_replica_a_poller_and_a_busy_port_are_refused(
    sandbox: SandboxServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    env = bot_env(sandbox, tmp_path)
    port = free_port()
    hook = ["--webhook", f"http://127.0.0.1:{port}/telegram", "--listen", f"127.0.0.1:{port}"]
    first = await otklik(env, tmp_path, "run", *hook)
    try:
        sandbox.inject_message(4271, "/start")
        await alive_until(first, sandbox.wait_for(4271, says(GREETING), 120))
        poller = await refused(env, tmp_path)
        assert "удалил бы их вебхук" in poller
        busy = await refused(env, tmp_path, *hook)
        assert f"Не удалось слушать 127.0.0.1:{port}" in busy
        sandbox.inject_message(4272, "/start")
        await alive_until(first, sandbox.wait_for(4272, says(GREETING), 60))
    finally:
        output = await stop_bot(first)
    assert first.returncode == 0 and "Traceback" not in output, output
