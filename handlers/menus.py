"""Each role's command menu: Telegram's per-chat command scopes, the citizens' menu by default.

Issue #17, point 2: «the command menu shows /rate, /stats, /cases to every citizen and hides
/invite and /campaign from the officer … Menus per person by role (Telegram's per-chat command
scopes; the same in MAX)». The default scope holds the citizens' menu; a person whose role is
known gets a menu of their own (BotCommandScopeChat): at start-up for the staff the registry
knows, when an invite is accepted, and whenever roles change (the registry import names new
owners), which `MenuKeeper.sync` finds by comparing with what it set last. MAX keeps one
command list per bot (PATCH /me/commands), so there every chat sees the citizens' menu and
/help says what each person can do.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommand, BotCommandScopeChat

from core.channels import Channel, channel_of
from core.i18n import Translator
from storage.database import SessionPool
from storage.models import Person, Process
from surveys.actors import Actor

log = logging.getLogger(__name__)

SYNC_EVERY = 300.0
"""Seconds between two comparisons of the staff's roles with the menus set."""


@dataclass(frozen=True)
class Roles:
    """What a person is to the bot; nobody is a citizen only by absence of the rest."""

    employee: bool = False
    owner: bool = False
    officer: bool = False

    @classmethod
    def of(cls, actor: Actor) -> Roles:
        return cls(employee=actor.is_employee, owner=actor.is_owner, officer=actor.is_officer)

    @property
    def staff(self) -> bool:
        return self.employee or self.owner or self.officer


CITIZEN = Roles()


def role_commands(roles: Roles, _: Translator) -> list[BotCommand]:
    """The menu of a person with these roles, in the order they are used."""
    commands = [BotCommand(command="start", description=_("Rate a service"))]
    if roles.employee:
        commands.append(BotCommand(command="rate", description=_("Rate an internal service")))
        commands.append(
            BotCommand(command="request", description=_("Request to an internal service"))
        )
        commands.append(BotCommand(command="myrequests", description=_("My requests")))
    if roles.owner or roles.officer:
        stats = (
            _("Statistics of all processes") if roles.officer else _("Statistics of my processes")
        )
        commands.append(BotCommand(command="stats", description=stats))
        commands.append(BotCommand(command="cases", description=_("Reengineering cases")))
    if roles.officer:
        commands.append(BotCommand(command="invite", description=_("Invite employees")))
        commands.append(
            BotCommand(command="campaign", description=_("Survey employees about services"))
        )
        commands.append(BotCommand(command="late", description=_("Late internal requests")))
    if roles.staff:
        commands.append(BotCommand(command="quiet", description=_("My quiet hours")))
    commands.append(BotCommand(command="help", description=_("What the bot can do")))
    commands.append(BotCommand(command="forget", description=_("Delete the link to my answers")))
    return commands


async def set_menu(bot: Bot, chat_id: int, roles: Roles, _: Translator) -> bool:
    """This chat's menu by its roles (a Telegram chat: MAX has no menu per chat).

    A citizen's own scope is deleted, so the default (the citizens' menu) shows. False when
    Telegram refused: the menu is a convenience, the bot works without it.
    """
    if channel_of(chat_id) is not Channel.TELEGRAM:
        return False
    scope = BotCommandScopeChat(chat_id=chat_id)
    try:
        if roles.staff:
            await bot.set_my_commands(role_commands(roles, _), scope=scope)
        else:
            await bot.delete_my_commands(scope=scope)
    except TelegramAPIError as error:
        log.warning("a role menu was not set: %s", error.message)
        return False
    return True


async def staff_roles(pool: SessionPool) -> dict[int, Roles]:
    """Every Telegram chat of a person with a role: employee, process owner, officer."""
    async with pool() as session:
        owners = set(
            await session.scalars(
                sa.select(Process.owner_id).where(Process.owner_id.is_not(None)).distinct()
            )
        )
        people = await session.execute(
            sa.select(Person.id, Person.telegram_id, Person.is_employee, Person.is_officer).where(
                Person.telegram_id.is_not(None)
            )
        )
        found = {
            chat: Roles(employee=employee, owner=person_id in owners, officer=officer)
            for person_id, chat, employee, officer in people
            if chat is not None
        }
    return {chat: roles for chat, roles in found.items() if roles.staff}


class MenuKeeper:
    """Sets each staff chat's menu once per change of its roles, and remembers what it set."""

    def __init__(self, bot: Bot, pool: SessionPool, _: Translator) -> None:
        self.bot = bot
        self.pool = pool
        self._ = _
        self.shown: dict[int, Roles] = {}

    async def sync(self) -> int:
        """Menus for the roles as the database has them now; the number of menus changed."""
        wanted = await staff_roles(self.pool)
        changed = 0
        for chat in [chat for chat in self.shown if chat not in wanted]:
            if await set_menu(self.bot, chat, CITIZEN, self._):
                del self.shown[chat]
                changed += 1
        for chat, roles in wanted.items():
            if self.shown.get(chat) != roles and await set_menu(self.bot, chat, roles, self._):
                self.shown[chat] = roles
                changed += 1
        return changed

    async def run(
        self, stop: asyncio.Event, should_run: Callable[[], bool], every: float = SYNC_EVERY
    ) -> None:
        """Sync now and then every ``every`` seconds in the replica that sends (one replica)."""
        while not stop.is_set():
            if should_run():
                try:
                    await self.sync()
                except Exception:
                    log.exception("the role menus were not synced")
            try:
                await asyncio.wait_for(stop.wait(), timeout=every)
            except TimeoutError:
                pass
