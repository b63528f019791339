"""`otklik regulations list|show` and `otklik org regulation set|show`: which order a body runs.

Every body follows its own reengineering order (seed 000 — order 984, seed 001 — 77-НПА,
seed 003 — resolution 1151); the organisation chooses one, and new cases open under it.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from core.i18n import Translator, translator
from core.settings import Settings

__all__ = ["add_parser"]


def _days(value: str) -> tuple[str, int]:
    """``P1=20``: a step and its default due date in working days from the ground."""
    step, sep, days = value.partition("=")
    if not sep or not step.strip() or not days.strip().isdigit():
        raise argparse.ArgumentTypeError(value)
    return step.strip().upper(), int(days)


def add_parser(commands: Any, _: Translator) -> None:
    """Registers `regulations` and `org` on the CLI's subparsers (bot.cli)."""
    regulations = commands.add_parser("regulations", help=_("the reengineering regulations"))
    actions = regulations.add_subparsers(dest="action", required=True)
    actions.add_parser("list", help=_("the regulations that ship")).set_defaults(
        handler=cmd_regulations_list
    )
    show = actions.add_parser("show", help=_("a regulation's stages, steps and lists"))
    show.add_argument("regulation", help=_("regulation id (seed000, seed001, seed003)"))
    show.set_defaults(handler=cmd_regulations_show)

    org = commands.add_parser("org", help=_("the organisation"))
    org_actions = org.add_subparsers(dest="action", required=True)
    regulation = org_actions.add_parser("regulation", help=_("the organisation's regulation"))
    reg_actions = regulation.add_subparsers(dest="regulation_action", required=True)
    choose = reg_actions.add_parser("set", help=_("choose the regulation new cases open under"))
    choose.add_argument("regulation", help=_("regulation id (seed000, seed001, seed003)"))
    choose.add_argument(
        "--days",
        type=_days,
        action="append",
        default=[],
        metavar="STEP=N",
        help=_("default due date of a step the officer sets, in working days from the ground"),
    )
    choose.set_defaults(handler=cmd_org_regulation_set)
    reg_actions.add_parser("show", help=_("the regulation in force")).set_defaults(
        handler=cmd_org_regulation_show
    )


def _deadlines(counted: bool, _: Translator) -> str:
    return _("deadlines counted") if counted else _("due dates set by the officer")


async def cmd_regulations_list(args: argparse.Namespace, settings: Settings) -> int:
    from reengineering.regulation import regulation_summaries

    _ = translator(settings.locale)
    for item in regulation_summaries():
        print(f"{item.id}  {item.title}")
        print("    " + _("Source act: {source}").format(source=item.source))
        print(
            "    "
            + _("Steps: {steps}; {deadlines}; version {revision}").format(
                steps=item.steps, deadlines=_deadlines(item.counted, _), revision=item.revision
            )
        )
    return 0


async def cmd_regulations_show(args: argparse.Namespace, settings: Settings) -> int:
    from reengineering.cases import CaseError
    from reengineering.regulation import shipped_template

    _ = translator(settings.locale)
    try:
        template = shipped_template(args.regulation)
    except CaseError as error:
        print(error.text(_), file=sys.stderr)
        return 1
    print(template.title)
    for stage in template.stage_ids():
        steps = [step for step in template.steps if step.stage == stage]
        print(f"\n{template.stage_title(stage, _)}")
        for step in steps:
            if step.deadline_days is not None:
                due = _("{days} working days").format(days=step.deadline_days)
            elif step.default_days is not None:
                due = _("set by the officer (by default {days} working days from the ground)")
                due = due.format(days=step.default_days)
            else:
                due = step.due_note or "—"
            print(f"  {step.id} ({step.clause or '—'}) {step.title} — {due}")
    for scope in template.scope:
        print(f"\n{scope.clause}. {scope.title}:")
        print("\n".join(f"  {number}) {item}" for number, item in enumerate(scope.items, 1)))
    return 0


async def cmd_org_regulation_set(args: argparse.Namespace, settings: Settings) -> int:
    from bot.bootstrap import open_storage
    from reengineering.cases import CaseError
    from reengineering.regulation import set_regulation

    _ = translator(settings.locale)
    storage = await open_storage(settings)
    try:
        async with storage.pool() as session, session.begin():
            template = await set_regulation(session, args.regulation, dict(args.days))
    except CaseError as error:
        print(error.text(_), file=sys.stderr)
        return 1
    finally:
        await storage.engine.dispose()
    print(
        _("New cases open under «{title}» ({id}); open cases keep their own regulation.").format(
            title=template.title, id=template.id
        )
    )
    return 0


async def cmd_org_regulation_show(args: argparse.Namespace, settings: Settings) -> int:
    from bot.bootstrap import open_storage
    from reengineering.regulation import current_regulation, due_defaults, shipped_template

    _ = translator(settings.locale)
    storage = await open_storage(settings)
    try:
        async with storage.pool() as session:
            template = shipped_template(await current_regulation(session))
            days = await due_defaults(session, template)
    finally:
        await storage.engine.dispose()
    print(f"{template.id}  {template.title}")
    print(_("Version: {revision}").format(revision=template.revision))
    print(_deadlines(template.counted, _))
    for step_id, value in days.items():
        print(
            "  " + _("{step}: {days} working days from the ground").format(step=step_id, days=value)
        )
    return 0
