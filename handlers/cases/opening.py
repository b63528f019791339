"""The officer opens a case by instruction: choose a process, confirm, open."""

from __future__ import annotations

from contextlib import suppress
from html import escape

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardButton, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from core.clock import Clock
from core.settings import Settings
from handlers.callbacks import CaseCb, CaseOpenCb
from handlers.cases.access import officer_access
from handlers.cases.flow import load_card, message_of, person, refuse, show, today_of
from handlers.keyboards import ListEntry, paged_list
from reengineering.case_queries import active_processes, process_name
from reengineering.cases import (
    CaseError,
    current_regulation,
    ground_title,
    open_case,
    template_of,
)
from reengineering.reminders import format_date
from reengineering.templates import StageTemplate
from storage.cases_models import Ground
from storage.uow import UnitOfWork
from surveys.actors import Actor

router = Router(name=__name__)

ALL_PROCESSES = 10_000  # a registry holds hundreds at most; the pager shows them by pages


@router.callback_query(CaseOpenCb.filter(), officer_access())
async def open_by_instruction(
    query: CallbackQuery,
    callback_data: CaseOpenCb,
    uow: UnitOfWork,
    actor: Actor,
    settings: Settings,
    clock: Clock,
) -> None:
    """Officer only: choose a process, confirm, open (or add the ground to its open case)."""
    message = message_of(query)
    if callback_data.p == 0:
        await query.answer()
        if message is not None:
            await _process_page(message, uow, callback_data.pg)
        return
    if not callback_data.ok:
        async with uow.transaction() as session:
            name = await process_name(session, callback_data.p)
            template = template_of(await current_regulation(session))
        await query.answer()
        if message is not None:
            await _confirm_opening(message, callback_data.p, name, template, settings, clock)
        return
    ground = Ground(callback_data.g) if callback_data.g else Ground.INSTRUCTION
    await _open(query, callback_data.p, ground, uow, actor, settings, clock)


async def _open(
    query: CallbackQuery,
    process_id: int,
    ground: Ground,
    uow: UnitOfWork,
    actor: Actor,
    settings: Settings,
    clock: Clock,
) -> None:
    now = clock()
    today = today_of(settings, now)
    try:
        async with uow.transaction() as session:
            result = await open_case(
                session, process_id, ground, arose_on=today,
                actor_id=person(actor), at=now,
                _=_,
            )  # fmt: skip
            card = await load_card(session, result.case_id, today)
    except CaseError as error:
        await refuse(query, error.text(_))
        return
    if result.created:
        await query.answer(_("The case is opened; the owner is told."))
    else:
        await query.answer(
            _("The process already has an open case; the instruction is recorded as its ground."),
            show_alert=True,
        )
    await show(message_of(query), card, actor, edit=True)


async def _process_page(message: Message, uow: UnitOfWork, page: int) -> None:
    """Every active process, a page at a time, with the shared pager (#17.1)."""
    async with uow.transaction() as session:
        rows = await active_processes(session, 0, ALL_PROCESSES)
    markup = paged_list(
        [ListEntry(name, CaseOpenCb(p=process_id)) for process_id, name in rows],
        page,
        lambda target: CaseOpenCb(pg=target),
        after=[
            InlineKeyboardButton(text=_("« All cases"), callback_data=CaseCb(c=0, a="l").pack())
        ],
    )
    with suppress(TelegramBadRequest):
        await message.edit_text(
            _("Which process does the instruction concern?"), reply_markup=markup
        )


async def _confirm_opening(
    message: Message,
    process_id: int,
    name: str,
    template: StageTemplate,
    settings: Settings,
    clock: Clock,
) -> None:
    """The grounds come from the organisation's regulation (seed 000 adds a change of law)."""
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Open the case"), callback_data=CaseOpenCb(p=process_id, ok=True))
    law = Ground.LAW_CHANGE.value
    if law in template.grounds:
        builder.button(
            text=_("Open: {ground}").format(ground=ground_title(template, law, _))[:60],
            callback_data=CaseOpenCb(p=process_id, ok=True, g=law),
        )
    builder.button(text=_("Cancel"), callback_data=CaseOpenCb())
    builder.adjust(1)
    with suppress(TelegramBadRequest):
        await message.edit_text(
            _("Open a reengineering case for «{process}» on the ground «{ground}», {date}?").format(
                process=escape(name),
                ground=escape(ground_title(template, Ground.INSTRUCTION, _)),
                date=format_date(today_of(settings, clock())),
            ),
            reply_markup=builder.as_markup(),
        )
