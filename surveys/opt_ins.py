"""The thanks' two opt-ins: may the bot ask again later, and answer the person's feedback.

The chat is kept for contact only while one of them is on; withdrawing one drops what it
allowed to be queued for the chat.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage.erasure import forget_invites
from storage.models import Respondent, RespondentContact, SurveySession
from storage.outbox import ANSWER_KINDS, INVITATION_KINDS, forget_chat
from surveys.views import definition_of


async def set_opt_in(
    session: AsyncSession,
    key: str,
    *,
    session_id: int,
    kind: str,
    chat_id: int,
    now: datetime,
) -> bool | None:
    """Keep the chat for contact only after an explicit opt-in; the new flag, or None if refused."""
    survey = await session.get(SurveySession, session_id)
    respondent = await session.get(Respondent, key)
    if survey is None or survey.respondent_key != key or respondent is None:
        return None
    if kind == "answer" and not respondent.answer_ok and not await _commented(session, survey):
        return None  # an answer is offered only to feedback with a comment, forged presses too
    if kind == "recontact":
        respondent.recontact_ok = not respondent.recontact_ok
        value = respondent.recontact_ok
    elif kind == "answer":
        respondent.answer_ok = not respondent.answer_ok
        value = respondent.answer_ok
    else:
        return None
    contact = await session.get(RespondentContact, key)
    if respondent.recontact_ok or respondent.answer_ok:
        if contact is None:
            contact = RespondentContact(respondent_key=key, chat_id=chat_id)
            session.add(contact)
        contact.chat_id = chat_id
        contact.touchpoint_id = survey.touchpoint_id
        contact.updated_at = now
    elif contact is not None:
        await session.delete(contact)
    if not value:  # withdrawn: what the consent allowed keeps the chat no longer
        await forget_chat(session, chat_id, ANSWER_KINDS if kind == "answer" else INVITATION_KINDS)
        if kind == "recontact":
            await forget_invites(session, chat_id, consented=True)
    await session.flush()
    return value


async def offers_answer(session: AsyncSession, session_id: int) -> bool:
    """Whether this finished questionnaire has a comment, so an answer to it can be asked for."""
    survey = await session.get(SurveySession, session_id)
    return survey is not None and await _commented(session, survey)


async def _commented(session: AsyncSession, survey: SurveySession) -> bool:
    definition = await definition_of(session, survey.questionnaire_id)
    return definition.commented(survey.answers)
