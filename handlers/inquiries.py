"""Internal requests in Telegram (seed 004): an employee asks a service, its owner answers.

Thin: each handler parses, calls `inquiries` inside one transaction and says the result after
the commit. The domain checks every object: only an employee sends, only the owner of the
service answers or refuses its requests, only the author lists theirs; /late is the
officer's.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from core.clock import Clock
from core.settings import Settings
from handlers.callbacks import MenuCb, RequestCb, RequestServiceCb
from handlers.filters import TYPED_TEXT, IsOfficer
from inquiries import notices
from inquiries.followup import late_requests
from inquiries.service import TEXT_LIMIT, Refusal, authored, close, owned_request, submit
from registry import directory
from storage.inquiries_models import RequestForm, RequestStatus
from storage.uow import UnitOfWork
from surveys.actors import Actor

router = Router(name=__name__)

FORMS = {"w": RequestForm.WRITTEN, "o": RequestForm.ORAL}


class RequestStates(StatesGroup):
    text = State()  # the employee writes the request
    answer = State()  # the owner writes the written answer
    refusal = State()  # the owner writes the reasons of a refusal


def _refusal_text(refusal: Refusal) -> str:
    texts = {
        Refusal.NOT_EMPLOYEE: _(
            "Requests to internal services are for employees. "
            "Open the invite link of your department."
        ),
        Refusal.NO_SERVICE: _("This service does not take requests at the moment."),
        Refusal.EMPTY: _("An empty message cannot be saved. Please write the text."),
        Refusal.TOO_LONG: _("The text is longer than {limit} characters. Please shorten it."),
        Refusal.MISSING: _("This request no longer exists."),
        Refusal.FORBIDDEN: _("Only the owner of the service answers its requests."),
        Refusal.CLOSED: _("This request has already been answered."),
        Refusal.WRONG_FORM: _("A written request needs a written answer: press «Answer»."),
    }
    return texts[refusal].format(limit=TEXT_LIMIT)


async def _choose_service(message: Message, uow: UnitOfWork, actor: Actor) -> None:
    if not actor.is_employee:
        await message.answer(_refusal_text(Refusal.NOT_EMPLOYEE))
        return
    async with uow.transaction() as session:
        services = await directory.internal_services(session)
    if not services:
        await message.answer(_("No internal services are registered yet."))
        return
    builder = InlineKeyboardBuilder()
    for process_id, name in services:
        builder.button(text=name[:60], callback_data=RequestServiceCb(p=process_id))
    builder.adjust(1)
    await message.answer(
        _("Which internal service is your request for?"), reply_markup=builder.as_markup()
    )


@router.message(Command("request"))
async def request_command(message: Message, uow: UnitOfWork, actor: Actor) -> None:
    await _choose_service(message, uow, actor)


@router.callback_query(MenuCb.filter(F.item == "request"))
async def request_from_menu(query: CallbackQuery, uow: UnitOfWork, actor: Actor) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        await _choose_service(query.message, uow, actor)


@router.callback_query(RequestServiceCb.filter())
async def service_chosen(
    query: CallbackQuery,
    callback_data: RequestServiceCb,
    uow: UnitOfWork,
    actor: Actor,
    state: FSMContext,
) -> None:
    async with uow.transaction() as session:
        allowed = {pid for pid, _name in await directory.internal_services(session)}
    refusal = (
        Refusal.NOT_EMPLOYEE
        if not actor.is_employee
        else (Refusal.NO_SERVICE if callback_data.p not in allowed else None)
    )
    message = query.message if isinstance(query.message, Message) else None
    if refusal is not None or message is None:
        await query.answer(_refusal_text(refusal or Refusal.NO_SERVICE), show_alert=True)
        return
    await query.answer()
    if not callback_data.f:
        builder = InlineKeyboardBuilder()
        builder.button(
            text=_("In writing, within 30 days"),
            callback_data=RequestServiceCb(p=callback_data.p, f="w"),
        )
        builder.button(
            text=_("Orally, today"), callback_data=RequestServiceCb(p=callback_data.p, f="o")
        )
        builder.adjust(1)
        await message.edit_text(
            _("How would you like to be answered?"), reply_markup=builder.as_markup()
        )
        return
    await state.set_state(RequestStates.text)
    await state.update_data(process_id=callback_data.p, form=callback_data.f)
    await message.edit_text(
        _(
            "Describe your request in one message (up to {limit} characters). "
            "/cancel — do not send."
        ).format(limit=TEXT_LIMIT)
    )


@router.message(StateFilter(RequestStates.text), TYPED_TEXT)
async def request_text(
    message: Message,
    uow: UnitOfWork,
    actor: Actor,
    state: FSMContext,
    clock: Clock,
    settings: Settings,
) -> None:
    data = await state.get_data()
    async with uow.transaction() as session:
        sent = await submit(
            session,
            author_id=actor.person_id if actor.is_employee else None,
            process_id=int(data.get("process_id", 0)),
            form=FORMS.get(str(data.get("form")), RequestForm.WRITTEN),
            text=message.text,
            now=clock(),
            tz=settings.tz,
            _=_,
        )
    if sent.refusal in (Refusal.EMPTY, Refusal.TOO_LONG):
        await message.answer(_refusal_text(sent.refusal))  # the state stays: write it again
        return
    await state.clear()
    if sent.refusal is not None or sent.acknowledgement is None:
        await message.answer(_refusal_text(sent.refusal or Refusal.NO_SERVICE))
        return
    await message.answer(sent.acknowledgement.text)


@router.message(Command("myrequests"))
async def my_requests(message: Message, uow: UnitOfWork, actor: Actor) -> None:
    """The author's own requests and where each stands; nobody else's."""
    if actor.person_id is None or not actor.is_employee:
        await message.answer(_refusal_text(Refusal.NOT_EMPLOYEE))
        return
    person_id = actor.person_id
    async with uow.transaction() as session:
        mine = await authored(session, person_id)
    await message.answer(notices.author_list(_, mine))


@router.callback_query(RequestCb.filter())
async def owner_button(
    query: CallbackQuery,
    callback_data: RequestCb,
    uow: UnitOfWork,
    actor: Actor,
    state: FSMContext,
    clock: Clock,
) -> None:
    owned = actor.owned_process_ids
    async with uow.transaction() as session:
        if callback_data.x == "done":
            problem = await close(
                session,
                callback_data.r,
                owned=owned,
                by=actor.person_id,
                outcome=RequestStatus.ANSWERED,
                text=None,
                now=clock(),
                _=_,
            )
        else:
            problem = (await owned_request(session, callback_data.r, owned))[1]
    if problem is not None:
        await query.answer(_refusal_text(problem), show_alert=True)
        return
    if callback_data.x == "done":
        await query.answer(_("Marked as answered; the employee is told."))
        return
    await query.answer()
    refusing = callback_data.x == "refuse"
    await state.set_state(RequestStates.refusal if refusing else RequestStates.answer)
    await state.update_data(request_id=callback_data.r)
    if isinstance(query.message, Message):
        await query.message.answer(
            _(
                "Write the reasons why the request cannot be taken up, in one message: "
                "a refusal states its reasons. /cancel — not now."
            )
            if refusing
            else _("Write the answer to the employee in one message. /cancel — not now.")
        )


@router.message(StateFilter(RequestStates.answer, RequestStates.refusal), TYPED_TEXT)
async def owner_text(
    message: Message, uow: UnitOfWork, actor: Actor, state: FSMContext, clock: Clock
) -> None:
    refusing = await state.get_state() == RequestStates.refusal.state
    request_id = int((await state.get_data()).get("request_id", 0))
    async with uow.transaction() as session:
        problem = await close(
            session,
            request_id,
            owned=actor.owned_process_ids,
            by=actor.person_id,
            outcome=RequestStatus.REFUSED if refusing else RequestStatus.ANSWERED,
            text=message.text,
            now=clock(),
            _=_,
        )
    if problem in (Refusal.EMPTY, Refusal.TOO_LONG):
        text = (
            _("A refusal must state its reasons. Please write them.")
            if refusing and problem is Refusal.EMPTY
            else _refusal_text(problem)
        )
        await message.answer(text)  # the state stays: write it again
        return
    await state.clear()
    if problem is not None:
        await message.answer(_refusal_text(problem))
        return
    await message.answer(
        _("The refusal and its reasons have been sent to the employee.")
        if refusing
        else _("The answer has been sent to the employee.")
    )


async def _late(message: Message, uow: UnitOfWork, clock: Clock, settings: Settings) -> None:
    today = clock().astimezone(settings.tz).date()
    async with uow.transaction() as session:
        late = await late_requests(session, today)
    await message.answer(notices.late_list(_, late, today))


@router.message(Command("late"), IsOfficer())
async def late_command(message: Message, uow: UnitOfWork, clock: Clock, settings: Settings) -> None:
    await _late(message, uow, clock, settings)


@router.callback_query(MenuCb.filter(F.item == "late"), IsOfficer())
async def late_from_menu(
    query: CallbackQuery, uow: UnitOfWork, clock: Clock, settings: Settings
) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        await _late(query.message, uow, clock, settings)
