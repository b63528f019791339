"""/forget, everywhere: the answers lose their key, and every row naming the chat goes.

Answers stay in the statistics under a random key (surveys.service.forget); the contact,
the consents and the client category go; so do the outbox rows addressed to the person as a
respondent (a relay row names the feedback it answers) and their campaign invitations.

Staff (employees, process owners, officers) are known to the bot by their Telegram id because
their role needs it: alerts, reminders and cases reach them through it. /forget drops their
respondent side like anyone's; the role row stays until an officer removes it.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from storage.erasure import forget_invites
from storage.outbox import RESPONDENT_KINDS, forget_chat
from surveys.service import ForgetReport, forget


async def forget_person(
    session: AsyncSession, key: str, chat_id: int, *, staff: bool
) -> ForgetReport:
    """Unlink the person from their answers and drop every row that still names their chat."""
    report = await forget(session, key)
    # Staff keep the messages of their role (alerts, reminders, cases).
    await forget_chat(session, chat_id, RESPONDENT_KINDS if staff else None)
    await forget_invites(session, chat_id)
    return report
