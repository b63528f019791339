"""Each role's command menu, read back from the stand-ins over HTTP (#17.2).

«the command menu shows /rate, /stats, /cases to every citizen and hides /invite and /campaign
from the officer … Menus per person by role (Telegram's per-chat command scopes; the same in
MAX)». Telegram: the default scope holds the citizens' menu, each staff chat its own. MAX has
one command list per bot (PATCH /me/commands): the citizens'.
"""

from __future__ import annotations

import asyncio

import sqlalchemy as sa

from bot.app import prepare, prepare_max
from bot.factory import create_bot
from bot.max.channel import create_max_channel
from core.i18n import translator
from core.settings import Settings
from handlers.menus import MenuKeeper
from sandbox import MaxSandboxServer, SandboxServer
from sandbox.client import SandboxClient
from storage.database import SessionPool
from storage.models import Person, Process
from tests.conftest import SmallRegistry

OWNER, OFFICER, EMPLOYEE, CITIZEN = 700001, 900001, 800001, 5555
CITIZENS = ["start", "help", "forget"]
EMPLOYEES = ["start", "rate", "request", "myrequests", "quiet", "help", "forget"]
OWNERS = ["start", "rate", "request", "myrequests", "stats", "cases", "quiet", "help", "forget"]
OFFICERS = [
    "start", "rate", "request", "myrequests", "stats", "cases", "invite", "campaign", "late",
    "quiet", "help", "forget",
]  # fmt: skip


async def menu(client: SandboxClient, chat_id: int | None = None) -> list[str]:
    found = await client.chat_commands(chat_id)
    return [c.get("command") or c["name"] for c in found["commands"]]


async def test_each_role_reads_its_own_menu(
    both_settings: Settings,
    session_pool: SessionPool,
    registry: SmallRegistry,
    stand_ins: tuple[SandboxServer, MaxSandboxServer],
) -> None:
    telegram, max_server = stand_ins
    async with session_pool() as session, session.begin():
        session.add(Person(telegram_id=OFFICER, is_officer=True, is_employee=True))
        session.add(Person(telegram_id=EMPLOYEE, is_employee=True))
    bot = create_bot(both_settings)
    channel = create_max_channel(both_settings, session_pool)
    keeper = MenuKeeper(bot, session_pool, translator(both_settings.locale))
    try:
        await prepare(bot, session_pool, both_settings, menus=keeper)
        await prepare_max(channel, both_settings, asyncio.Event())
        async with SandboxClient(telegram.base_url) as control:
            assert await menu(control, CITIZEN) == CITIZENS
            assert await menu(control, EMPLOYEE) == EMPLOYEES
            assert await menu(control, OWNER) == OWNERS
            assert await menu(control, OFFICER) == OFFICERS
            # The registry import makes the employee an owner and a citizen nobody: within a sync.
            async with session_pool() as session, session.begin():
                employee = await session.scalar(
                    sa.select(Person).where(Person.telegram_id == EMPLOYEE)
                )
                process = await session.get(Process, registry.internal_process_id)
                assert employee is not None and process is not None
                process.owner_id = employee.id
                owner = await session.scalar(sa.select(Person).where(Person.telegram_id == OWNER))
                assert owner is not None
                owner.is_employee = False
                await session.execute(
                    sa.update(Process).where(Process.owner_id == owner.id).values(owner_id=None)
                )
            assert await keeper.sync() == 2
            assert await menu(control, EMPLOYEE) == OWNERS
            assert await menu(control, OWNER) == CITIZENS, "back to the citizens' default"
            assert await keeper.sync() == 0, "nothing is set twice"
        async with SandboxClient(max_server.base_url) as control:
            assert await menu(control) == CITIZENS, "MAX: one list, the citizens'"
    finally:
        await bot.session.close()
        await channel.bot.session.close()
