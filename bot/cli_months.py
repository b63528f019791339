"""`otklik scan` and `otklik report`: the commands that take a month, and how they pick it.

Both go through `core.periods`, so the CLI and the bot agree on which month is shown; what
is printed speaks the configured locale (settings.locale), help the default one.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any

from bot.cli_args import output_file, whole_number
from core.i18n import Translator, translator
from core.settings import Settings, SettingsError
from core.wording import speaking


def parse_month(text: str | None, _: Translator | None = None) -> date | None:
    """`YYYY-MM` → the first day of that month; a clear error otherwise."""
    from core.periods import PeriodError
    from core.periods import parse_month as parse

    if text is None:
        return None
    try:
        return parse(text)
    except PeriodError as error:
        raise SettingsError(error.text(speaking(_))) from None


def chosen_month(
    args: argparse.Namespace, settings: Settings, *, allow_current: bool
) -> tuple[date, str]:
    """`--month`, or the last complete month in OTKLIK_TIMEZONE, and what to say of it.

    A month to come is refused (and, for the scan, the month still running).
    """
    from core.clock import utcnow
    from core.periods import PeriodError, month_note, resolve_month

    _ = translator(settings.locale)
    today = utcnow().astimezone(settings.tz).date()
    try:
        month = resolve_month(parse_month(args.month, _), today, allow_current=allow_current)
    except PeriodError as error:
        raise SettingsError(error.text(_)) from None
    return month, month_note(month, today, defaulted=args.month is None, _=_)


async def cmd_scan(args: argparse.Namespace, settings: Settings) -> int:
    from bot.bootstrap import open_storage
    from core.clock import utcnow
    from core.periods import MonthName
    from jobs.scan import scan_and_notify

    month, note = chosen_month(args, settings, allow_current=False)
    _ = translator(settings.locale)
    storage = await open_storage(settings)
    try:
        report = await scan_and_notify(storage.pool, settings, month, utcnow)
        places = await decline_places(storage.pool, report.new, _)
    finally:
        await storage.engine.dispose()
    print(
        _(
            "Checked {month}{note}: processes {processes}, touchpoints {touchpoints}; "
            "new declines {new}, already recorded {recorded}, "
            "within random variation (not recorded) {noise}."
        ).format(
            month=MonthName(month).text(_),
            note=note,
            processes=report.processes,
            touchpoints=report.touchpoints,
            new=len(report.new),
            recorded=report.already_recorded,
            noise=report.within_noise,
        )
    )
    for detection, place in zip(report.new, places, strict=True):
        print(f"  • {place}: {detection.reason}")
    return 0


async def decline_places(pool: Any, detections: list[Any], _: Translator) -> list[str]:
    """Where each decline is, by the registry's codes (issue #17, point 4: «People, not
    ids»): «the process SUP02», «the touchpoint SUP02-MFC of the process SUP02»."""
    import sqlalchemy as sa

    from storage.models import Process, Touchpoint

    async with pool() as session:
        processes = {
            row.id: row.code for row in await session.execute(sa.select(Process.id, Process.code))
        }
        touchpoints = {
            row.id: row.code
            for row in await session.execute(sa.select(Touchpoint.id, Touchpoint.code))
        }
    return [
        _("the touchpoint {touchpoint} of the process {process}").format(
            touchpoint=touchpoints.get(found.touchpoint_id, "—"),
            process=processes.get(found.process_id, "—"),
        )
        if found.touchpoint_id is not None
        else _("the process {process}").format(process=processes.get(found.process_id, "—"))
        for found in detections
    ]


async def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    from tqdm import tqdm

    from analytics.report_common import ReportError, ReportSummary
    from bot.bootstrap import open_storage
    from bot.reports import build_report
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
    else:  # the action plan: a sentence and the file, never the object's repr
        said = _("The action plan of case No. {case} is written to the file {path}.")
        print(said.format(case=args.case, path=summary))
    return 0


def add_scan_parser(commands: Any, _: Translator) -> None:
    """Registers `scan` on the CLI's subparsers (bot.cli)."""
    scan = commands.add_parser("scan", help=_("look for satisfaction declines in a month"))
    scan.add_argument("--month", help=_("YYYY-MM (the last complete month by default)"))
    scan.set_defaults(handler=cmd_scan)


def add_report_parser(commands: Any, _: Translator) -> None:
    """Registers `report` on the CLI's subparsers (bot.cli)."""
    from analytics.report_kinds import REPORT_CHOICES

    report = commands.add_parser("report", help=_("Excel report"))
    report.add_argument("kind", choices=sorted(REPORT_CHOICES), help=_("report kind"))
    report.add_argument("--process", help=_("process code"))
    report.add_argument("--case", type=whole_number(_), help=_("reengineering case number"))
    report.add_argument("--month", help=_("YYYY-MM: the last month of the period"))
    report.add_argument("--out", required=True, type=output_file(_), help=_(".xlsx file"))
    report.set_defaults(handler=cmd_report)
