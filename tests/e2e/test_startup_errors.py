"""Issue #17, point 10: «Start-up errors in one Russian line. A token Telegram rejects, an API
address that cannot be reached, a database that cannot be opened: one line each, saying what
to check; `otklik run` without a token writes nothing to `.env`».

`otklik run` runs as a process against the sandbox (which accepts one token only) or against
a local port nobody listens on; the database cases go through main() in-process.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.cli import main
from bot.demo import EXAMPLE_REGISTRY
from sandbox import SandboxServer

pytestmark = pytest.mark.e2e

ACCEPTED = "1000001:the-only-token-this-sandbox-accepts"
REJECTED = "1000001:a-token-telegram-does-not-know-xx"


@pytest.fixture
async def sandbox() -> AsyncIterator[SandboxServer]:
    async with SandboxServer(token=ACCEPTED) as server:
        yield server


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def run_until_it_ends(tmp_path: Path, **env: str) -> tuple[int, list[str]]:
    """`otklik run` with `env` over a fresh database; its exit code and its output lines."""
    return await otklik_until_it_ends(tmp_path, ("run",), **env)


async def otklik_until_it_ends(
    tmp_path: Path, command: tuple[str, ...], **env: str
) -> tuple[int, list[str]]:
    """`otklik COMMAND` with `env` over the test's database; exit code and output lines."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        *command,
        env={
            **os.environ,
            "OTKLIK_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'run.db'}",
            "OTKLIK_SECRET_KEY": "startup-secret",
            **env,
        },
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, output.decode().splitlines()


async def test_a_token_telegram_rejects_is_one_line(sandbox: SandboxServer, tmp_path: Path) -> None:
    code, lines = await run_until_it_ends(
        tmp_path, OTKLIK_BOT_TOKEN=REJECTED, OTKLIK_TELEGRAM_API_URL=sandbox.base_url
    )
    assert code == 2
    assert lines[-1] == (
        "Telegram не принимает токен из OTKLIK_BOT_TOKEN: проверьте его у @BotFather."
    )
    assert not any("Traceback" in line for line in lines)
    assert sandbox.calls["getme"] == 0  # the sandbox refused the token before any method


async def test_an_api_address_nobody_answers_is_one_line(tmp_path: Path) -> None:
    address = f"http://127.0.0.1:{unused_port()}"
    code, lines = await run_until_it_ends(
        tmp_path,
        OTKLIK_BOT_TOKEN=REJECTED,
        OTKLIK_TELEGRAM_API_URL=address,
        OTKLIK_STARTUP_CONNECT_SECONDS="1",
    )
    assert code == 2
    assert lines[-1] == (
        f"Bot API Telegram по адресу {address} недоступен: проверьте OTKLIK_TELEGRAM_API_URL, "
        "сеть и прокси-сервер."
    )
    assert not any("Traceback" in line for line in lines)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OTKLIK_SECRET_KEY", raising=False)
    monkeypatch.delenv("OTKLIK_BOT_TOKEN", raising=False)
    monkeypatch.delenv("OTKLIK_MAX_TOKEN", raising=False)
    monkeypatch.delenv("OTKLIK_LOCALE", raising=False)
    return tmp_path


def test_run_without_a_token_writes_nothing(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OTKLIK_DATABASE_URL", f"sqlite+aiosqlite:///{workdir / 'x.db'}")
    assert main(["run"]) == 2
    said = capsys.readouterr().err.splitlines()
    assert len(said) == 1 and said[0].startswith("Не задан токен бота: укажите OTKLIK_BOT_TOKEN")
    assert not (workdir / ".env").exists()
    assert not (workdir / "x.db").exists()


def test_a_database_that_cannot_be_opened_is_one_line(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / "a-file").write_text("not a folder")
    port = unused_port()
    cases = {
        "not a url at all": "OTKLIK_DATABASE_URL не похож на адрес базы данных, с которой "
        "работает «Отклик»: ожидается sqlite+aiosqlite:///./otklik.db или "
        "postgresql+asyncpg://ПОЛЬЗОВАТЕЛЬ:ПАРОЛЬ@ХОСТ:ПОРТ/БАЗА.",
        f"sqlite+aiosqlite:///{workdir / 'a-file' / 'otklik.db'}": "Не удаётся открыть базу "
        f"данных SQLite {workdir / 'a-file' / 'otklik.db'}: проверьте, что папка существует и у "
        "пользователя, от имени которого работает бот, есть право записи в неё "
        "(OTKLIK_DATABASE_URL).",
        f"postgresql+asyncpg://otklik:secret@127.0.0.1:{port}/otklik": "Сервер базы данных "
        f"127.0.0.1:{port} не отвечает: проверьте, что он запущен и в OTKLIK_DATABASE_URL "
        "указаны верные хост и порт.",
    }
    monkeypatch.setenv("OTKLIK_SECRET_KEY", "startup-secret")
    monkeypatch.setenv("OTKLIK_BOT_TOKEN", REJECTED)
    for url, line in cases.items():
        monkeypatch.setenv("OTKLIK_DATABASE_URL", url)
        for command in (["db", "upgrade"], ["run"], ["cases", "list"]):
            assert main(command) == 2, (url, command)
            said = capsys.readouterr()
            assert said.err.splitlines() == [line], (url, command)
            assert "secret" not in said.err


def test_a_postgresql_that_refuses_is_one_line(
    workdir: Path,
    postgres_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The server answers but has no such database: the account and the name are to check."""
    missing = postgres_url.rsplit("/", 1)[0] + "/otklik_missing"
    monkeypatch.setenv("OTKLIK_DATABASE_URL", missing)
    monkeypatch.setenv("OTKLIK_SECRET_KEY", "startup-secret")
    assert main(["db", "upgrade"]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line == (
        f"База данных {missing} отказала в подключении (InvalidCatalogNameError): проверьте "
        "имя пользователя, пароль и название базы в OTKLIK_DATABASE_URL."
    )


def test_links_without_a_known_bot_name_say_what_to_give(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The commands that print deep links learn the bot's name from Telegram: without a token
    (or when Telegram refuses it, or cannot be reached) one line, and no invite is left."""
    monkeypatch.setenv("OTKLIK_DATABASE_URL", f"sqlite+aiosqlite:///{workdir / 'x.db'}")
    monkeypatch.setenv("OTKLIK_SECRET_KEY", "startup-secret")
    assert main(["registry", "import", str(EXAMPLE_REGISTRY)]) == 0
    capsys.readouterr()
    invite = ["invites", "create", "--department", "OIT"]
    assert main(invite) == 2
    assert capsys.readouterr().err == (
        "Имя бота пока неизвестно: укажите --bot-username ИМЯ или задайте OTKLIK_BOT_TOKEN, "
        "чтобы его сообщил Telegram.\n"
    )
    address = f"http://127.0.0.1:{unused_port()}"
    monkeypatch.setenv("OTKLIK_BOT_TOKEN", REJECTED)
    monkeypatch.setenv("OTKLIK_TELEGRAM_API_URL", address)
    assert main(invite) == 2
    assert capsys.readouterr().err.startswith(f"Bot API Telegram по адресу {address} недоступен")
    with sqlite3.connect(workdir / "x.db") as db:
        assert db.execute("SELECT count(*) FROM invites").fetchone() == (0,)


async def test_links_with_a_token_telegram_rejects_say_so(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    env = {"OTKLIK_BOT_TOKEN": REJECTED, "OTKLIK_TELEGRAM_API_URL": sandbox.base_url}
    code, lines = await otklik_until_it_ends(
        tmp_path, ("registry", "import", str(EXAMPLE_REGISTRY)), **env
    )
    assert code == 0, lines
    code, lines = await otklik_until_it_ends(
        tmp_path, ("invites", "create", "--department", "OIT"), **env
    )
    assert (code, lines) == (
        2,
        ["Telegram не принимает токен из OTKLIK_BOT_TOKEN: проверьте его у @BotFather."],
    )
