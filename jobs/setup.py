"""One scheduler for every periodic job, started with the bot.

Jobs are idempotent, so a missed or repeated run never sends anything twice; with several
replicas, a job runs only in the one that holds the scheduler lease (jobs.leader).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from core.clock import Clock
from core.settings import Settings
from jobs.campaigns import campaign_job
from jobs.cases import run_case_reminders
from jobs.feedback import feedback_followup
from jobs.inquiries import inquiries_followup
from jobs.leader import Leadership
from jobs.registry import registry_publication_job
from jobs.retention import retention_job
from jobs.scan import monthly_scan_job
from jobs.surveys import StaleStates, expire_unfinished, purge_fsm
from storage.database import SessionPool

Job = Callable[..., Awaitable[Any]]


def create_scheduler(
    settings: Settings,
    session_pool: SessionPool,
    clock: Clock,
    leadership: Leadership | None = None,
    fsm_storage: object | None = None,
) -> AsyncIOScheduler:
    """`fsm_storage`: the dispatcher's; a database one gets a nightly purge (Redis expires
    its keys itself, see bot.factory.create_fsm_storage)."""
    scheduler = AsyncIOScheduler(timezone=settings.tz)
    common = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600}
    everything = {"session_pool": session_pool, "settings": settings, "clock": clock}
    jobs: list[tuple[str, Job, dict[str, Any], dict[str, Any]]] = [
        (
            "expire_unfinished",
            expire_unfinished,
            {"trigger": "interval", "minutes": 10},
            {"session_pool": session_pool, "clock": clock},
        ),
        (
            "monthly_scan",
            monthly_scan_job,
            {"trigger": "cron", "hour": settings.scan_hour, "minute": 5},
            everything,
        ),
        ("feedback_followup", feedback_followup, {"trigger": "interval", "hours": 1}, everything),
        ("inquiries_followup", inquiries_followup, {"trigger": "interval", "hours": 1}, everything),
        (
            "retention",
            retention_job,
            {"trigger": "interval", "hours": 1},
            {"session_pool": session_pool, "clock": clock},
        ),
        (
            "case_reminders",
            run_case_reminders,
            {"trigger": "cron", "hour": settings.reminder_hour, "minute": 0},
            everything,
        ),
        (
            "registry_publication",
            registry_publication_job,
            {"trigger": "cron", "hour": settings.reminder_hour, "minute": 15},
            everything,
        ),
        (
            "campaigns",
            campaign_job,
            {"trigger": "cron", "hour": settings.reminder_hour, "minute": 30},
            everything,
        ),
    ]
    if isinstance(fsm_storage, StaleStates):
        jobs.append(
            (
                "purge_fsm",
                purge_fsm,
                {"trigger": "cron", "hour": 3, "minute": 40},
                {"storage": fsm_storage},
            )
        )
    for job_id, job, trigger, kwargs in jobs:
        runnable = leadership.guard(job) if leadership is not None else job
        scheduler.add_job(runnable, id=job_id, kwargs=kwargs, **trigger, **common)
    return scheduler
