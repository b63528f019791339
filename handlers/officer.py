"""Client-centricity officers: invite links for employees (the router is officer-only)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from core.clock import Clock
from core.settings import Settings
from handlers.callbacks import CampaignWizardCb, InviteCb, MenuCb, PageCb, RegistryCb
from handlers.keyboards import ListEntry, paged_list
from handlers.replies import show_page
from outreach.campaigns import (
    CampaignError,
    audience_chats,
    audience_size,
    run_campaigns,
    start_campaign,
)
from registry.links import deep_link
from registry.publication import record_publication
from storage.models import Department
from storage.uow import UnitOfWork
from surveys.actors import Actor
from surveys.invites import create_invite, departments, invite_payload

router = Router(name=__name__)

USES_CHOICES = (1, 10, 50, 200)
DAYS_CHOICES = (1, 7, 30)


async def _choose_department(message: Message, uow: UnitOfWork, edit: bool, page: int = 0) -> None:
    async with uow.transaction() as session:
        found = await departments(session)
    if not found:
        await message.answer(_("No departments in the registry yet: import the registry first."))
        return
    markup = paged_list(
        [ListEntry(d.name, InviteCb(d=d.id)) for d in found],
        page,
        lambda target: PageCb(l="iv", pg=target),
    )
    text = _("Invite for which department?")
    await show_page(message, text, markup, edit=edit)


@router.message(Command("invite"))
async def invite_command(message: Message, uow: UnitOfWork) -> None:
    await _choose_department(message, uow, edit=False)


@router.callback_query(MenuCb.filter(F.item == "invite"))
async def invite_from_menu(query: CallbackQuery, uow: UnitOfWork) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        await _choose_department(query.message, uow, edit=False)


@router.callback_query(PageCb.filter(F.l.in_({"iv", "cw"})))
async def department_page(query: CallbackQuery, callback_data: PageCb, uow: UnitOfWork) -> None:
    """Another page of departments in the invite or campaign wizard (officer-only router)."""
    await query.answer()
    if not isinstance(query.message, Message):
        return
    if callback_data.l == "iv":
        await _choose_department(query.message, uow, edit=True, page=callback_data.pg)
    else:
        await _campaign_audience(query.message, uow, callback_data.pg, edit=True)


@router.callback_query(InviteCb.filter())
async def invite_wizard(
    query: CallbackQuery, callback_data: InviteCb, bot: Bot, uow: UnitOfWork, clock: Clock
) -> None:
    message = query.message if isinstance(query.message, Message) else None
    await query.answer()
    if message is None:
        return
    builder = InlineKeyboardBuilder()
    if callback_data.u == 0:
        for uses in USES_CHOICES:
            builder.button(text=str(uses), callback_data=InviteCb(d=callback_data.d, u=uses))
        await message.edit_text(
            _("How many people may use the link?"), reply_markup=builder.as_markup()
        )
        return
    if callback_data.days == 0:
        for days in DAYS_CHOICES:
            builder.button(
                text=_("{days} d.").format(days=days),
                callback_data=InviteCb(d=callback_data.d, u=callback_data.u, days=days),
            )
        await message.edit_text(
            _("How many days is the link valid?"), reply_markup=builder.as_markup()
        )
        return
    async with uow.transaction() as session:
        code = await session.scalar(
            sa.select(Department.code).where(Department.id == callback_data.d)
        )
        if code is None:
            await message.edit_text(_("This department is no longer in the registry."))
            return
        invite = await create_invite(
            session,
            department_code=code,
            uses=callback_data.u,
            days=callback_data.days,
            now=clock(),
        )
        payload = invite_payload(invite)
    me = await bot.me()
    link = deep_link(me.username or "", payload)
    await message.edit_text(
        _(
            "Invite link created: up to {uses} people, valid {days} d.\n\n{link}\n\n"
            "Send it to the employees of the department."
        ).format(uses=callback_data.u, days=callback_data.days, link=link)
    )


CAMPAIGN_DAYS = (7, 14, 30)


@router.message(Command("campaign"))
async def campaign_command(message: Message, uow: UnitOfWork) -> None:
    await _campaign_audience(message, uow, 0, edit=False)


async def _campaign_audience(message: Message, uow: UnitOfWork, page: int, *, edit: bool) -> None:
    """«All employees», then every department, a page at a time."""
    async with uow.transaction() as session:
        found = await departments(session)
    entries = [ListEntry(_("All employees"), CampaignWizardCb(d=0))]
    entries += [ListEntry(d.name, CampaignWizardCb(d=d.id)) for d in found]
    markup = paged_list(entries, page, lambda target: PageCb(l="cw", pg=target))
    text = _("A survey of employees about internal services. Whom shall we ask?")
    await show_page(message, text, markup, edit=edit)


def _campaign_days_keyboard(department_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for days in CAMPAIGN_DAYS:
        builder.button(
            text=_("{days} d.").format(days=days),
            callback_data=CampaignWizardCb(d=department_id, days=days),
        )
    return builder.as_markup()


def _start_anyway_keyboard(chosen: CampaignWizardCb) -> InlineKeyboardMarkup:
    again = CampaignWizardCb(d=chosen.d, days=chosen.days, go=True)
    button = InlineKeyboardButton(text=_("Start anyway"), callback_data=again.pack())
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


@router.callback_query(CampaignWizardCb.filter())
async def campaign_wizard(
    query: CallbackQuery,
    callback_data: CampaignWizardCb,
    uow: UnitOfWork,
    actor: Actor,
    clock: Clock,
    settings: Settings,
) -> None:
    message = query.message if isinstance(query.message, Message) else None
    await query.answer()
    if message is None:
        return
    if callback_data.days == 0:
        await message.edit_text(
            _("How many days will the survey run?"),
            reply_markup=_campaign_days_keyboard(callback_data.d),
        )
        return
    now = clock()
    today = now.astimezone(settings.tz).date()
    if not callback_data.go:
        async with uow.transaction() as session:
            department_ids = [callback_data.d] if callback_data.d else []
            nobody = await audience_size(session, department_ids=department_ids) == 0
        if nobody:
            await message.edit_text(
                _(
                    "Nobody would be invited now: no employee of this audience is known to the "
                    "bot yet. Invitations go only to those known when the survey starts. Start "
                    "anyway, or choose another audience with /campaign."
                ),
                reply_markup=_start_anyway_keyboard(callback_data),
            )
            return
    async with uow.transaction() as session:
        codes: list[str] = []
        if callback_data.d:
            code = await session.scalar(
                sa.select(Department.code).where(Department.id == callback_data.d)
            )
            codes = [code] if code else []
        try:
            campaign = await start_campaign(
                session,
                questionnaire_code="internal_service",
                audience="departments" if codes else "employees",
                department_codes=codes,
                starts_on=today,
                ends_on=today + timedelta(days=callback_data.days),
                remind_after_days=settings.campaign_remind_after_days,
                max_reminders=settings.campaign_max_reminders,
                created_by=actor.person_id,
                now=now,
                _=_,
            )
        except CampaignError as error:
            await message.edit_text(str(error))
            return
        await run_campaigns(session, today, now, settings.secret(), _=_)
        invited = campaign.invited or len(await audience_chats(session, campaign))
    await message.edit_text(
        _(
            "The survey has started: {invited} employees are invited until {end}. "
            "Non-respondents get reminders; at the end you will get the response rate."
        ).format(invited=invited, end=f"{campaign.ends_on:%d.%m.%Y}")
    )


@router.callback_query(RegistryCb.filter())
async def registry_published(
    query: CallbackQuery,
    callback_data: RegistryCb,
    uow: UnitOfWork,
    actor: Actor,
    clock: Clock,
    settings: Settings,
) -> None:
    """The button of the publication reminder (seed 002 §3.1): the list is on the site today."""
    await query.answer()
    today = clock().astimezone(settings.tz).date()
    async with uow.transaction() as session:
        settled = await record_publication(session, today, actor.person_id, upto=callback_data.c)
    text = (
        _("The publication of the registry on {day} is recorded.")
        if settled
        else _("This change of the registry is already recorded as published.")
    ).format(day=f"{today:%d.%m.%Y}")
    if isinstance(query.message, Message):
        await query.message.edit_text(f"{query.message.html_text}\n\n{text}")
