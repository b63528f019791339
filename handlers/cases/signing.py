"""The department head's buttons under a conclusion: «Подписать», «Вернуть на доработку».

Seed 003 §2.2.6, §3.3, §3.7. The head may not own the case, so these buttons are checked by
the domain against the signature's head, not by the case access filter; a return asks for
the reason as typed text.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from core.clock import Clock
from core.settings import Settings
from handlers.callbacks import SignCb
from handlers.cases.flow import message_of, refuse, today_of, typed
from handlers.filters import TYPED_TEXT
from reengineering.case_files import case_dir
from reengineering.cases import CaseError
from reengineering.signing import return_conclusion, sign_conclusion, signature_of
from storage.uow import UnitOfWork
from surveys.actors import Actor

router = Router(name=__name__)


class SignStates(StatesGroup):
    """The reason of a return, typed after «Вернуть на доработку»; the data names the signature."""

    reason = State()


@router.callback_query(SignCb.filter())
async def signature_pressed(
    query: CallbackQuery,
    callback_data: SignCb,
    uow: UnitOfWork,
    actor: Actor,
    state: FSMContext,
    settings: Settings,
    clock: Clock,
) -> None:
    now = clock()
    today = today_of(settings, now)
    if actor.person_id is None:
        await refuse(
            query, _("The conclusion is signed by the head of the department of the process owner.")
        )
        return
    try:
        async with uow.transaction() as session:
            if not callback_data.ok:
                await signature_of(session, callback_data.g, actor.person_id)
            else:
                signature = await signature_of(session, callback_data.g, actor.person_id)
                folder = case_dir(settings.data_dir, signature.case_id)
                await sign_conclusion(
                    session, signature.id, actor.person_id, on=today, at=now, folder=folder, _=_
                )
    except CaseError as error:
        await refuse(query, error.text(_))
        return
    message = message_of(query)
    if callback_data.ok:
        await query.answer(_("Signed; the conclusion is sent to the client-centricity officer."))
        if message is not None:
            await message.edit_reply_markup(reply_markup=None)
        return
    await state.set_state(SignStates.reason)
    await state.update_data(signature=callback_data.g)
    await query.answer()
    if message is not None:
        await message.answer(
            _("What is to be revised? Write it in one message. /cancel — do not return it.")
        )


@router.message(StateFilter(SignStates.reason), TYPED_TEXT)
async def return_reason(
    message: Message,
    uow: UnitOfWork,
    actor: Actor,
    state: FSMContext,
    settings: Settings,
    clock: Clock,
) -> None:
    reason = await typed(message)
    if reason is None or actor.person_id is None:
        return
    now = clock()
    signature_id = int((await state.get_data()).get("signature", 0))
    await state.clear()
    try:
        async with uow.transaction() as session:
            await return_conclusion(
                session, signature_id, actor.person_id, reason,
                on=today_of(settings, now), at=now, _=_,
            )  # fmt: skip
    except CaseError as error:
        await message.answer(error.text(_))
        return
    await message.answer(_("The conclusion is returned for revision; the submitter is told."))
