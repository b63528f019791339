"""Respondents who asked to hear back are told when the plan for their service is carried out.

Seed 001 §4(3), the stage «Внесение изменений в процессы …»: «информирование внешних и
внутренних клиентов об изменениях в процессе предоставления государственных услуг (функций),
использования сервисов, исполнения полномочий и функций (при необходимости)».

Only those who asked for an answer to their feedback (``answer_ok``) are written to, in the
chat of their channel the bot already keeps for that consent (``respondent_contacts``), about
the process of the touchpoint they last rated. Nothing new is stored about them: the message
is an outbox row of an answer kind, so withdrawing the consent or /forget deletes it.
"""

from __future__ import annotations

from html import escape

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from core.i18n import Translator
from storage.cases_models import ReengineeringCase
from storage.delivery_models import OutboxLane
from storage.models import Process, Respondent, RespondentContact, Touchpoint
from storage.outbox import enqueue

__all__ = ["tell_respondents"]


async def tell_respondents(
    session: AsyncSession, case: ReengineeringCase, process: Process, _: Translator
) -> int:
    """Queue the news for every opted-in respondent of the process; how many were queued."""
    chats = await session.scalars(
        sa.select(RespondentContact.chat_id)
        .join(Respondent, Respondent.key == RespondentContact.respondent_key)
        .join(Touchpoint, Touchpoint.id == RespondentContact.touchpoint_id)
        .where(Respondent.answer_ok, Touchpoint.process_id == process.id)
        .order_by(RespondentContact.chat_id)
    )
    text = _(
        "🔔 «{process}», which you gave feedback on, has been changed: the plan of measures "
        "to improve it is carried out. Thank you for your feedback — it helped."
    ).format(process=escape(process.name))
    queued = 0
    for chat in dict.fromkeys(chats):
        queued += await enqueue(
            session, chat_id=chat, text=text, kind="service_changed", lane=OutboxLane.BULK,
            dedupe_key=f"changed:{case.id}:{chat}",
        )  # fmt: skip
    return queued
