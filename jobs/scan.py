"""The monthly decline scan: on the first working day, look at the last complete month."""

from __future__ import annotations

import asyncio
import logging
from datetime import date
from html import escape
from pathlib import Path

from bot.config import Settings
from reengineering.calendar import is_working_day
from storage.base import Clock
from storage.database import SessionPool
from storage.models import DeclineDetection, Process
from storage.outbox import enqueue
from storage.recipients import officer_recipients, person_recipient
from surveys.decline_guard import NoiseGuard
from surveys.periods import last_complete_month
from surveys.scan import DeclineRules, ScanReport, scan_month
from surveys.summary import summarize_processes

log = logging.getLogger(__name__)


def rules_from(settings: Settings) -> DeclineRules:
    return DeclineRules(
        months=settings.decline_months,
        min_responses=settings.decline_min_responses,
        min_drop=settings.decline_min_drop,
        guard=NoiseGuard(settings.decline_guard, settings.decline_guard_margin),
    )


def is_first_working_day_of_month(today: date) -> bool:
    if not is_working_day(today):
        return False
    day = today.replace(day=1)
    while day < today:
        if is_working_day(day):
            return False
        day = day.replace(day=day.day + 1)
    return True


def _alert_text(process: Process, detection: DeclineDetection) -> str:
    level = "точке взаимодействия" if detection.level == "touchpoint" else "процессу"
    head = (
        "⚠️ Предупреждение" if detection.level == "touchpoint" else "🔻 Снижение удовлетворённости"
    )
    return (
        f"<b>{head}</b> по {level} «{escape(process.name)}» ({escape(process.code)}).\n\n"
        f"{escape(detection.reason)}\n\n"
        + (
            "Это основание для реинжиниринга процесса (п. 1.5 порядка): "
            "устойчивое снижение удовлетворённости."
            if detection.level == "process"
            else "Снижение по отдельной точке — сигнал проверить её работу."
        )
    )


async def scan_and_notify(
    session_pool: SessionPool, settings: Settings, month: date, clock: Clock
) -> ScanReport:
    """Record new detections and queue their notices in one transaction (idempotent)."""
    from surveys.charts import trend_chart  # matplotlib: loaded on demand

    charts = Path(settings.data_dir) / "charts"
    async with session_pool() as session, session.begin():
        report = await scan_month(session, month, rules_from(settings))
        officers = await officer_recipients(session)
        for detection in report.new:
            process = await session.get(Process, detection.process_id)
            if process is None:
                continue
            # The owner and every officer; those Telegram cannot reach yet get it when they write.
            owner = await person_recipient(session, process.owner_id)
            recipients = list(dict.fromkeys([*officers, *([owner] if owner else [])]))
            chart_path: str | None = None
            if detection.level == "process":
                [summary] = await summarize_processes(
                    session, [process.id], month=month, rules=rules_from(settings), details=False
                )
                if summary.series is not None:
                    path = charts / f"{process.code}-{month:%Y-%m}.png"
                    path.parent.mkdir(parents=True, exist_ok=True)
                    await asyncio.to_thread(
                        trend_chart,
                        process.name,
                        summary.series.points[-12:],
                        summary.verdict,
                        path,
                        scale_max=summary.series.scale_max,
                        min_responses=settings.decline_min_responses,
                    )
                    chart_path = str(path)
            for chat_id in recipients:
                await enqueue(
                    session,
                    chat_id=chat_id,
                    text=_alert_text(process, detection),
                    kind=f"decline_{detection.level}",
                    dedupe_key=f"decline:{detection.id}:{chat_id}",
                )
                if chart_path:
                    await enqueue(
                        session,
                        chat_id=chat_id,
                        text=f"Динамика удовлетворённости: {process.name}"[:1000],
                        kind="decline_chart",
                        dedupe_key=f"decline-chart:{detection.id}:{chat_id}",
                        method="sendPhoto",
                        file_path=chart_path,
                    )
            detection.notified_at = clock()
    log.info(
        "scan of %s: %d processes, %d touchpoints, %d new detections",
        month,
        report.processes,
        report.touchpoints,
        len(report.new),
    )
    return report


async def monthly_scan_job(session_pool: SessionPool, settings: Settings, clock: Clock) -> None:
    """Runs daily; acts only on the first working day of the month."""
    today = clock().astimezone(settings.tz).date()
    if is_first_working_day_of_month(today):
        await scan_and_notify(session_pool, settings, last_complete_month(today), clock)
