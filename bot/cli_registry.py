"""`otklik registry import | export [--publish] | published`: the registry of processes and
touchpoints, the list to publish on the body's site and its publication (seed 002 §2.1, §3.1)."""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

from bot.cli_args import input_file, output_file
from core.i18n import Translator, translator
from core.settings import Settings


def add_parser(commands: Any, _: Translator) -> None:
    """Registers the `registry` command on the CLI's subparsers (bot.cli)."""
    registry = commands.add_parser("registry", help=_("registry of processes and touchpoints"))
    registry_actions = registry.add_subparsers(dest="action", required=True)
    for action, text in (("import", _("load from XLSX")), ("export", _("export to XLSX"))):
        sub = registry_actions.add_parser(action, help=text)
        checked = input_file(_) if action == "import" else output_file(_)
        sub.add_argument("file", type=checked, help=_(".xlsx file"))
        sub.set_defaults(handler=cmd_registry)
        if action == "export":
            sub.add_argument(
                "--publish",
                action="store_true",
                help=_("the list to publish on the body's site: the six columns of the form"),
            )
    published = registry_actions.add_parser(
        "published", help=_("record that the current registry is published on the site")
    )
    published.add_argument("--date", help=_("the day of publication, DD.MM.YYYY (today)"))
    published.set_defaults(handler=cmd_registry)


async def cmd_registry(args: argparse.Namespace, settings: Settings) -> int:
    from bot.bootstrap import open_storage
    from bot.cli_progress import progress_bar
    from jobs.cases import calendar_for
    from registry.entries import RegistryImportError
    from registry.export import export_registry
    from registry.importing import import_registry
    from registry.publish import export_publication

    _ = translator(settings.locale)
    storage = await open_storage(settings)
    try:
        if args.action == "import":
            try:
                report = await import_registry(
                    storage.pool,
                    Path(args.file),
                    _,
                    progress=progress_bar(_("Checking rows")),
                    calendar=calendar_for(settings),
                )
            except RegistryImportError as error:
                print(_("The registry is not loaded, the database is unchanged:"), file=sys.stderr)
                print(str(error), file=sys.stderr)
                return 1
            print(report.summary(_))
            if report.publish_by is not None:  # seed 002 §3.1
                print(_publish_reminder(report.publish_by, _))
        elif args.action == "published":
            return await _record_publication(storage.pool, args.date, settings, _)
        elif args.publish:
            count = await export_publication(storage.pool, Path(args.file), _)
            message = _(
                "The list to publish on the body's site is written to {file}: {count} rows."
            )
            print(message.format(file=args.file, count=count))
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


def _publish_reminder(publish_by: date, _: Translator) -> str:
    return _(
        "The registry has changed: publish its current version on the body's site by {day} "
        '(clause 3.1): "otklik registry export --publish FILE", then "otklik registry published".'
    ).format(day=f"{publish_by:%d.%m.%Y}")


async def _record_publication(
    pool: Any, given: str | None, settings: Settings, _: Translator
) -> int:
    """`otklik registry published [--date DD.MM.YYYY]`: the list is on the site (§3.1)."""
    from core.clock import utcnow
    from registry.publication import record_publication

    today = utcnow().astimezone(settings.tz).date()
    try:
        day = datetime.strptime(given, "%d.%m.%Y").date() if given else today
    except ValueError:
        print(
            _("--date expects a date as DD.MM.YYYY, got «{text}».").format(text=given),
            file=sys.stderr,
        )
        return 1
    if day > today:
        print(_("The date {day} has not come yet.").format(day=f"{day:%d.%m.%Y}"), file=sys.stderr)
        return 1
    async with pool() as session, session.begin():
        settled = await record_publication(session, day)
    if not settled:
        print(
            _("No change of the registry made by {day} waits for publication.").format(
                day=f"{day:%d.%m.%Y}"
            )
        )
        return 0
    print(_("The publication of the registry on {day} is recorded.").format(day=f"{day:%d.%m.%Y}"))
    return 0
