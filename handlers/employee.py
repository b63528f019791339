"""Employees: joining by an invite link, and rating internal services with /rate."""

from __future__ import annotations

from dataclasses import replace
from html import escape

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from core.clock import Clock
from handlers.asking import begin
from handlers.callbacks import MenuCb, PageCb, RateCb
from handlers.filters import inline
from handlers.keyboards import ListEntry, paged_list
from handlers.menus import Roles, set_menu
from handlers.replies import show_page
from registry import directory
from storage.uow import UnitOfWork
from surveys.actors import Actor
from surveys.invites import INVITE_PREFIX, Redemption, redeem_invite
from surveys.service import SurveyPolicy

router = Router(name=__name__)


@router.message(CommandStart(deep_link=True), inline(F.text.contains(" " + INVITE_PREFIX)))
async def join_by_invite(
    message: Message,
    command: CommandObject,
    uow: UnitOfWork,
    actor: Actor,
    clock: Clock,
    bot: Bot,
) -> None:
    token = (command.args or "").removeprefix(INVITE_PREFIX)
    async with uow.transaction() as session:
        result = await redeem_invite(
            session, token=token, telegram_id=actor.telegram_id, now=clock()
        )
    texts = {
        Redemption.REGISTERED: _(
            "Welcome! You are registered as an employee of «{department}». "
            "Rate internal services at any time with /rate."
        ),
        Redemption.ALREADY: _("You are already registered as an employee of «{department}»."),
        Redemption.EXPIRED: _(
            "This invite link has expired. Ask the client-centricity officer for a new one."
        ),
        Redemption.USED_UP: _(
            "This invite link has already been used the maximum number of times. "
            "Ask the client-centricity officer for a new one."
        ),
        Redemption.UNKNOWN: _("This invite link is not valid. Check that it was copied in full."),
    }
    if result.subordinate:  # seed 004 §2: staff of a subordinate institution
        texts[Redemption.REGISTERED] = _(
            "Welcome! You are registered as an employee of the subordinate institution "
            "«{department}». Rate internal services with /rate and send them requests "
            "with /request."
        )
    department = escape(result.department_name or "")
    await message.answer(texts[result.status].format(department=department))
    if result.status in (Redemption.REGISTERED, Redemption.ALREADY):  # #17.2: the role's menu
        roles = replace(Roles.of(actor), employee=True)
        await set_menu(bot, actor.telegram_id, roles, _)


async def services_menu(
    message: Message, uow: UnitOfWork, actor: Actor, page: int = 0, *, edit: bool = False
) -> None:
    if not actor.is_employee:
        await message.answer(
            _("Rating internal services is for employees. Open the invite link of your department.")
        )
        return
    async with uow.transaction() as session:
        services = await directory.internal_services(session)
    if not services:
        await message.answer(_("No internal services are registered yet."))
        return
    markup = paged_list(
        [ListEntry(name, RateCb(p=process_id)) for process_id, name in services],
        page,
        lambda target: PageCb(l="rt", pg=target),
    )
    text = _("Which service would you like to rate?")
    await show_page(message, text, markup, edit=edit)


@router.callback_query(PageCb.filter(F.l == "rt"))
async def services_page(
    query: CallbackQuery, callback_data: PageCb, uow: UnitOfWork, actor: Actor
) -> None:
    """Another page of internal services: for employees only (services_menu checks)."""
    if not actor.is_employee:
        await query.answer(_("Rating internal services is for employees."), show_alert=True)
        return
    await query.answer()
    if isinstance(query.message, Message):
        await services_menu(query.message, uow, actor, callback_data.pg, edit=True)


@router.message(Command("rate"))
async def rate_command(message: Message, uow: UnitOfWork, actor: Actor) -> None:
    await services_menu(message, uow, actor)


@router.callback_query(MenuCb.filter(F.item == "rate"))
async def rate_from_menu(query: CallbackQuery, uow: UnitOfWork, actor: Actor) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        await services_menu(query.message, uow, actor)


@router.callback_query(RateCb.filter())
async def rate_service(
    query: CallbackQuery,
    callback_data: RateCb,
    bot: Bot,
    uow: UnitOfWork,
    actor: Actor,
    clock: Clock,
    policy: SurveyPolicy,
) -> None:
    if not actor.is_employee:
        await query.answer(_("Rating internal services is for employees."), show_alert=True)
        return
    async with uow.transaction() as session:
        allowed = {pid for pid, _name in await directory.internal_services(session)}
    if callback_data.p not in allowed:
        await query.answer(_("This service is not being rated at the moment."), show_alert=True)
        return
    await query.answer()
    message = query.message if isinstance(query.message, Message) else None
    await begin(
        bot,
        uow,
        actor,
        actor.telegram_id,
        touchpoint_id=0,
        process_id=callback_data.p,
        clock=clock,
        policy=policy,
        message=message,
    )
