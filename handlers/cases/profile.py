"""Step R1 offers the client segment profile of the case's process as a workbook.

Seed 003 §2.2: within 3 working days the owner «формирует либо актуализирует … профиль
клиентского сегмента на основании имеющихся данных о клиентах процесса за два года,
предшествующих дню начала исследования»; the bot drafts it from two years of feedback, with
the journey's specifics and the preferred channels (analytics.report_segments).
"""

from __future__ import annotations

import io

from aiogram import F, Router
from aiogram.types import BufferedInputFile, CallbackQuery
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.settings import Settings
from handlers.callbacks import CaseCb
from handlers.cases.access import case_access
from handlers.cases.flow import message_of, today_of
from reengineering.case_queries import CaseRef
from storage.uow import UnitOfWork

router = Router(name=__name__)


@router.callback_query(CaseCb.filter(F.a == "sp"), case_access())
async def segment_profile_workbook(
    query: CallbackQuery, case: CaseRef, uow: UnitOfWork, settings: Settings, clock: Clock
) -> None:
    from analytics.report_segments import segment_profile  # pandas: loaded on demand

    await query.answer(_("Preparing the report…"))
    buffer = io.BytesIO()
    until = today_of(settings, clock())

    async def build(session: AsyncSession) -> object:
        return await segment_profile(
            session, buffer, _, process_id=case.process_id, until=until,
            min_cell=settings.min_cell_respondents,
        )  # fmt: skip

    await uow.report(build)
    if (message := message_of(query)) is not None:
        await message.answer_document(
            BufferedInputFile(buffer.getvalue(), f"segment-profile-case-{case.id}.xlsx"),
            caption=_("Client segment profile for step R1 (clause 2.2): two years of feedback."),
        )
