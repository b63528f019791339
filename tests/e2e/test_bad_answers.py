"""`otklik run` as a process survives Bot API answers that are not JSON, and catches up.

A proxy in front of the Bot API answers a failure with an HTML 502 page or a plain-text 500;
the bot must treat them like any 5xx: at start-up (getMe, setMyCommands), when it sets up
polling (deleteWebhook) or the webhook (setWebhook), while polling, and when it sends.
"""

from __future__ import annotations

import asyncio
import signal
import socket
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest

from sandbox import SandboxServer
from storage.database import create_engine, create_session_pool
from storage.outbox import enqueue
from tests.e2e.test_bot_process import bot_env, otklik, sandbox  # noqa: F401  (fixture)

pytestmark = pytest.mark.e2e
GREETING = "Здравствуйте"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def queue_a_message(env: dict[str, str], cwd: Path, chat_id: int, text: str) -> None:
    """A message in the outbox before the bot starts: the sender must deliver it."""
    upgrade = await otklik(env, cwd, "db", "upgrade")
    output, _ = await upgrade.communicate()
    assert upgrade.returncode == 0, output.decode()
    engine = create_engine(env["OTKLIK_DATABASE_URL"])
    async with create_session_pool(engine)() as session, session.begin():
        await enqueue(session, chat_id=chat_id, text=text, kind="test")
    await engine.dispose()


async def alive_until(
    bot: asyncio.subprocess.Process, condition: Coroutine[Any, Any, object]
) -> None:
    """Wait for `condition`; fail at once when `otklik run` ends before it holds."""
    waiting = asyncio.ensure_future(condition)
    ended = asyncio.ensure_future(bot.wait())
    await asyncio.wait({waiting, ended}, return_when=asyncio.FIRST_COMPLETED)
    ended.cancel()
    if not waiting.done():
        waiting.cancel()
        raise AssertionError(f"otklik run ended with code {bot.returncode}")
    waiting.result()


async def stop_bot(bot: asyncio.subprocess.Process) -> str:
    """SIGINT, then everything it printed."""
    if bot.returncode is None:
        bot.send_signal(signal.SIGINT)
    output, _ = await asyncio.wait_for(bot.communicate(), 30)
    return output.decode()


def says(text: str) -> Callable[[list[dict[str, Any]]], bool]:
    return lambda messages: any(text in str(m.get("text")) for m in messages)


async def test_polling_survives_html_502_and_plain_500_everywhere_and_catches_up(
    sandbox: SandboxServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    env = bot_env(sandbox, tmp_path)
    sandbox.register_user(4243)
    await queue_a_message(env, tmp_path, 4243, "сообщение из очереди")
    for kind, method, count in [
        ("html_502", "getMe", 2),
        ("text_500", "setMyCommands", 1),
        ("html_502", "deleteWebhook", 1),
        ("html_502", "getUpdates", 2),
        ("text_500", "getUpdates", 1),
    ]:
        sandbox.add_fault(kind, method=method, count=count)
    sandbox.add_fault("html_502", method="sendMessage", chat_id=4243)  # the outbox sender's
    sandbox.inject_message(4242, "/start")  # waits at Telegram while the bot is in trouble
    bot = await otklik(env, tmp_path, "run")
    try:
        await alive_until(bot, sandbox.wait_for(4242, says(GREETING), 120))
        await alive_until(bot, sandbox.wait_for(4243, says("из очереди"), 60))
        assert sandbox.list_faults() == [], "every injected failure was met"
        sandbox.inject_message(4244, "/start")  # and it keeps working afterwards
        await alive_until(bot, sandbox.wait_for(4244, says(GREETING), 60))
        assert sandbox.commands, "the command menu was set after its failure"
    finally:
        output = await stop_bot(bot)
    assert bot.returncode == 0, output
    assert sandbox.stats()["faults_by_kind"] == {"html_error": 6, "text_error": 2}
    assert "Traceback" not in output, output


async def test_webhook_setup_survives_html_502_and_plain_500(
    sandbox: SandboxServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    env = bot_env(sandbox, tmp_path)
    port = free_port()
    sandbox.add_fault("text_500", method="getMe", count=1)
    sandbox.add_fault("html_502", method="setWebhook", count=1)
    sandbox.add_fault("text_500", method="setWebhook", count=1)
    sandbox.inject_message(4252, "/start")
    url = f"http://127.0.0.1:{port}/telegram"
    bot = await otklik(env, tmp_path, "run", "--webhook", url, "--listen", f"127.0.0.1:{port}")
    try:
        await alive_until(bot, sandbox.wait_for(4252, says(GREETING), 120))
        assert sandbox.list_faults() == []
    finally:
        output = await stop_bot(bot)
    assert bot.returncode == 0, output
    assert "Traceback" not in output, output
