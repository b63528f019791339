"""Campaign housekeeping: start on the day, remind non-respondents, close with the rate."""

from __future__ import annotations

import logging

from core.calendar import default_calendar
from core.clock import Clock
from core.i18n import translator
from core.settings import Settings
from outreach.campaigns import CampaignTick, run_campaigns
from storage.database import SessionPool

log = logging.getLogger(__name__)


async def campaign_job(session_pool: SessionPool, settings: Settings, clock: Clock) -> CampaignTick:
    """Idempotent: every invitation and reminder is queued once (outbox dedupe keys)."""
    now = clock()
    async with session_pool() as session, session.begin():
        tick = await run_campaigns(
            session,
            now.astimezone(settings.tz).date(),
            now,
            settings.secret(),
            default_calendar(),
            _=translator(settings.locale),
        )
    if tick.started or tick.reminded or tick.closed:
        log.info("campaigns: %s", tick)
    return tick
