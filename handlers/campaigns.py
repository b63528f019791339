"""Campaign invitations in Telegram: «Пройти опрос» opens the right questionnaire."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from core.clock import Clock
from handlers.asking import begin
from handlers.callbacks import CampaignCb
from handlers.employee import services_menu
from storage.models import Campaign, Touchpoint
from storage.uow import UnitOfWork
from surveys.actors import Actor
from surveys.service import SurveyPolicy

router = Router(name=__name__)


@router.callback_query(CampaignCb.filter())
async def take_campaign_survey(
    query: CallbackQuery,
    callback_data: CampaignCb,
    bot: Bot,
    uow: UnitOfWork,
    actor: Actor,
    clock: Clock,
    policy: SurveyPolicy,
) -> None:
    async with uow.transaction() as session:
        campaign = await session.get(Campaign, callback_data.c)
        running = campaign is not None and campaign.status == "running"
        target = None
        if running and campaign is not None and campaign.touchpoint_id is not None:
            touchpoint = await session.get(Touchpoint, campaign.touchpoint_id)
            target = (touchpoint.id, touchpoint.process_id) if touchpoint else None
    if not running:
        await query.answer(_("This survey is already closed. Thank you!"), show_alert=True)
        return
    await query.answer()
    message = query.message if isinstance(query.message, Message) else None
    if target is not None:
        await begin(
            bot,
            uow,
            actor,
            actor.telegram_id,
            touchpoint_id=target[0],
            process_id=target[1],
            clock=clock,
            policy=policy,
        )
    elif message is not None:
        await services_menu(message, uow, actor)
