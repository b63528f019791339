"""`otklik run` with OTKLIK_PUBLIC_URL serves the landing page beside the bot."""

from __future__ import annotations

import asyncio
import signal
import socket
from pathlib import Path

import aiohttp
import pytest

from bot.demo import EXAMPLE_REGISTRY
from sandbox import SandboxServer
from tests.e2e.test_bot_process import bot_env, otklik, sandbox  # noqa: F401 (a fixture)

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def landing_when_up(url: str, seconds: float) -> str:
    async with aiohttp.ClientSession() as session:
        for _ in range(int(seconds * 4)):
            try:
                async with session.get(url) as response:
                    text = await response.text()
                    if response.status == 200 and "Ответить в Telegram" in text:
                        return text
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.25)
    raise AssertionError(f"{url} did not answer with the landing page")


async def test_run_serves_the_landing_page(
    sandbox: SandboxServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    port = free_port()
    env = {
        **bot_env(sandbox, tmp_path),
        "OTKLIK_PUBLIC_URL": "https://otklik.example.ru",
        "OTKLIK_WEB_LISTEN": f"127.0.0.1:{port}",
        "OTKLIK_MAX_BOT_NAME": "otklik_max",
    }
    load = await otklik(env, tmp_path, "registry", "import", str(EXAMPLE_REGISTRY))
    output, _ = await load.communicate()
    assert load.returncode == 0, output.decode()
    bot = await otklik(env, tmp_path, "run")
    try:
        html = await landing_when_up(f"http://127.0.0.1:{port}/t/SUP01-EPGU", 120)
        assert "https://max.ru/otklik_max?start=t-SUP01-EPGU" in html
        assert "/t/SUP01-EPGU/form" in html
    finally:
        bot.send_signal(signal.SIGINT)
        output, _ = await asyncio.wait_for(bot.communicate(), 30)
    assert "Traceback" not in output.decode()
