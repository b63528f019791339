"""Finding a service without a QR code: area → service → touchpoint, then its questionnaire."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InaccessibleMessage, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from handlers import keyboards
from handlers.asking import begin, outsider_to
from handlers.callbacks import MenuCb, NavCb, PageCb
from handlers.replies import ack, edit_in_place
from handlers.respondent import SEARCH_LIMIT
from registry import directory
from storage.models import Process, Touchpoint
from storage.uow import UnitOfWork
from surveys.actors import Actor
from surveys.service import SurveyPolicy

router = Router(name=__name__)


@router.callback_query(MenuCb.filter(F.item == "find"))
async def find_service(query: CallbackQuery, uow: UnitOfWork) -> None:
    async with uow.transaction() as session:
        items = await directory.directions_with_services(session)
    await query.answer()
    if isinstance(query.message, Message):
        await edit_in_place(
            query.message,
            _("Choose the area of the service, or simply type part of its name:"),
            keyboards.choice_list("d", items, 0, 0, None),
        )


async def _level(
    session: AsyncSession, level: str, paging: bool, item_id: int, page: int
) -> tuple[str, InlineKeyboardMarkup]:
    """The text and choices of one level of the finder (a page of it when paging)."""
    if level == "d" and not paging:
        items, text = await directory.processes_of(session, item_id), _("Choose the service:")
        return text, keyboards.choice_list("p", items, 0, item_id, MenuCb(item="find"))
    if level == "p" and not paging:
        process = await session.get(Process, item_id)
        items = await directory.touchpoints_of(session, item_id)
        back = NavCb(lvl="d", id=process.direction_id if process else 0)
        return _("Where were you served?"), keyboards.choice_list("t", items, 0, item_id, back)
    if level == "d":
        items, text = await directory.directions_with_services(session), _("Choose the area:")
        return text, keyboards.choice_list("d", items, page, 0, None)
    if level == "p":
        items, text = await directory.processes_of(session, item_id), _("Choose the service:")
        return text, keyboards.choice_list("p", items, page, item_id, None)
    items, text = (
        await directory.touchpoints_of(session, item_id),
        _("Where were you served?"),
    )
    return text, keyboards.choice_list("t", items, page, item_id, None)


@router.callback_query(PageCb.filter(F.l == "sr"))
async def search_page(
    query: CallbackQuery, callback_data: PageCb, uow: UnitOfWork, state: FSMContext
) -> None:
    """Another page of a search's results: the search is run again on the words kept."""
    words = str((await state.get_data()).get("search") or "")
    async with uow.transaction() as session:
        found = await directory.search_touchpoints(session, words, SEARCH_LIMIT) if words else []
    if not found:
        await query.answer(_("This button is no longer active."))
        return
    await query.answer()
    if isinstance(query.message, Message):
        await edit_in_place(
            query.message,
            _("Here is what I found. Choose the place where you were served:"),
            keyboards.search_results(found, callback_data.pg),
        )


@router.callback_query(NavCb.filter())
async def navigate(
    query: CallbackQuery,
    callback_data: NavCb,
    bot: Bot,
    uow: UnitOfWork,
    actor: Actor,
    clock: Clock,
    policy: SurveyPolicy,
) -> None:
    message = query.message if isinstance(query.message, Message) else None
    level, item_id, page = callback_data.lvl, callback_data.id, callback_data.pg
    paging = level.endswith("*")
    level = level.rstrip("*")
    # The finder offers citizens' services only: a touchpoint (t), or the touchpoints of a
    # process (p, and t when paging); paging processes (p*) walks a direction's external ones.
    asked = {
        ("t", False): (item_id, None),
        ("p", False): (None, item_id),
        ("t", True): (None, item_id),
    }
    if not actor.is_employee and (level, paging) in asked:
        async with uow.transaction() as db:
            outsider = await outsider_to(db, actor, *asked[level, paging])
        if outsider:
            await ack(query, _("Rating internal services is for employees."), show_alert=True)
            return
    if level == "t" and not paging:
        await _chosen_touchpoint(query, message, item_id, bot, uow, actor, clock, policy)
        return
    async with uow.transaction() as session:
        text, markup = await _level(session, level, paging, item_id, page)
    await query.answer()
    if message is not None:
        await edit_in_place(message, text, markup)


async def _chosen_touchpoint(
    query: CallbackQuery,
    message: Message | None,
    touchpoint_id: int,
    bot: Bot,
    uow: UnitOfWork,
    actor: Actor,
    clock: Clock,
    policy: SurveyPolicy,
) -> None:
    """A touchpoint chosen in the finder: its questionnaire opens in the finder's message."""
    async with uow.transaction() as session:
        touchpoint = await session.get(Touchpoint, touchpoint_id)
        target = (touchpoint.id, touchpoint.process_id) if touchpoint else None
    await query.answer()
    if target is None or message is None or isinstance(message, InaccessibleMessage):
        return
    await begin(
        bot,
        uow,
        actor,
        actor.telegram_id,
        touchpoint_id=target[0],
        process_id=target[1],
        clock=clock,
        policy=policy,
        message=message,
    )
