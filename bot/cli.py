"""`otklik` command line: run the bot, migrate, registry, QR codes, invites, people, demo."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from bot import event_loop
from bot.cli_args import OtklikParser, output_folder, whole_number
from bot.cli_campaigns import add_parser as add_campaigns
from bot.cli_months import add_report_parser, add_scan_parser
from bot.cli_people import add_case_owner_parser
from bot.cli_people import add_parser as add_people
from bot.cli_progress import progress_bar
from bot.cli_questionnaires import add_parser as add_questionnaires
from bot.cli_registry import add_parser as add_registry
from bot.cli_regulations import add_parser as add_regulations
from core.i18n import DEFAULT_LOCALE, Translator, translator
from core.settings import Settings, SettingsError, ensure_secret_key, load_settings

Handler = Callable[[argparse.Namespace, Settings], Coroutine[Any, Any, int]]


def check_run(args: argparse.Namespace, settings: Settings) -> None:
    """Before anything is written (the secret key in .env): a token, a webhook address.

    Seed clause (issue #17, point 10): «`otklik run` without a token writes nothing to `.env`».
    """
    settings.check_channels()
    if args.webhook and not args.webhook.startswith(("https://", "http://")):
        _ = translator(settings.locale)
        raise SettingsError(_("--webhook expects an address like https://HOST/PATH."))


async def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import run_bot

    check_run(args, settings)  # main() has checked already; a direct caller gets it too
    if args.listen:
        settings = settings.model_copy(update={"webhook_listen": args.listen})
    await run_bot(settings, webhook_url=args.webhook, register_webhook=not args.no_register)
    return 0


async def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from bot.bootstrap import open_database
    from storage.migrate import current_revision

    _ = translator(settings.locale)
    engine = await open_database(settings)
    try:
        revision = await current_revision(engine)
        print(_("The database is upgraded to revision {revision}.").format(revision=revision))
    finally:
        await engine.dispose()
    return 0


async def cmd_touchpoints_qr(args: argparse.Namespace, settings: Settings) -> int:
    from bot.bootstrap import open_storage
    from bot.bot_username import resolve_bot_username
    from registry.qr import write_touchpoint_qr_codes

    _ = translator(settings.locale)
    storage = await open_storage(settings)
    try:
        # With a public address the code opens the landing page: no bot name is printed in it.
        username = (
            ""
            if settings.public_url
            else await resolve_bot_username(settings, storage.pool, args.bot_username)
        )
        written = await write_touchpoint_qr_codes(
            storage.pool,
            Path(args.dir),
            username,
            _,
            progress=progress_bar(_("QR codes")),
            public_url=settings.public_url,
        )
    finally:
        await storage.engine.dispose()
    print(
        _("QR codes written: {count} to the folder {folder}").format(
            count=len(written), folder=args.dir
        )
    )
    return 0


async def cmd_invites_create(args: argparse.Namespace, settings: Settings) -> int:
    """The invite's deep link in each messenger the bot serves (Telegram's, MAX's)."""
    from bot.bootstrap import open_storage
    from bot.bot_username import resolve_bot_username, resolve_max_bot_name
    from core.clock import utcnow
    from registry.links import deep_link, max_link
    from surveys.invites import InviteError, create_invite, invite_payload

    storage = await open_storage(settings)
    try:  # the bots' names first: a name that cannot be learnt leaves no invite behind
        telegram = None
        if args.bot_username or settings.has_telegram or not settings.has_max:
            telegram = await resolve_bot_username(settings, storage.pool, args.bot_username)
        max_name = await resolve_max_bot_name(settings, storage.pool)
        async with storage.pool() as session, session.begin():
            try:
                invite = await create_invite(
                    session,
                    department_code=args.department,
                    uses=args.uses,
                    days=args.expires,
                    now=utcnow(),
                    institution=args.institution,
                )
            except InviteError as error:
                print(error.text(translator(settings.locale)), file=sys.stderr)
                return 1
            payload = invite_payload(invite)
    finally:
        await storage.engine.dispose()
    links = [deep_link(telegram, payload)] if telegram is not None else []
    links += [max_link(max_name, payload)] if max_name else []
    print("\n".join(links))
    return 0


async def cmd_cases(args: argparse.Namespace, settings: Settings) -> int:
    import sqlalchemy as sa

    from bot.bootstrap import open_storage
    from core.clock import utcnow
    from reengineering.cases import CaseError, Ground, cases_for_officer, open_case
    from registry.codes import known_codes
    from storage.models import Process

    _ = translator(settings.locale)
    today = utcnow().astimezone(settings.tz).date()
    storage = await open_storage(settings)
    try:
        async with storage.pool() as session, session.begin():
            if args.action == "open":
                process = await session.scalar(
                    sa.select(Process).where(Process.code == args.process)
                )
                if process is None:  # refused with the known codes (issue #17, point 11)
                    missing = _(
                        "No process with the code «{code}» in the registry; known codes: {known}."
                    )
                    known = await known_codes(session, Process.code, Process.active)
                    print(missing.format(code=args.process, known=known), file=sys.stderr)
                    return 1
                try:
                    result = await open_case(
                        session, process.id, Ground(args.ground), arose_on=today, at=utcnow()
                    )
                except CaseError as error:
                    print(error.text(_), file=sys.stderr)
                    return 1
                said = (
                    _("Case № {case} is opened for the process {process}.")
                    if result.created
                    else _(
                        "The process {process} already has an open case № {case}: "
                        "the instruction is added to it as a ground."
                    )
                )
                print(said.format(case=result.case_id, process=process.code))
                return 0
            cases = await cases_for_officer(session, today=today)
            if not cases:
                print(_("No open cases."))
            for case in cases:
                flag = "⚠️ " + _("overdue") if case.overdue else ""
                due = (
                    _("by {date}").format(date=f"{case.next_due:%d.%m.%Y}") if case.next_due else ""
                )
                steps = ", ".join(case.active_steps) or "—"
                print(
                    _("{number}  {process}  steps: {steps} {due} {flag}")
                    .format(
                        number=case.number,
                        process=f"«{case.process_name}»",
                        steps=steps,
                        due=due,
                        flag=flag,
                    )
                    .rstrip()
                )
    finally:
        await storage.engine.dispose()
    return 0


async def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from bot.demo import run_demo

    return await run_demo(Path(args.out), fast=args.fast, locale=settings.locale)


# What `add_subparsers` returns: each step below adds its sub-command to it.
SubCommands = argparse._SubParsersAction


def build_parser(locale: str = DEFAULT_LOCALE) -> argparse.ArgumentParser:
    """The `otklik` command line, one step per sub-command in the order `--help` lists them.

    It speaks `locale` (settings.locale when the settings could be read), argparse's own
    words included (bot.cli_args).
    """
    _ = translator(locale)
    parser = OtklikParser(
        prog="otklik",
        description=_("Otklik: feedback and process reengineering in Telegram"),
        locale=locale,
    )
    parser.add_argument("-v", "--verbose", action="store_true", help=_("verbose log"))
    commands = parser.add_subparsers(dest="command", required=True)
    _add_run_parser(commands, _)
    _add_db_parser(commands, _)
    add_registry(commands, _)
    _add_touchpoints_parser(commands, _)
    _add_invites_parser(commands, _)
    add_scan_parser(commands, _)
    _add_cases_parser(commands, _)

    add_campaigns(commands, _)
    add_questionnaires(commands, _)
    add_people(commands, _)
    add_regulations(commands, _)
    add_report_parser(commands, _)
    _add_demo_parser(commands, _)
    return parser


def _add_run_parser(commands: SubCommands, _: Translator) -> None:
    run = commands.add_parser("run", help=_("run the bot (long polling or webhook)"))
    run.add_argument("--webhook", help=_("https://HOST/PATH: receive updates through a webhook"))
    run.add_argument(
        "--listen", help=_("HOST:PORT of the webhook server (OTKLIK_WEBHOOK_LISTEN by default)")
    )
    run.add_argument(
        "--no-register",
        action="store_true",
        help=_("do not call setWebhook (another replica has registered it)"),
    )
    run.set_defaults(handler=cmd_run, precheck=check_run)


def _add_db_parser(commands: SubCommands, _: Translator) -> None:
    db = commands.add_parser("db", help=_("database"))
    db_actions = db.add_subparsers(dest="action", required=True)
    db_actions.add_parser("upgrade", help=_("apply the migrations")).set_defaults(
        handler=cmd_db_upgrade
    )


def _add_touchpoints_parser(commands: SubCommands, _: Translator) -> None:
    touchpoints = commands.add_parser("touchpoints", help=_("touchpoints"))
    tp_actions = touchpoints.add_subparsers(dest="action", required=True)
    qr = tp_actions.add_parser("qr", help=_("QR codes to print, one PNG per touchpoint"))
    qr.add_argument("dir", type=output_folder(_), help=_("folder for the PNG files"))
    qr.add_argument(
        "--bot-username", help=_("bot username without @ (otherwise taken from Telegram)")
    )
    qr.set_defaults(handler=cmd_touchpoints_qr)


def _add_invites_parser(commands: SubCommands, _: Translator) -> None:
    invites = commands.add_parser("invites", help=_("employee invitations"))
    inv_actions = invites.add_subparsers(dest="action", required=True)
    create = inv_actions.add_parser("create", help=_("create an invitation link"))
    create.add_argument("--department", required=True, help=_("department code"))
    create.add_argument(
        "--institution",
        help=_("name of a subordinate institution: --department is then its code"),
    )
    number = whole_number(_)
    create.add_argument("--uses", type=number, default=50, help=_("how many people can join"))
    create.add_argument("--expires", type=number, default=7, help=_("validity, days"))
    create.add_argument("--bot-username", help=_("bot username without @"))
    create.set_defaults(handler=cmd_invites_create)


def _add_cases_parser(commands: SubCommands, _: Translator) -> None:
    cases = commands.add_parser("cases", help=_("process reengineering cases"))
    case_actions = cases.add_subparsers(dest="action", required=True)
    open_parser = case_actions.add_parser("open", help=_("open a case on an instruction"))
    open_parser.add_argument("--process", required=True, help=_("process code"))
    open_parser.add_argument(
        "--ground",
        choices=("instruction", "law_change"),
        default="instruction",
        help=_("the ground: an instruction, or a change of the law altering the customer journey"),
    )
    open_parser.set_defaults(handler=cmd_cases)
    case_actions.add_parser("list", help=_("open cases, overdue first")).set_defaults(
        handler=cmd_cases
    )
    add_case_owner_parser(case_actions, _)


def _add_demo_parser(commands: SubCommands, _: Translator) -> None:
    demo = commands.add_parser("demo", help=_("demonstration without a token or network"))
    demo.add_argument(
        "--out",
        type=output_folder(_),
        metavar=_("FOLDER"),
        default="demo-output",
        help=_("folder for the database, charts and reports"),
    )
    demo.add_argument("--fast", action="store_true", help=_("fewer participants (for tests)"))
    demo.set_defaults(handler=cmd_demo)


def main(argv: list[str] | None = None) -> int:
    from bot.aiogram_lazy import install

    install()  # before anything imports aiogram: ~110 MB less memory (see the module)
    try:  # the settings name the language of everything said, argparse's words included
        settings: Settings | None = load_settings()
        problem: SettingsError | None = None
    except SettingsError as error:  # said after parsing, so that --help still works
        settings, problem = None, error
    args = build_parser(settings.locale if settings else DEFAULT_LOCALE).parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose or args.command == "run" else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    if not args.verbose:  # aiogram's line per handled update: with --verbose only
        logging.getLogger("aiogram.event").setLevel(logging.WARNING)
    # The SQLite driver's debug lines carry statement parameters: never personal data in logs.
    logging.getLogger("aiosqlite").setLevel(logging.WARNING)
    try:
        if problem is not None or settings is None:
            raise problem or SettingsError()
        if precheck := getattr(args, "precheck", None):
            precheck(args, settings)
        if args.command != "demo":
            settings = ensure_secret_key(settings)
        handler: Handler = args.handler
        return event_loop.run(handler(args, settings))
    except SettingsError as error:
        print(str(error), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
