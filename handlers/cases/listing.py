"""The case list (/cases, «« All cases») and the case card."""

from __future__ import annotations

from datetime import date

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from core.clock import Clock
from core.settings import Settings
from handlers.callbacks import CaseCb, PageCb
from handlers.cases.access import case_access
from handlers.cases.flow import act, message_of, nothing, today_of
from handlers.cases.render import case_list
from handlers.replies import show_page
from reengineering.case_queries import CaseRef
from reengineering.cases import cases_for_officer, cases_for_owner
from storage.uow import UnitOfWork
from surveys.actors import Actor

router = Router(name=__name__)


@router.message(Command("cases"))
async def cases_command(
    message: Message, uow: UnitOfWork, actor: Actor, settings: Settings, clock: Clock
) -> None:
    await send_list(message, uow, actor, today_of(settings, clock()), edit=False)


async def send_list(
    message: Message, uow: UnitOfWork, actor: Actor, today: date, *, edit: bool, page: int = 0
) -> None:
    summaries = []
    if actor.person_id is not None:
        async with uow.transaction() as session:
            if actor.is_officer:
                summaries = await cases_for_officer(session, today=today)
            else:  # an instruction may give someone a case of a process they do not own
                summaries = await cases_for_owner(session, actor.person_id, today=today)
    if actor.person_id is None or not (actor.is_officer or actor.is_owner or summaries):
        await message.answer(
            _("Cases are available to process owners and the client-centricity officer.")
        )
        return
    text, markup = case_list(summaries, actor, page)
    await show_page(message, text, markup, edit=edit)


@router.callback_query(CaseCb.filter(F.a == "l"))
async def back_to_list(
    query: CallbackQuery, uow: UnitOfWork, actor: Actor, settings: Settings, clock: Clock
) -> None:
    await query.answer()
    if (message := message_of(query)) is not None:
        await send_list(message, uow, actor, today_of(settings, clock()), edit=True)


@router.callback_query(PageCb.filter(F.l == "cs"))
async def list_page(
    query: CallbackQuery,
    callback_data: PageCb,
    uow: UnitOfWork,
    actor: Actor,
    settings: Settings,
    clock: Clock,
) -> None:
    """Another page of /cases; send_list shows owners their cases only, as /cases does."""
    await query.answer()
    if (message := message_of(query)) is not None:
        today = today_of(settings, clock())
        await send_list(message, uow, actor, today, edit=True, page=callback_data.pg)


@router.callback_query(CaseCb.filter(F.a == "v"), case_access())
async def show_case(
    query: CallbackQuery,
    case: CaseRef,
    uow: UnitOfWork,
    actor: Actor,
    settings: Settings,
    clock: Clock,
) -> None:
    await act(query, uow, actor, case, today_of(settings, clock()), nothing)
