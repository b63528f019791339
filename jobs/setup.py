"""One scheduler for every periodic job, started with the dispatcher."""

from __future__ import annotations

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.config import Settings
from jobs.campaigns import campaign_job
from jobs.cases import run_case_reminders
from jobs.feedback import feedback_followup
from jobs.scan import monthly_scan_job
from jobs.surveys import expire_unfinished
from storage.base import Clock
from storage.database import SessionPool


def create_scheduler(
    settings: Settings, session_pool: SessionPool, clock: Clock
) -> AsyncIOScheduler:
    """Jobs are idempotent, so a missed or repeated run never sends anything twice."""
    scheduler = AsyncIOScheduler(timezone=settings.tz)
    common = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600}
    scheduler.add_job(
        expire_unfinished,
        "interval",
        minutes=10,
        id="expire_unfinished",
        kwargs={"session_pool": session_pool, "clock": clock},
        **common,
    )
    scheduler.add_job(
        monthly_scan_job,
        "cron",
        hour=settings.scan_hour,
        minute=5,
        id="monthly_scan",
        kwargs={"session_pool": session_pool, "settings": settings, "clock": clock},
        **common,
    )
    scheduler.add_job(
        feedback_followup,
        "interval",
        hours=1,
        id="feedback_followup",
        kwargs={"session_pool": session_pool, "settings": settings, "clock": clock},
        **common,
    )
    scheduler.add_job(
        run_case_reminders,
        "cron",
        hour=settings.reminder_hour,
        minute=0,
        id="case_reminders",
        kwargs={"session_pool": session_pool, "clock": clock, "settings": settings},
        **common,
    )
    scheduler.add_job(
        campaign_job,
        "cron",
        hour=settings.reminder_hour,
        minute=30,
        id="campaigns",
        kwargs={"session_pool": session_pool, "settings": settings, "clock": clock},
        **common,
    )
    return scheduler
