"""`otklik` command line: run the bot, migrate, registry, QR codes, invites, people, demo."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable, Coroutine
from datetime import date
from pathlib import Path
from typing import Any

from core.settings import Settings, SettingsError, ensure_secret_key, load_settings

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

    settings.token()  # one clear line before anything else when the token is wrong
    if args.webhook and not args.webhook.startswith(("https://", "http://")):
        raise SettingsError("--webhook ожидает адрес вида https://HOST/PATH.")
    if args.listen:
        settings = settings.model_copy(update={"webhook_listen": args.listen})
    await run_bot(settings, webhook_url=args.webhook, register_webhook=not args.no_register)
    return 0


async def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from storage.database import create_engine
    from storage.migrate import current_revision, upgrade_database

    engine = create_engine(settings.database_url)
    try:
        await upgrade_database(engine)
        print(f"База данных обновлена до ревизии {await current_revision(engine)}.")
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
                    storage.pool, Path(args.file), _, progress=_progress("Проверка строк")
                )
            except RegistryImportError as error:
                print("Реестр не загружен, база данных не изменена:", file=sys.stderr)
                print(str(error), file=sys.stderr)
                return 1
            print(report.summary(_))
        else:
            count = await export_registry(storage.pool, Path(args.file), _)
            print(f"Реестр выгружен в {args.file}: {count} строк.")
    finally:
        await storage.engine.dispose()
    return 0


async def cmd_touchpoints_qr(args: argparse.Namespace, settings: Settings) -> int:
    from bot.bootstrap import open_storage
    from bot.bot_username import resolve_bot_username
    from core.i18n import translator
    from registry.qr import write_touchpoint_qr_codes

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
            translator(settings.locale),
            progress=_progress("QR-коды"),
            public_url=settings.public_url,
        )
    finally:
        await storage.engine.dispose()
    print(f"Записано QR-кодов: {len(written)} в папку {args.dir}")
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
    from bot.bootstrap import open_storage
    from core.clock import utcnow
    from core.russian import month_ru
    from jobs.scan import scan_and_notify

    month, note = chosen_month(args, settings, allow_current=False)
    storage = await open_storage(settings)
    try:
        report = await scan_and_notify(storage.pool, settings, month, utcnow)
    finally:
        await storage.engine.dispose()
    print(
        f"Проверен {month_ru(month)}{note}: процессов {report.processes}, "
        f"точек {report.touchpoints}; "
        f"новых снижений {len(report.new)}, уже записанных {report.already_recorded}, "
        f"в пределах случайных колебаний (не записаны) {report.within_noise}."
    )
    for detection in report.new:
        print(f"  • [{detection.level}] процесс #{detection.process_id}: {detection.reason}")
    return 0


async def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    from tqdm import tqdm

    from analytics.report_common import ReportError, ReportSummary
    from bot.bootstrap import open_storage
    from bot.reports import build_report
    from core.i18n import translator
    from storage.database import read_only_of

    month, note = chosen_month(args, settings, allow_current=True)
    storage = await open_storage(settings)
    try:
        with tqdm(total=1, desc="Отчёт", unit="", leave=False) as bar:
            # Read-only: the bot's writers never wait for a report (no write lock is taken).
            async with read_only_of(storage.pool)() as session, session.begin():
                try:
                    summary = await build_report(
                        session,
                        args.kind,
                        Path(args.out),
                        translator(settings.locale),
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
        print(summary.describe(translator(settings.locale), note))
    else:
        print(summary)
    return 0


async def cmd_cases(args: argparse.Namespace, settings: Settings) -> int:
    import sqlalchemy as sa

    from bot.bootstrap import open_storage
    from core.clock import utcnow
    from reengineering.cases import CaseError, Ground, cases_for_officer, open_case
    from storage.models import Process

    today = utcnow().astimezone(settings.tz).date()
    storage = await open_storage(settings)
    try:
        async with storage.pool() as session, session.begin():
            if args.action == "open":
                process = await session.scalar(
                    sa.select(Process).where(Process.code == args.process)
                )
                if process is None:
                    print(f"Процесс с кодом «{args.process}» не найден в реестре.", file=sys.stderr)
                    return 1
                try:
                    result = await open_case(
                        session, process.id, Ground.INSTRUCTION, arose_on=today, at=utcnow()
                    )
                except CaseError as error:
                    print(str(error), file=sys.stderr)
                    return 1
                if result.created:
                    print(f"Открыто дело № {result.case_id} по процессу {process.code}.")
                else:
                    print(
                        f"По процессу {process.code} уже открыто дело № {result.case_id}: "
                        "поручение добавлено к нему как основание."
                    )
                return 0
            for case in await cases_for_officer(session, today=today):
                flag = "⚠️ просрочено" if case.overdue else ""
                due = f"до {case.next_due:%d.%m.%Y}" if case.next_due else ""
                print(
                    f"№ {case.number}  {case.process_name[:60]}  шаги: "
                    f"{', '.join(case.active_steps) or '—'} {due} {flag}".rstrip()
                )
    finally:
        await storage.engine.dispose()
    return 0


async def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from bot.demo import run_demo

    return await run_demo(Path(args.out), fast=args.fast)


# What `add_subparsers` returns: each step below adds its sub-command to it.
SubCommands = argparse._SubParsersAction


def build_parser() -> argparse.ArgumentParser:
    """The `otklik` command line, one step per sub-command in the order `--help` lists them."""
    parser = argparse.ArgumentParser(
        prog="otklik", description="Otklik: обратная связь и реинжиниринг процессов в Telegram"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="подробный журнал")
    commands = parser.add_subparsers(dest="command", required=True)
    _add_run_parser(commands)
    _add_db_parser(commands)
    _add_registry_parser(commands)
    _add_touchpoints_parser(commands)
    _add_invites_parser(commands)
    _add_scan_parser(commands)
    _add_cases_parser(commands)

    from bot.cli_campaigns import add_parser as add_campaigns
    from bot.cli_people import add_parser as add_people
    from core.i18n import translator

    add_campaigns(commands)
    add_people(commands, translator())  # help is built before the settings are read
    _add_report_parser(commands)
    _add_demo_parser(commands)
    return parser


def _add_run_parser(commands: SubCommands) -> None:
    run = commands.add_parser("run", help="запустить бота (long polling или webhook)")
    run.add_argument("--webhook", help="https://HOST/PATH: принимать обновления через webhook")
    run.add_argument(
        "--listen", help="HOST:PORT сервера webhook (по умолчанию OTKLIK_WEBHOOK_LISTEN)"
    )
    run.add_argument(
        "--no-register",
        action="store_true",
        help="не вызывать setWebhook (его уже зарегистрировала другая реплика)",
    )
    run.set_defaults(handler=cmd_run)


def _add_db_parser(commands: SubCommands) -> None:
    db = commands.add_parser("db", help="база данных")
    db_actions = db.add_subparsers(dest="action", required=True)
    db_actions.add_parser("upgrade", help="применить миграции").set_defaults(handler=cmd_db_upgrade)


def _add_registry_parser(commands: SubCommands) -> None:
    registry = commands.add_parser("registry", help="реестр процессов и точек взаимодействия")
    registry_actions = registry.add_subparsers(dest="action", required=True)
    for action, text in (("import", "загрузить из XLSX"), ("export", "выгрузить в XLSX")):
        sub = registry_actions.add_parser(action, help=text)
        sub.add_argument("file", help="файл .xlsx")
        sub.set_defaults(handler=cmd_registry)


def _add_touchpoints_parser(commands: SubCommands) -> None:
    touchpoints = commands.add_parser("touchpoints", help="точки взаимодействия")
    tp_actions = touchpoints.add_subparsers(dest="action", required=True)
    qr = tp_actions.add_parser("qr", help="QR-коды для печати, по одному PNG на точку")
    qr.add_argument("dir", help="папка для PNG")
    qr.add_argument("--bot-username", help="имя бота без @ (иначе берётся из Telegram)")
    qr.set_defaults(handler=cmd_touchpoints_qr)


def _add_invites_parser(commands: SubCommands) -> None:
    invites = commands.add_parser("invites", help="приглашения сотрудников")
    inv_actions = invites.add_subparsers(dest="action", required=True)
    create = inv_actions.add_parser("create", help="создать ссылку-приглашение")
    create.add_argument("--department", required=True, help="код подразделения")
    create.add_argument("--uses", type=int, default=50, help="сколько человек могут войти")
    create.add_argument("--expires", type=int, default=7, help="срок действия, дней")
    create.add_argument("--bot-username", help="имя бота без @")
    create.set_defaults(handler=cmd_invites_create)


def _add_scan_parser(commands: SubCommands) -> None:
    scan = commands.add_parser("scan", help="поиск снижения удовлетворённости за месяц")
    scan.add_argument("--month", help="ГГГГ-ММ (по умолчанию последний завершённый месяц)")
    scan.set_defaults(handler=cmd_scan)


def _add_cases_parser(commands: SubCommands) -> None:
    cases = commands.add_parser("cases", help="дела о реинжиниринге процессов")
    case_actions = cases.add_subparsers(dest="action", required=True)
    open_parser = case_actions.add_parser("open", help="открыть дело по поручению")
    open_parser.add_argument("--process", required=True, help="код процесса")
    open_parser.set_defaults(handler=cmd_cases)
    case_actions.add_parser("list", help="открытые дела, просроченные сверху").set_defaults(
        handler=cmd_cases
    )


def _add_report_parser(commands: SubCommands) -> None:
    from analytics.report_kinds import REPORT_CHOICES

    report = commands.add_parser("report", help="отчёт в Excel")
    report.add_argument("kind", choices=sorted(REPORT_CHOICES), help="вид отчёта")
    report.add_argument("--process", help="код процесса")
    report.add_argument("--case", type=int, help="номер дела о реинжиниринге")
    report.add_argument("--month", help="ГГГГ-ММ: последний месяц периода")
    report.add_argument("--out", required=True, help="файл .xlsx")
    report.set_defaults(handler=cmd_report)


def _add_demo_parser(commands: SubCommands) -> None:
    demo = commands.add_parser("demo", help="демонстрация без токена и сети")
    demo.add_argument("--out", default="demo-output", help="папка для базы, графиков и отчётов")
    demo.add_argument("--fast", action="store_true", help="меньше участников (для тестов)")
    demo.set_defaults(handler=cmd_demo)


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
