"""One scheduler for every periodic job, started with the dispatcher."""

from __future__ import annotations

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.config import Settings
from jobs.surveys import expire_unfinished
from storage.base import Clock
from storage.database import SessionPool


def create_scheduler(
    settings: Settings, session_pool: SessionPool, clock: Clock
) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone=settings.tz)
    scheduler.add_job(
        expire_unfinished,
        "interval",
        minutes=10,
        kwargs={"session_pool": session_pool, "clock": clock},
        id="expire_unfinished",
        coalesce=True,
        max_instances=1,
    )
    return scheduler
