"""`otklik campaigns start | list`: one-off survey rounds from the command line."""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from bot.cli_args import whole_number
from core.i18n import Translator, translator
from core.settings import Settings, SettingsError
from core.wording import __

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


def add_parser(commands: Any, _: Translator) -> None:
    """Registers the `campaigns` command on the CLI's subparsers (bot.cli)."""
    campaigns = commands.add_parser("campaigns", help=_("survey campaigns"))
    campaign_actions = campaigns.add_subparsers(dest="action", required=True)
    start = campaign_actions.add_parser("start", help=_("start a campaign"))
    start.add_argument("--questionnaire", default="internal_service", help=_("questionnaire code"))
    start.add_argument(
        "--audience",
        choices=("employees", "departments", "touchpoint"),
        default="employees",
        help=_("all employees, departments or a touchpoint's applicants who agreed to surveys"),
    )
    start.add_argument("--departments", help=_("department codes separated by commas"))
    start.add_argument("--touchpoint", help=_("touchpoint code"))
    start.add_argument("--start", help=_("YYYY-MM-DD (today by default)"))
    start.add_argument("--end", required=True, help=_("the campaign's last day"))
    number = whole_number(_)
    start.add_argument(
        "--remind-after", type=number, help=_("after how many working days to remind")
    )
    start.add_argument("--max-reminders", type=number, help=_("at most how many reminders"))
    start.set_defaults(handler=cmd_campaigns)
    campaign_actions.add_parser("list", help=_("campaigns and their response")).set_defaults(
        handler=cmd_campaigns
    )


def parse_day(text: str, _: Translator) -> date:
    """`YYYY-MM-DD` → the date; a clear error in the configured locale otherwise."""
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise SettingsError(
            _("A date is given as YYYY-MM-DD; got «{text}».").format(text=text)
        ) from None


async def cmd_campaigns(args: argparse.Namespace, settings: Settings) -> int:
    from bot.bootstrap import open_storage
    from core.clock import utcnow
    from outreach.campaigns import CampaignError, run_campaigns, start_campaign

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
                created = _(
                    "Campaign № {id} is created ({starts}–{ends}); invitations queued: "
                    "{invited}. The running bot (otklik run) sends them."
                )
                print(
                    created.format(
                        id=campaign.id,
                        starts=f"{campaign.starts_on:%d.%m.%Y}",
                        ends=f"{campaign.ends_on:%d.%m.%Y}",
                        invited=tick.invited,
                    )
                )
                return 0
            lines = await campaign_lines(session, settings.locale)
            print("\n".join(lines) or _("No campaigns yet: start one with otklik campaigns start."))
    finally:
        await storage.engine.dispose()
    return 0


STATUSES = {
    "scheduled": __("scheduled"),
    "running": __("under way"),
    "closed": __("finished"),
}


async def campaign_lines(session: AsyncSession, locale: str) -> list[str]:
    """One line per campaign in words: the questionnaire's title, whom it asks, its state.

    Seed clause (issue #17, point 9): «`campaigns list` prints Russian labels, not
    `internal_service employees … running`».
    """
    import sqlalchemy as sa

    from bot.cli_questionnaires import current_titles
    from outreach.campaigns import response_rate
    from storage.models import Campaign, Department, Touchpoint

    _ = translator(locale)
    titles = await current_titles(session, locale)
    lines = []
    for campaign in await session.scalars(sa.select(Campaign).order_by(Campaign.id)):
        if campaign.audience == "departments":
            codes = await session.scalars(
                sa.select(Department.code).where(Department.id.in_(campaign.department_ids))
            )
            audience = _("employees of {departments}").format(departments=", ".join(codes))
        elif campaign.audience == "touchpoint":
            code = await session.scalar(
                sa.select(Touchpoint.code).where(Touchpoint.id == campaign.touchpoint_id)
            )
            audience = _("applicants of the touchpoint {code}").format(code=code or "—")
        else:
            audience = _("all employees")
        title = titles.get(campaign.questionnaire_code, (campaign.questionnaire_code,))[0]
        rate = response_rate(campaign)
        line = _(
            "No. {id} · «{title}» · {audience} · {since}–{until} · {status}; "
            "invited {invited}, answered {responded}"
        ).format(
            id=campaign.id,
            title=title,
            audience=audience,
            since=f"{campaign.starts_on:%d.%m.%Y}",
            until=f"{campaign.ends_on:%d.%m.%Y}",
            status=_(STATUSES.get(campaign.status, campaign.status)),
            invited=campaign.invited,
            responded=campaign.responded,
        )
        lines.append(line + (f" ({rate:.0%})" if rate is not None else ""))
    return lines
