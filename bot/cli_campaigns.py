"""`otklik campaigns start | list`: one-off survey rounds from the command line."""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime
from typing import Any

from core.settings import Settings, SettingsError


def add_parser(commands: Any) -> None:
    """Registers the `campaigns` command on the CLI's subparsers (bot.cli)."""
    campaigns = commands.add_parser("campaigns", help="опросные кампании")
    campaign_actions = campaigns.add_subparsers(dest="action", required=True)
    start = campaign_actions.add_parser("start", help="запустить кампанию")
    start.add_argument("--questionnaire", default="internal_service", help="код анкеты")
    start.add_argument(
        "--audience",
        choices=("employees", "departments", "touchpoint"),
        default="employees",
        help="все сотрудники, подразделения или заявители точки, согласившиеся на опросы",
    )
    start.add_argument("--departments", help="коды подразделений через запятую")
    start.add_argument("--touchpoint", help="код точки взаимодействия")
    start.add_argument("--start", help="ГГГГ-ММ-ДД (по умолчанию сегодня)")
    start.add_argument("--end", required=True, help="ГГГГ-ММ-ДД")
    start.add_argument("--remind-after", type=int, help="через сколько рабочих дней напоминать")
    start.add_argument("--max-reminders", type=int, help="не более скольких напоминаний")
    start.set_defaults(handler=cmd_campaigns)
    campaign_actions.add_parser("list", help="кампании и их отклик").set_defaults(
        handler=cmd_campaigns
    )


def parse_day(text: str) -> date:
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise SettingsError(f"Дата указывается как ГГГГ-ММ-ДД; получено «{text}».") from None


async def cmd_campaigns(args: argparse.Namespace, settings: Settings) -> int:
    import sqlalchemy as sa

    from bot.bootstrap import open_storage
    from core.clock import utcnow
    from core.i18n import translator
    from outreach.campaigns import CampaignError, response_rate, run_campaigns, start_campaign
    from storage.models import Campaign

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
                        starts_on=parse_day(args.start) if args.start else today,
                        ends_on=parse_day(args.end),
                        remind_after_days=args.remind_after or settings.campaign_remind_after_days,
                        max_reminders=(
                            settings.campaign_max_reminders
                            if args.max_reminders is None
                            else args.max_reminders
                        ),
                        now=now,
                        _=translator(settings.locale),
                    )
                except CampaignError as error:
                    print(str(error), file=sys.stderr)
                    return 1
                tick = await run_campaigns(
                    session, today, now, settings.secret(), _=translator(settings.locale)
                )
                print(
                    f"Кампания № {campaign.id} создана ({campaign.starts_on:%d.%m.%Y}–"
                    f"{campaign.ends_on:%d.%m.%Y}); приглашений поставлено в очередь: "
                    f"{tick.invited}. Их отправит запущенный бот (otklik run)."
                )
                return 0
            for campaign in await session.scalars(sa.select(Campaign).order_by(Campaign.id)):
                rate = response_rate(campaign)
                print(
                    f"№ {campaign.id}  {campaign.questionnaire_code}  {campaign.audience}  "
                    f"{campaign.starts_on:%d.%m.%Y}–{campaign.ends_on:%d.%m.%Y}  "
                    f"{campaign.status}  "
                    f"приглашено {campaign.invited}, ответили {campaign.responded}"
                    + (f" ({rate:.0%})" if rate is not None else "")
                )
    finally:
        await storage.engine.dispose()
    return 0
