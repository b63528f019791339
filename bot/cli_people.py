"""`otklik people unreachable`: who the bot cannot reach yet, and the link to pass on."""

from __future__ import annotations

import argparse
from typing import Any

from core.i18n import Translator
from core.settings import Settings


def add_parser(commands: Any, _: Translator) -> None:
    """Registers the `people` command on the CLI's subparsers (bot.cli)."""
    people = commands.add_parser("people", help=_("employees, owners and supervisors"))
    actions = people.add_subparsers(dest="action", required=True)
    unreachable = actions.add_parser(
        "unreachable", help=_("whom the bot cannot write to: why, since when, how much is waiting")
    )
    unreachable.add_argument(
        "--bot-username", help=_("bot username without @ (for the invitation link)")
    )
    unreachable.set_defaults(handler=cmd_people_unreachable)


async def cmd_people_unreachable(args: argparse.Namespace, settings: Settings) -> int:
    from bot.bootstrap import open_storage
    from bot.bot_username import resolve_bot_username, resolve_max_bot_name
    from bot.i18n import create_i18n
    from registry.links import deep_link, max_link
    from storage.recipients import unreachable_people
    from surveys.unreachable import WELCOME_PAYLOAD, report

    i18n = create_i18n(settings.locale)

    def translate(message: str) -> str:
        return i18n.gettext(message, locale=settings.locale)

    storage = await open_storage(settings)
    try:
        async with storage.pool() as session:
            people = await unreachable_people(session)
        link = in_max = None
        if people:
            if settings.has_telegram or args.bot_username:
                username = await resolve_bot_username(settings, storage.pool, args.bot_username)
                link = deep_link(username, WELCOME_PAYLOAD) if username else None
            max_name = await resolve_max_bot_name(settings, storage.pool)
            in_max = max_link(max_name, WELCOME_PAYLOAD) if max_name else None
    finally:
        await storage.engine.dispose()
    print(
        report(people, link, translate, html=False, max_link=in_max)
        or translate(_("Everyone can be reached."))
    )
    return 0


def _(message: str) -> str:
    """Marks a message for the catalogue; translated with the configured locale above."""
    return message
