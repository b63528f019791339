"""`otklik` command line: run the bot, migrate, registry, QR codes, invites, people, demo."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable, Coroutine
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.settings import Settings, SettingsError, ensure_secret_key, load_settings

if TYPE_CHECKING:
    from core.i18n import Translator

Handler = Callable[[argparse.Namespace, Settings], Coroutine[Any, Any, int]]


def _progress(description: str) -> Callable[[int, int], None]:
    """A tqdm bar fed by (done, total) callbacks from domain code."""
    from tqdm import tqdm

    bar: dict[str, Any] = {}

    def update(done: int, total: int) -> None:
        if "bar" not in bar:
            bar["bar"] = tqdm(total=total, desc=description, unit="", leave=False)
        bar["bar"].n = done
        bar["bar"].refresh()
        if done >= total:
            bar["bar"].close()

    return update


async def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import run_bot
    from core.i18n import translator

    _ = translator(settings.locale)
    settings.token()  # one clear line before anything else when the token is wrong
    if args.webhook and not args.webhook.startswith(("https://", "http://")):
        raise SettingsError(_("--webhook expects an address like https://HOST/PATH."))
    if args.listen:
        settings = settings.model_copy(update={"webhook_listen": args.listen})
    await run_bot(settings, webhook_url=args.webhook, register_webhook=not args.no_register)
    return 0


async def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from core.i18n import translator
    from storage.database import create_engine
    from storage.migrate import current_revision, upgrade_database

    _ = translator(settings.locale)
    engine = create_engine(settings.database_url)
    try:
        await upgrade_database(engine)
        revision = await current_revision(engine)
        print(_("The database is upgraded to revision {revision}.").format(revision=revision))
    finally:
        await engine.dispose()
    return 0


async def cmd_registry(args: argparse.Namespace, settings: Settings) -> int:
    from bot.bootstrap import open_storage
    from core.i18n import translator
    from registry.entries import RegistryImportError
    from registry.export import export_registry
    from registry.importing import import_registry

    _ = translator(settings.locale)
    storage = await open_storage(settings)
    try:
        if args.action == "import":
            try:
                report = await import_registry(
                    storage.pool, Path(args.file), _, progress=_progress(_("Checking rows"))
                )
            except RegistryImportError as error:
                print(_("The registry is not loaded, the database is unchanged:"), file=sys.stderr)
                print(str(error), file=sys.stderr)
                return 1
            print(report.summary(_))
        else:
            count = await export_registry(storage.pool, Path(args.file), _)
            print(
                _("The registry is exported to {file}: {count} rows.").format(
                    file=args.file, count=count
                )
            )
    finally:
        await storage.engine.dispose()
    return 0


async def cmd_touchpoints_qr(args: argparse.Namespace, settings: Settings) -> int:
    from bot.bootstrap import open_storage
    from bot.bot_username import resolve_bot_username
    from core.i18n import translator
    from registry.qr import write_touchpoint_qr_codes

    _ = translator(settings.locale)
    storage = await open_storage(settings)
    try:
        username = await resolve_bot_username(settings, storage.pool, args.bot_username)
        written = await write_touchpoint_qr_codes(
            storage.pool,
            Path(args.dir),
            username,
            _,
            progress=_progress(_("QR codes")),
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
    from bot.bootstrap import open_storage
    from bot.bot_username import resolve_bot_username
    from core.clock import utcnow
    from registry.links import deep_link
    from surveys.invites import InviteError, create_invite, invite_payload

    storage = await open_storage(settings)
    try:
        username = await resolve_bot_username(settings, storage.pool, args.bot_username)
        async with storage.pool() as session, session.begin():
            try:
                invite = await create_invite(
                    session,
                    department_code=args.department,
                    uses=args.uses,
                    days=args.expires,
                    now=utcnow(),
                )
            except InviteError as error:
                print(str(error), file=sys.stderr)
                return 1
            payload = invite_payload(invite)
    finally:
        await storage.engine.dispose()
    print(deep_link(username, payload))
    return 0


def parse_month(text: str | None) -> date | None:
    """`YYYY-MM` → the first day of that month; a clear error otherwise."""
    from core.periods import PeriodError
    from core.periods import parse_month as parse

    if text is None:
        return None
    try:
        return parse(text)
    except PeriodError as error:
        raise SettingsError(str(error)) from None


def chosen_month(
    args: argparse.Namespace, settings: Settings, *, allow_current: bool
) -> tuple[date, str]:
    """`--month`, or the last complete month in OTKLIK_TIMEZONE, and what to say of it.

    A month to come is refused (and, for the scan, the month still running).
    """
    from core.clock import utcnow
    from core.periods import PeriodError, month_note, resolve_month

    today = utcnow().astimezone(settings.tz).date()
    try:
        month = resolve_month(parse_month(args.month), today, allow_current=allow_current)
    except PeriodError as error:
        raise SettingsError(str(error)) from None
    return month, month_note(month, today, defaulted=args.month is None)


async def cmd_scan(args: argparse.Namespace, settings: Settings) -> int:
    from babel.dates import format_date

    from bot.bootstrap import open_storage
    from core.clock import utcnow
    from core.i18n import translator
    from core.russian import month_ru
    from jobs.scan import scan_and_notify

    _ = translator(settings.locale)
    month, note = chosen_month(args, settings, allow_current=False)
    storage = await open_storage(settings)
    try:
        report = await scan_and_notify(storage.pool, settings, month, utcnow)
    finally:
        await storage.engine.dispose()
    name = (
        month_ru(month)
        if settings.locale == "ru"
        else str(format_date(month, "LLLL y", locale=settings.locale))
    )
    print(
        _(
            "Checked {month}{note}: processes {processes}, touchpoints {touchpoints}; "
            "new declines {new}, recorded already {recorded}, "
            "within random fluctuations (not recorded) {noise}."
        ).format(
            month=name,
            note=note,
            processes=report.processes,
            touchpoints=report.touchpoints,
            new=len(report.new),
            recorded=report.already_recorded,
            noise=report.within_noise,
        )
    )
    for detection in report.new:
        print(
            _("  • [{level}] process #{id}: {reason}").format(
                level=detection.level, id=detection.process_id, reason=detection.reason
            )
        )
    return 0


async def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    from tqdm import tqdm

    from analytics.report_common import ReportError, ReportSummary
    from bot.bootstrap import open_storage
    from bot.reports import build_report
    from core.i18n import translator
    from storage.database import read_only_of

    _ = translator(settings.locale)
    month, note = chosen_month(args, settings, allow_current=True)
    storage = await open_storage(settings)
    try:
        with tqdm(total=1, desc=_("Report"), unit="", leave=False) as bar:
            # Read-only: the bot's writers never wait for a report (no write lock is taken).
            async with read_only_of(storage.pool)() as session, session.begin():
                try:
                    summary = await build_report(
                        session,
                        args.kind,
                        Path(args.out),
                        _,
                        process_code=args.process,
                        case_id=args.case,
                        month=month,
                        settings=settings,
                    )
                except ReportError as error:
                    print(str(error), file=sys.stderr)
                    return 1
            bar.update(1)
    finally:
        await storage.engine.dispose()
    if isinstance(summary, ReportSummary):
        print(summary.describe(_, note))
    else:
        print(summary)
    return 0


async def cmd_cases(args: argparse.Namespace, settings: Settings) -> int:
    import sqlalchemy as sa

    from bot.bootstrap import open_storage
    from core.clock import utcnow
    from core.i18n import translator
    from reengineering.cases import CaseError, Ground, cases_for_officer, open_case
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
                if process is None:
                    print(
                        _("No process with the code «{code}» in the registry.").format(
                            code=args.process
                        ),
                        file=sys.stderr,
                    )
                    return 1
                try:
                    result = await open_case(
                        session, process.id, Ground.INSTRUCTION, arose_on=today, at=utcnow()
                    )
                except CaseError as error:
                    print(str(error), file=sys.stderr)
                    return 1
                if result.created:
                    print(
                        _("Case No. {number} is opened for the process {code}.").format(
                            number=result.case_id, code=process.code
                        )
                    )
                else:
                    print(
                        _(
                            "Case No. {number} is already open for the process {code}: "
                            "the instruction is added to it as a ground."
                        ).format(number=result.case_id, code=process.code)
                    )
                return 0
            for case in await cases_for_officer(session, today=today):
                flag = _("⚠️ overdue") if case.overdue else ""
                due = _("by {day}").format(day=f"{case.next_due:%d.%m.%Y}") if case.next_due else ""
                line = _("No. {number}  {process}  steps: {steps} {due} {flag}").format(
                    number=case.number,
                    process=case.process_name[:60],
                    steps=", ".join(case.active_steps) or "—",
                    due=due,
                    flag=flag,
                )
                print(line.rstrip())
    finally:
        await storage.engine.dispose()
    return 0


def parse_day(text: str, _: Translator) -> date:
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise SettingsError(
            _("A date is given as YYYY-MM-DD; got «{text}».").format(text=text)
        ) from None


async def cmd_campaigns(args: argparse.Namespace, settings: Settings) -> int:
    import sqlalchemy as sa

    from bot.bootstrap import open_storage
    from core.clock import utcnow
    from core.i18n import translator
    from outreach.campaigns import CampaignError, response_rate, run_campaigns, start_campaign
    from storage.models import Campaign

    _ = translator(settings.locale)
    now = utcnow()
    today = now.astimezone(settings.tz).date()
    storage = await open_storage(settings)
    try:
        async with storage.pool() as session, session.begin():
            if args.action == "start":
                try:
                    campaign = await start_campaign(
                        session,
                        questionnaire_code=args.questionnaire,
                        audience=args.audience,
                        department_codes=[c for c in (args.departments or "").split(",") if c],
                        touchpoint_code=args.touchpoint,
                        starts_on=parse_day(args.start, _) if args.start else today,
                        ends_on=parse_day(args.end, _),
                        remind_after_days=args.remind_after or settings.campaign_remind_after_days,
                        max_reminders=(
                            settings.campaign_max_reminders
                            if args.max_reminders is None
                            else args.max_reminders
                        ),
                        now=now,
                        _=_,
                    )
                except CampaignError as error:
                    print(str(error), file=sys.stderr)
                    return 1
                tick = await run_campaigns(session, today, now, settings.secret(), _=_)
                print(
                    _(
                        "Campaign No. {number} is created ({starts}–{ends}); invitations "
                        "queued: {invited}. The running bot (otklik run) will send them."
                    ).format(
                        number=campaign.id,
                        starts=f"{campaign.starts_on:%d.%m.%Y}",
                        ends=f"{campaign.ends_on:%d.%m.%Y}",
                        invited=tick.invited,
                    )
                )
                return 0
            for campaign in await session.scalars(sa.select(Campaign).order_by(Campaign.id)):
                rate = response_rate(campaign)
                line = _(
                    "No. {number}  {questionnaire}  {audience}  {starts}–{ends}  {status}  "
                    "invited {invited}, responded {responded}"
                ).format(
                    number=campaign.id,
                    questionnaire=campaign.questionnaire_code,
                    audience=campaign.audience,
                    starts=f"{campaign.starts_on:%d.%m.%Y}",
                    ends=f"{campaign.ends_on:%d.%m.%Y}",
                    status=campaign.status,
                    invited=campaign.invited,
                    responded=campaign.responded,
                )
                print(line + (f" ({rate:.0%})" if rate is not None else ""))
    finally:
        await storage.engine.dispose()
    return 0


async def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from bot.demo import run_demo

    return await run_demo(Path(args.out), fast=args.fast)


def build_parser() -> argparse.ArgumentParser:
    from core.i18n import translator

    _ = translator()  # before the settings are loaded: the default locale
    parser = argparse.ArgumentParser(
        prog="otklik", description=_("Otklik: feedback and process reengineering in Telegram")
    )
    parser.add_argument("-v", "--verbose", action="store_true", help=_("verbose log"))
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help=_("run the bot (long polling or webhook)"))
    run.add_argument("--webhook", help=_("https://HOST/PATH: take updates through a webhook"))
    run.add_argument(
        "--listen", help=_("HOST:PORT of the webhook server (OTKLIK_WEBHOOK_LISTEN by default)")
    )
    run.add_argument(
        "--no-register",
        action="store_true",
        help=_("do not call setWebhook (another replica has registered it already)"),
    )
    run.set_defaults(handler=cmd_run)

    db = commands.add_parser("db", help=_("database"))
    db_actions = db.add_subparsers(dest="action", required=True)
    db_actions.add_parser("upgrade", help=_("apply the migrations")).set_defaults(
        handler=cmd_db_upgrade
    )

    registry = commands.add_parser("registry", help=_("registry of processes and touchpoints"))
    registry_actions = registry.add_subparsers(dest="action", required=True)
    for action, text in (("import", _("load from XLSX")), ("export", _("export to XLSX"))):
        sub = registry_actions.add_parser(action, help=text)
        sub.add_argument("file", help=_(".xlsx file"))
        sub.set_defaults(handler=cmd_registry)

    touchpoints = commands.add_parser("touchpoints", help=_("touchpoints"))
    tp_actions = touchpoints.add_subparsers(dest="action", required=True)
    qr = tp_actions.add_parser("qr", help=_("QR codes to print, one PNG per touchpoint"))
    qr.add_argument("dir", help=_("folder for the PNG files"))
    qr.add_argument(
        "--bot-username", help=_("bot username without @ (otherwise taken from Telegram)")
    )
    qr.set_defaults(handler=cmd_touchpoints_qr)

    invites = commands.add_parser("invites", help=_("employee invitations"))
    inv_actions = invites.add_subparsers(dest="action", required=True)
    create = inv_actions.add_parser("create", help=_("create an invitation link"))
    create.add_argument("--department", required=True, help=_("department code"))
    create.add_argument("--uses", type=int, default=50, help=_("how many people can join"))
    create.add_argument("--expires", type=int, default=7, help=_("validity, days"))
    create.add_argument("--bot-username", help=_("bot username without @"))
    create.set_defaults(handler=cmd_invites_create)

    scan = commands.add_parser("scan", help=_("look for a satisfaction decline in a month"))
    scan.add_argument("--month", help=_("YYYY-MM (the last complete month by default)"))
    scan.set_defaults(handler=cmd_scan)

    cases = commands.add_parser("cases", help=_("process reengineering cases"))
    case_actions = cases.add_subparsers(dest="action", required=True)
    open_parser = case_actions.add_parser("open", help=_("open a case by instruction"))
    open_parser.add_argument("--process", required=True, help=_("process code"))
    open_parser.set_defaults(handler=cmd_cases)
    case_actions.add_parser("list", help=_("open cases, overdue first")).set_defaults(
        handler=cmd_cases
    )

    campaigns = commands.add_parser("campaigns", help=_("survey campaigns"))
    campaign_actions = campaigns.add_subparsers(dest="action", required=True)
    start = campaign_actions.add_parser("start", help=_("start a campaign"))
    start.add_argument("--questionnaire", default="internal_service", help=_("questionnaire code"))
    start.add_argument(
        "--audience",
        choices=("employees", "departments", "touchpoint"),
        default="employees",
        help=_("all employees, departments, or a touchpoint's applicants who agreed to surveys"),
    )
    start.add_argument("--departments", help=_("department codes, comma-separated"))
    start.add_argument("--touchpoint", help=_("touchpoint code"))
    start.add_argument("--start", help=_("YYYY-MM-DD (today by default)"))
    start.add_argument("--end", required=True, help=_("YYYY-MM-DD"))
    start.add_argument("--remind-after", type=int, help=_("remind after how many working days"))
    start.add_argument("--max-reminders", type=int, help=_("at most how many reminders"))
    start.set_defaults(handler=cmd_campaigns)
    campaign_actions.add_parser("list", help=_("campaigns and their response")).set_defaults(
        handler=cmd_campaigns
    )

    from bot.cli_people import add_parser as add_people

    add_people(commands, _)

    from analytics.report_kinds import REPORT_CHOICES

    report = commands.add_parser("report", help=_("Excel report"))
    report.add_argument("kind", choices=sorted(REPORT_CHOICES), help=_("report kind"))
    report.add_argument("--process", help=_("process code"))
    report.add_argument("--case", type=int, help=_("reengineering case number"))
    report.add_argument("--month", help=_("YYYY-MM: the last month of the period"))
    report.add_argument("--out", required=True, help=_(".xlsx file"))
    report.set_defaults(handler=cmd_report)

    demo = commands.add_parser("demo", help=_("demonstration without a token or network"))
    demo.add_argument(
        "--out", default="demo-output", help=_("folder for the database, charts and reports")
    )
    demo.add_argument("--fast", action="store_true", help=_("fewer participants (for tests)"))
    demo.set_defaults(handler=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    from bot.aiogram_lazy import install

    install()  # before anything imports aiogram: ~110 MB less memory (see the module)
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose or args.command == "run" else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # The SQLite driver's debug lines carry statement parameters: never personal data in logs.
    logging.getLogger("aiosqlite").setLevel(logging.WARNING)
    try:
        settings = load_settings()
        if args.command != "demo":
            settings = ensure_secret_key(settings)
        handler: Handler = args.handler
        return asyncio.run(handler(args, settings))
    except SettingsError as error:
        print(str(error), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
