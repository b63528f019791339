"""Documents attached to a step: the prompt, then the file or photo the person sends."""

from __future__ import annotations

import logging
from html import escape
from pathlib import Path
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.settings import Settings
from handlers.callbacks import CaseCb
from handlers.cases.access import Denied, case_access, case_session
from handlers.cases.flow import after_typed, ask, person, stale_text, today_of
from handlers.filters import TYPED_TEXT, inline
from reengineering.case_files import MAX_UPLOAD_BYTES, case_step, document_path
from reengineering.cases import attach_document
from storage.uow import UnitOfWork
from surveys.actors import Actor

router = Router(name=__name__)
log = logging.getLogger(__name__)


class DocumentStates(StatesGroup):
    """A file (or photo) expected after «attach a document»; the data names the case and step."""

    document = State()


@router.callback_query(CaseCb.filter(F.a == "doc"), case_access())
async def ask_document(
    query: CallbackQuery, callback_data: CaseCb, uow: UnitOfWork, actor: Actor, state: FSMContext
) -> None:
    prompt = _(
        "Send the document for step {step} as a file or a photo. /cancel — do not attach."
    ).format(step=escape(callback_data.s))
    await ask(query, uow, actor, state, callback_data, DocumentStates.document, prompt)


def _sent_file(message: Message) -> tuple[str, int | None, str]:
    """The Telegram file id, its size and the name to show, of a document or a photo."""
    if message.document is not None:
        name = message.document.file_name or "document"
        return message.document.file_id, message.document.file_size, name
    assert message.photo
    return message.photo[-1].file_id, message.photo[-1].file_size, "photo.jpg"


async def _known_step(uow: UnitOfWork, actor: Actor, case_id: int, step_id: str) -> str | None:
    """The step's code if the state names a step of a case the sender may see."""
    try:
        async with case_session(uow, actor, case_id) as session:
            return await case_step(session, case_id, step_id)
    except Denied:
        return None


async def _download(bot: Bot, file_id: str, path: Path, case_id: int) -> Path | None:
    """A local copy, or None: the Telegram file id alone still lets the bot resend it later."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        await bot.download(file_id, destination=path)
    except (TelegramAPIError, OSError) as error:
        log.warning("case %s: document not downloaded (%s)", case_id, type(error).__name__)
        path.unlink(missing_ok=True)
        return None
    return path


@router.message(StateFilter(DocumentStates.document), inline(F.document | F.photo))
async def receive_document(
    message: Message,
    bot: Bot,
    uow: UnitOfWork,
    actor: Actor,
    state: FSMContext,
    settings: Settings,
    clock: Clock,
) -> None:
    """Keep the Telegram file id and a local copy; the download runs outside any transaction.

    The local name is made here (see reengineering.case_files); the sender's file name is
    only shown and stored as text. A file over the Bot API's download limit is refused first.
    """
    data = await state.get_data()
    case_id, step_id = int(data.get("case", 0)), str(data.get("step", ""))
    file_id, size, name = _sent_file(message)
    if size is not None and size > MAX_UPLOAD_BYTES:
        await message.answer(
            _(
                "The file is larger than {limit} MB: the bot cannot receive it. Send a smaller "
                "file (or an archive of parts), or /cancel."
            ).format(limit=MAX_UPLOAD_BYTES // (1024 * 1024))
        )
        return
    known = await _known_step(uow, actor, case_id, step_id)
    if known is None:
        await state.clear()
        await message.answer(stale_text())
        return
    # UnsafePath (a ValueError) from document_path propagates: it is never a user's mistake.
    path = await _download(
        bot, file_id, document_path(settings.data_dir, case_id, known, name), case_id
    )
    now = clock()

    async def action(session: AsyncSession, _data: dict[str, Any]) -> None:
        await attach_document(
            session, case_id, known, person(actor), original_name=name,
            on=today_of(settings, now), at=now, telegram_file_id=file_id,
            file_path=str(path) if path else None,
            _=_,
        )  # fmt: skip

    done = _("The document «{name}» is attached to step {step}.").format(
        name=escape(name), step=escape(known)
    )
    attached = await after_typed(message, uow, actor, state, today_of(settings, now), action, done)
    if path is not None and not attached:
        path.unlink(missing_ok=True)


@router.message(StateFilter(DocumentStates.document), TYPED_TEXT)
async def document_expected(message: Message) -> None:
    await message.answer(
        _("Please send the document as a file or a photo. /cancel — do not attach.")
    )
