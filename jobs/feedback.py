"""Closed-loop follow-up: remind owners of unanswered low scores, escalate, forget old links."""

from __future__ import annotations

import logging
from datetime import timedelta

from core.clock import Clock
from core.i18n import translator
from core.settings import Settings
from outreach.loop import expire_links, remind_and_escalate
from storage.database import SessionPool

log = logging.getLogger(__name__)


async def feedback_followup(session_pool: SessionPool, settings: Settings, clock: Clock) -> None:
    """Idempotent: every reminder and escalation is queued once (outbox dedupe keys)."""
    async with session_pool() as session, session.begin():
        reminded, escalated = await remind_and_escalate(
            session, clock(), _=translator(settings.locale)
        )
        expired = await expire_links(
            session, clock(), timedelta(days=settings.feedback_link_retention_days)
        )
    if reminded or escalated or expired:
        log.info(
            "feedback: %d reminders, %d escalations, %d links expired", reminded, escalated, expired
        )
