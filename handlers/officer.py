"""Client-centricity officers: invite links for employees (the router is officer-only)."""

from __future__ import annotations

import sqlalchemy as sa
from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from handlers.callbacks import InviteCb, MenuCb
from storage.base import Clock
from storage.models import Department
from storage.registry_links import deep_link
from storage.uow import UnitOfWork
from surveys.invites import create_invite, departments, invite_payload

router = Router(name=__name__)

USES_CHOICES = (1, 10, 50, 200)
DAYS_CHOICES = (1, 7, 30)


async def _choose_department(message: Message, uow: UnitOfWork, edit: bool) -> None:
    async with uow.transaction() as session:
        found = await departments(session)
    if not found:
        await message.answer(_("No departments in the registry yet: import the registry first."))
        return
    builder = InlineKeyboardBuilder()
    for department in found:
        builder.button(text=department.name[:60], callback_data=InviteCb(d=department.id))
    builder.adjust(1)
    text = _("Invite for which department?")
    if edit:
        await message.edit_text(text, reply_markup=builder.as_markup())
    else:
        await message.answer(text, reply_markup=builder.as_markup())


@router.message(Command("invite"))
async def invite_command(message: Message, uow: UnitOfWork) -> None:
    await _choose_department(message, uow, edit=False)


@router.callback_query(MenuCb.filter(F.item == "invite"))
async def invite_from_menu(query: CallbackQuery, uow: UnitOfWork) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        await _choose_department(query.message, uow, edit=False)


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
