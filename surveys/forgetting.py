"""/forget, everywhere: the answers lose their key, and every row naming the chat goes.

Answers stay in the statistics under a random key (`forget`); the contact,
the consents and the client category go; so do the outbox rows addressed to the person as a
respondent (a relay row names the feedback it answers) and their campaign invitations.

Staff (employees, process owners, officers) are known to the bot by their Telegram id because
their role needs it: alerts, reminders and cases reach them through it. /forget drops their
respondent side like anyone's; the role row stays until an officer removes it.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from storage.erasure import forget_invites, forget_links
from storage.models import Respondent, Response, SurveySession
from storage.outbox import RESPONDENT_KINDS, forget_chat
from surveys.respondents import is_tombstone, tombstone_key


@dataclass(frozen=True)
class ForgetReport:
    responses: int
    sessions: int
    had_profile: bool


async def forget(session: AsyncSession, key: str) -> ForgetReport:
    """Unlink a person from everything they answered: past answers keep a random key."""
    tombstone = tombstone_key()
    responses = await session.execute(
        sa.update(Response).where(Response.respondent_key == key).values(respondent_key=tombstone)
    )
    sessions = await session.execute(
        sa.update(SurveySession)
        .where(SurveySession.respondent_key == key)
        .values(respondent_key=tombstone, message_id=None)
    )
    await forget_links(session, key)
    respondent = await session.get(Respondent, key)
    if respondent is not None:
        await session.delete(respondent)
    await session.flush()
    return ForgetReport(
        responses=int(responses.rowcount or 0),  # type: ignore[attr-defined]
        sessions=int(sessions.rowcount or 0),  # type: ignore[attr-defined]
        had_profile=respondent is not None,
    )


async def was_forgotten(session: AsyncSession, session_id: int) -> bool:
    """Whether a questionnaire was unlinked by /forget, so an old button under it can say so
    (issue #17: «the right message after a citizen withdrew with /forget») instead of
    «already answered»; the row tells nothing about whose it was."""
    attempt = await session.get(SurveySession, session_id)
    return attempt is not None and is_tombstone(attempt.respondent_key)


async def forget_person(
    session: AsyncSession, key: str, chat_id: int, *, staff: bool
) -> ForgetReport:
    """Unlink the person from their answers and drop every row that still names their chat."""
    report = await forget(session, key)
    # Staff keep the messages of their role (alerts, reminders, cases).
    await forget_chat(session, chat_id, RESPONDENT_KINDS if staff else None)
    await forget_invites(session, chat_id)
    return report
