"""`otklik campaigns start | list`: one-off survey rounds from the command line."""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime
from typing import Any

from core.i18n import Translator, translator
from core.settings import Settings, SettingsError


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
    start.add_argument("--end", required=True, help=_("YYYY-MM-DD"))
    start.add_argument("--remind-after", type=int, help=_("after how many working days to remind"))
    start.add_argument("--max-reminders", type=int, help=_("at most how many reminders"))
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
    import sqlalchemy as sa

    from bot.bootstrap import open_storage
    from core.clock import utcnow
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
            for campaign in await session.scalars(sa.select(Campaign).order_by(Campaign.id)):
                rate = response_rate(campaign)
                print(
                    f"№ {campaign.id}  {campaign.questionnaire_code}  {campaign.audience}  "
                    f"{campaign.starts_on:%d.%m.%Y}–{campaign.ends_on:%d.%m.%Y}  "
                    f"{campaign.status}  "
                    + _("invited {invited}, answered {responded}").format(
                        invited=campaign.invited, responded=campaign.responded
                    )
                    + (f" ({rate:.0%})" if rate is not None else "")
                )
    finally:
        await storage.engine.dispose()
    return 0
