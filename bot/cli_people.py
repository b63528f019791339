"""`otklik people`: who the bot cannot reach yet; department heads; a case's own owner.

`people head DEPT PERSON` records the head of a department (seed 003 §2.2.6, §3.3: the head
signs the conclusions; §2.2.5: the head hears of an exclusion); `cases owner CASE PERSON`
gives one case to another owner by instruction (§1.4). PERSON is written as in the
registry: a Telegram id, an @username, or max:123456.
"""

from __future__ import annotations

import argparse
import sys
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
    head = actions.add_parser(
        "head", help=_("the head of a department, who signs the conclusions of a case")
    )
    head.add_argument("department", help=_("department code"))
    head.add_argument("person", nargs="?", help=_("Telegram id, @username or max:123456"))
    head.add_argument("--clear", action="store_true", help=_("the department has no head"))
    head.set_defaults(handler=cmd_people_head)


def add_case_owner_parser(case_actions: Any, _: Translator) -> None:
    """`cases owner CASE PERSON`, on the `cases` command's subparsers (bot.cli)."""
    owner = case_actions.add_parser(
        "owner", help=_("give one case to another owner by instruction (clause 1.4)")
    )
    owner.add_argument("case", type=int, help=_("case number"))
    owner.add_argument("person", help=_("Telegram id, @username or max:123456"))
    owner.set_defaults(handler=cmd_case_owner)


async def cmd_people_head(args: argparse.Namespace, settings: Settings) -> int:
    from bot.bootstrap import open_storage
    from core.i18n import translator
    from registry.heads import find_person, set_department_head

    translate = translator(settings.locale)
    if bool(args.person) == bool(args.clear):
        print(translate(_("Name the head, or give --clear.")), file=sys.stderr)
        return 2
    storage = await open_storage(settings)
    try:
        async with storage.pool() as session, session.begin():
            head = await find_person(session, args.person) if args.person else None
            if args.person and head is None:
                print(translate(_("No such employee: {person}.")).format(person=args.person),
                      file=sys.stderr)  # fmt: skip
                return 1
            department = await set_department_head(session, args.department, head)
            if department is None:
                missing = translate(_("No department with the code «{code}»."))
                print(missing.format(code=args.department), file=sys.stderr)
                return 1
    finally:
        await storage.engine.dispose()
    said = (
        _("The head of «{department}» is {person}.") if head else _("«{department}» has no head.")
    )
    print(translate(said).format(department=department.name, person=args.person))
    return 0


async def cmd_case_owner(args: argparse.Namespace, settings: Settings) -> int:
    from bot.bootstrap import open_storage
    from core.clock import utcnow
    from core.i18n import translator
    from reengineering.cases import CaseError
    from reengineering.cases.owners import assign_case_owner
    from registry.heads import find_person

    translate = translator(settings.locale)
    now = utcnow()
    storage = await open_storage(settings)
    try:
        async with storage.pool() as session, session.begin():
            person = await find_person(session, args.person)
            if person is None:
                missing = translate(_("No such employee: {person}."))
                print(missing.format(person=args.person), file=sys.stderr)
                return 1
            try:
                await assign_case_owner(
                    session, args.case, person.id, None,
                    on=now.astimezone(settings.tz).date(), at=now, _=translate,
                )  # fmt: skip
            except CaseError as error:
                print(error.text(translate), file=sys.stderr)
                return 1
    finally:
        await storage.engine.dispose()
    said = translate(_("Case № {case} is given to {person}; they are notified."))
    print(said.format(case=args.case, person=args.person))
    return 0


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
