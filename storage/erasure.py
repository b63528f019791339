"""Rows that name a person, as /forget and a withdrawn consent remove them.

Beside `storage.outbox.forget_chat`: the surveys' /forget calls these, and they belong to no
domain package above it (the loop's links, the campaigns' invitations), so they live here.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Campaign, CampaignInvite, FeedbackAlert


async def forget_links(session: AsyncSession, respondent_key: str) -> None:
    """The person's feedback alerts no longer point at them (outreach.loop expires them too)."""
    await session.execute(
        sa.update(FeedbackAlert)
        .where(FeedbackAlert.respondent_key == respondent_key)
        .values(respondent_key=None)
    )


async def forget_invites(session: AsyncSession, chat_id: int, *, consented: bool = False) -> int:
    """/forget: the chat's invitations go (no more reminders, no record it was asked).

    `consented`: only those of campaigns that asked by the person's consent (a touchpoint's
    respondents), for a withdrawn consent. The campaigns keep their counts (see
    run_campaigns), so the response rate stays true.
    """
    query = sa.delete(CampaignInvite).where(CampaignInvite.chat_id == chat_id)
    if consented:
        by_consent = sa.select(Campaign.id).where(Campaign.audience == "touchpoint")
        query = query.where(CampaignInvite.campaign_id.in_(by_consent))
    result = await session.execute(query)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
