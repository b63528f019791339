"""Internal requests' follow-up and the internal survey on the working group's agenda.

Hourly and idempotent: the owners' reminders, the officers' late notices and the monthly
agenda item (seed 004 §14) each carry a dedupe key, so a second run queues nothing twice.
"""

from __future__ import annotations

import logging

from core.clock import Clock
from core.i18n import translator
from core.periods import last_complete_month
from core.settings import Settings
from inquiries.agenda import put_on_agenda
from inquiries.followup import follow_up
from storage.database import SessionPool

log = logging.getLogger(__name__)


async def inquiries_followup(session_pool: SessionPool, settings: Settings, clock: Clock) -> None:
    now = clock()
    _ = translator(settings.locale)
    month = last_complete_month(now.astimezone(settings.tz).date())
    async with session_pool() as session, session.begin():
        reminded, late = await follow_up(session, now, settings.tz, _=_)
        agenda = await put_on_agenda(session, month, min_cell=settings.min_cell_respondents, _=_)
    if reminded or late or agenda:
        log.info(
            "inquiries: %d reminders, %d late notices, %d agenda items", reminded, late, agenda
        )
