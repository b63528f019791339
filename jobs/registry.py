"""The daily reminder to publish the changed registry (seed 002 §3.1).

§3.1: «Актуальная версия Перечня размещается на официальном сайте министерства не позднее
5 рабочих дней с момента внесения изменений». The import queues the first reminder itself;
this job, on working days at OTKLIK_REMINDER_HOUR, queues the ones before and at the deadline
and one when it has passed, until the officer records the publication. Idempotent: every
reminder has its outbox key (registry.publication).
"""

from __future__ import annotations

from core.clock import Clock
from core.i18n import translator
from core.settings import Settings
from jobs.cases import calendar_for
from registry.publication import queue_publication_reminders
from storage.database import SessionPool


async def registry_publication_job(
    session_pool: SessionPool, clock: Clock, settings: Settings
) -> int:
    """Queue today's publication reminder; returns how many messages were queued."""
    local = clock().astimezone(settings.tz)
    calendar = calendar_for(settings)
    if not calendar.is_working_day(local.date()) or local.hour < settings.reminder_hour:
        return 0
    async with session_pool() as session, session.begin():
        return await queue_publication_reminders(
            session, local.date(), calendar, translator(settings.locale)
        )
