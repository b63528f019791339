"""The bot as a real process (`otklik run`) against the sandbox over HTTP."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.demo import EXAMPLE_REGISTRY
from sandbox import SandboxServer
from sandbox.telegram.simulated import SimulatedUser
from storage.database import create_engine

pytestmark = pytest.mark.e2e


@pytest.fixture
async def sandbox() -> AsyncIterator[SandboxServer]:
    async with SandboxServer() as server:
        yield server


def bot_env(sandbox: SandboxServer, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "OTKLIK_BOT_TOKEN": "1000001:E2E-token-for-the-sandbox-only-x",
        "OTKLIK_TELEGRAM_API_URL": sandbox.base_url,
        "OTKLIK_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'e2e.db'}",
        "OTKLIK_SECRET_KEY": "e2e-secret",
    }


async def otklik(env: dict[str, str], cwd: Path, *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        *args,
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )


async def test_start_payload_and_a_full_questionnaire_over_http(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    env = bot_env(sandbox, tmp_path)
    load = await otklik(env, tmp_path, "registry", "import", str(EXAMPLE_REGISTRY))
    output, _ = await load.communicate()
    assert load.returncode == 0, output.decode()

    # Sent while the bot was down: must be handled once it starts (no drop_pending_updates).
    sandbox.inject_message(4242, "/start")
    bot = await otklik(env, tmp_path, "run")
    try:
        await sandbox.wait_for(
            4242, lambda ms: any("Здравствуйте" in str(m.get("text")) for m in ms), 180
        )
        user = SimulatedUser(sandbox, 31337, timeout=60)
        await user.say("/start t-SUP01-EPGU", expect="Прежде чем начать")
        await user.tap("Дать согласие", expect="Вопрос 1")
        assert "Вопрос 1" in user.last_text
        await user.tap("5", expect="комментарий")
        await user.say("Всё быстро и понятно", expect="в каком качестве вы обращались")
        await user.tap("Гражданин", expect="Спасибо")
        # The default scope is the citizens' menu; staff chats have their own (#17.2).
        commands = sandbox.commands[(json.dumps({"type": "default"}), "")]
        assert [c["command"] for c in commands] == ["start", "help", "forget"]
        staff = [key for key in sandbox.commands if '"chat"' in key[0]]
        assert all(
            {"start", "help", "forget"} < {c["command"] for c in sandbox.commands[key]}
            for key in staff
        )
    finally:
        bot.send_signal(signal.SIGINT)
        output, _ = await asyncio.wait_for(bot.communicate(), 30)
    engine = create_engine(env["OTKLIK_DATABASE_URL"])
    async with engine.connect() as connection:
        stored = (await connection.execute(sa.text("SELECT rating, channel FROM responses"))).all()
    await engine.dispose()
    assert [tuple(row) for row in stored] == [(5, "digital")]
    assert "Traceback" not in output.decode()
    # aiogram's line per handled update comes with --verbose only: not a line per answer.
    assert "is handled" not in output.decode() and " INFO " in output.decode()


async def test_messages_to_owners_who_never_opened_the_bot_wait_for_their_first_start(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    """Issue #13, point 5, as on launch day: nobody has pressed Start yet.

    SUP03's owner is known by Telegram id (the sandbox answers "chat not found", as Telegram
    does), SUP05's only by @kuznetsova_umsp (no chat id at all). Their case notices wait,
    the CLI lists them, and each gets them after writing to the bot for the first time.
    """
    env = {**bot_env(sandbox, tmp_path), "OTKLIK_OFFICER_IDS": "900001"}
    for args in (
        ("registry", "import", str(EXAMPLE_REGISTRY)),
        ("cases", "open", "--process", "SUP03"),
        ("cases", "open", "--process", "SUP05"),
    ):
        command = await otklik(env, tmp_path, *args)
        output, _ = await command.communicate()
        assert command.returncode == 0, output.decode()
    sandbox.register_user(900001)  # the officer has opened the bot
    bot = await otklik(env, tmp_path, "run")
    try:
        await sandbox.wait_for(
            900001,
            lambda ms: sum("Открыт реинжиниринг" in str(m.get("text")) for m in ms) == 2,
            180,
        )
        listing = await otklik(
            env, tmp_path, "people", "unreachable", "--bot-username", "otklik_bot"
        )
        output, _ = await listing.communicate()
        text = output.decode()
        assert listing.returncode == 0, text
        assert "@kuznetsova_umsp" in text and "SUP05" in text and "SUP03" in text
        assert "https://t.me/otklik_bot?start=hello" in text

        owner = SimulatedUser(sandbox, 700003, timeout=60)
        await owner.say("/start hello", expect="Для вас накопились сообщения")
        await sandbox.wait_for(
            700003, lambda ms: any("Открыт реинжиниринг" in str(m.get("text")) for m in ms), 60
        )
        sandbox.register_user(700077, username="Kuznetsova_UMSP")
        by_username = SimulatedUser(sandbox, 700077, timeout=60)
        await by_username.say("/start", expect="Для вас накопились сообщения")
        await sandbox.wait_for(
            700077, lambda ms: any("Открыт реинжиниринг" in str(m.get("text")) for m in ms), 60
        )
    finally:
        bot.send_signal(signal.SIGINT)
        output, _ = await asyncio.wait_for(bot.communicate(), 30)
    engine = create_engine(env["OTKLIK_DATABASE_URL"])
    async with engine.connect() as connection:
        held = (
            await connection.execute(
                sa.text(
                    "SELECT count(*) FROM outbox JOIN people ON people.id = outbox.person_id "
                    "WHERE outbox.status = 'held' AND people.telegram_id IN (700003, 700077)"
                )
            )
        ).scalar()
    await engine.dispose()
    assert held == 0
    assert "Traceback" not in output.decode()
