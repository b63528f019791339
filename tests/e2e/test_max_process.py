"""`otklik run` with only OTKLIK_MAX_TOKEN: the bot serves MAX alone, against the MAX stand-in."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.demo import EXAMPLE_REGISTRY
from sandbox import MaxSandboxServer
from sandbox.simulated import SimulatedUser
from storage.database import create_engine
from tests.e2e.test_bot_process import otklik

pytestmark = pytest.mark.e2e


@pytest.fixture
async def max_server() -> AsyncIterator[MaxSandboxServer]:
    async with MaxSandboxServer() as server:
        yield server


async def test_otklik_run_with_only_the_max_token_serves_a_questionnaire(
    max_server: MaxSandboxServer, tmp_path: Path
) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("OTKLIK_BOT_TOKEN", "OTKLIK_TELEGRAM_API_URL")
    }
    env.update(
        {
            "OTKLIK_MAX_TOKEN": "max-e2e-token-for-the-stand-in",
            "OTKLIK_MAX_API_URL": max_server.base_url,
            "OTKLIK_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'e2e.db'}",
            "OTKLIK_SECRET_KEY": "e2e-secret",
            "OTKLIK_OFFICER_IDS": "max:777001",  # the first officer, known in MAX only
        }
    )
    load = await otklik(env, tmp_path, "registry", "import", str(EXAMPLE_REGISTRY))
    output, _ = await load.communicate()
    assert load.returncode == 0, output.decode()

    invite = await otklik(env, tmp_path, "invites", "create", "--department", "UMSP")
    printed, _ = await invite.communicate()
    assert invite.returncode == 0, printed.decode()
    # No Telegram token: the link is MAX's, the bot's name from MAX's getMe.
    assert printed.decode().strip().startswith("https://max.ru/otklik_sandbox_bot?start=inv-")

    bot = await otklik(env, tmp_path, "run")
    try:
        await asyncio.sleep(0)
        if bot.returncode is not None:
            raise AssertionError((await bot.communicate())[0].decode())
        user = SimulatedUser(max_server, 31337, timeout=60)
        await user.start("t-SUP01-EPGU", expect="Прежде чем начать")
        await user.tap("Дать согласие", expect="Вопрос 1")
        await user.tap("5", expect="комментарий")
        await user.say("Всё быстро и понятно", expect="в каком качестве вы обращались")
        await user.tap("Гражданин", expect="Спасибо")
        officer = SimulatedUser(max_server, 777001, timeout=60)
        await officer.say("/stats", expect="Все процессы")
    finally:
        if bot.returncode is None:
            bot.send_signal(signal.SIGINT)
        output, _ = await asyncio.wait_for(bot.communicate(), 30)
    engine = create_engine(env["OTKLIK_DATABASE_URL"])
    async with engine.connect() as connection:
        stored = (
            await connection.execute(sa.text("SELECT rating, collected_via FROM responses"))
        ).all()
    await engine.dispose()
    assert [tuple(row) for row in stored] == [(5, "max")]
    text = output.decode()
    assert "Traceback" not in text, text
    assert "max-e2e-token" not in text  # the token is never logged
