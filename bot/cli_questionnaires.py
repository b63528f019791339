"""`otklik questionnaires list`: what `campaigns start --questionnaire` accepts, and for whom.

Seed clause (issue #17, point 9): «`otklik questionnaires list` shows what can be used in
campaigns». A campaign of employees needs a questionnaire for internal clients, a
touchpoint's one a questionnaire for external clients (outreach.campaigns.start_campaign).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from core.i18n import Translator, translator
from core.settings import Settings
from core.wording import __

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

# Which `--audience` of `campaigns start` a questionnaire's audience fits.
FITS = {
    "internal": __("employees: --audience employees or departments"),
    "external": __("applicants of a touchpoint: --audience touchpoint"),
}


def add_parser(commands: Any, _: Translator) -> None:
    """Registers the `questionnaires` command on the CLI's subparsers (bot.cli)."""
    questionnaires = commands.add_parser("questionnaires", help=_("questionnaires"))
    actions = questionnaires.add_subparsers(dest="action", required=True)
    actions.add_parser(
        "list", help=_("the questionnaires campaigns can use: code, title, audience, version")
    ).set_defaults(handler=cmd_questionnaires_list)


async def current_titles(session: AsyncSession, locale: str) -> dict[str, tuple[str, str, int]]:
    """code → (title in `locale`, audience, version) of each questionnaire's current version."""
    import sqlalchemy as sa

    from storage.models import Questionnaire

    rows = await session.scalars(
        sa.select(Questionnaire).where(Questionnaire.is_current).order_by(Questionnaire.code)
    )
    found = {}
    for row in rows:
        titles = row.definition.get("title") or {}
        title = titles.get(locale) or row.title if isinstance(titles, dict) else row.title
        found[row.code] = (str(title), row.audience.value, row.version)
    return found


async def cmd_questionnaires_list(args: argparse.Namespace, settings: Settings) -> int:
    from bot.bootstrap import open_storage

    _ = translator(settings.locale)
    storage = await open_storage(settings)
    try:
        async with storage.pool() as session:
            found = await current_titles(session, settings.locale)
    finally:
        await storage.engine.dispose()
    print(_("Questionnaires for campaigns (otklik campaigns start --questionnaire CODE):"))
    for code, (title, audience, version) in found.items():
        line = _("{code} · «{title}», version {version}; for {audience}")
        print(line.format(code=code, title=title, version=version, audience=_(FITS[audience])))
    return 0
