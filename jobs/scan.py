"""The monthly decline scan: on the first working day, look at the last complete month."""

from __future__ import annotations

import logging
from datetime import date
from html import escape
from pathlib import Path

from analytics.render import OUT, render
from analytics.scan import (
    ScanReport,
    judge_month,
    record_findings,
    rules_from,
    unrecorded,
)
from analytics.summary import ProcessSummary, summarize_processes
from core.calendar import is_working_day
from core.clock import Clock
from core.i18n import Translator, translator
from core.periods import last_complete_month
from core.russian import inner_quotes
from core.settings import Settings
from jobs.cases import calendar_for
from reengineering.cases import current_regulation, open_cases_from_detections, template_of
from reengineering.templates import GroundTemplate
from storage.cases_models import Ground
from storage.database import SessionPool, read_only_of
from storage.models import DeclineDetection, Process, Touchpoint
from storage.outbox import enqueue
from storage.recipients import officer_recipients, person_recipient

log = logging.getLogger(__name__)


def is_first_working_day_of_month(today: date) -> bool:
    if not is_working_day(today):
        return False
    day = today.replace(day=1)
    while day < today:
        if is_working_day(day):
            return False
        day = day.replace(day=day.day + 1)
    return True


def _alert_text(
    process: Process,
    detection: DeclineDetection,
    _: Translator | None = None,
    *,
    ground: GroundTemplate | None = None,
    touchpoint: Touchpoint | None = None,
) -> str:
    """The alert names what declined (a touchpoint warning names the touchpoint and its
    process); ``ground``: the decline ground as the organisation's regulation words it
    (without it, seed 003's wording)."""
    _ = _ or translator()
    name, code = escape(inner_quotes(process.name)), escape(process.code)
    if detection.level == "touchpoint":
        head = (
            _(
                "<b>⚠️ Warning</b> for the touchpoint «{touchpoint}» ({code}) of the process "
                "«{name}»."
            ).format(
                touchpoint=escape(inner_quotes(touchpoint.name)),
                code=escape(touchpoint.code),
                name=name,
            )
            if touchpoint is not None
            else _("<b>⚠️ Warning</b> for a touchpoint of the process «{name}» ({code}).").format(
                name=name, code=code
            )
        )
        tail = _("A decline at a single touchpoint is a signal to check how it works.")
    else:
        head = _("<b>🔻 Satisfaction decline</b> for the process «{name}» ({code}).").format(
            name=name, code=code
        )
        tail = _(
            "This is a ground for reengineering the process (clause 1.5 of the procedure): "
            "a sustained decline in satisfaction."
        )
        if ground is not None:
            tail = _("This is a ground for reengineering the process ({clause}): {ground}.").format(
                clause=escape(ground.clause or "—"), ground=escape(ground.title)
            )
    return f"{head}\n\n{escape(detection.reason)}\n\n{tail}"


async def scan_and_notify(
    session_pool: SessionPool, settings: Settings, month: date, clock: Clock
) -> ScanReport:
    """Record new detections and queue their notices (idempotent).

    The heavy part (every series judged, the charts of new declines drawn) reads in a
    read-only transaction and draws outside any: the write that records the detections and
    queues their notices is short, so the bot's writers never wait behind the scan.
    """
    rules = rules_from(settings)
    _ = translator(settings.locale)
    async with read_only_of(session_pool)() as session, session.begin():
        report, findings = await judge_month(session, month, rules, _)
        fresh = await unrecorded(session, month, findings)
        declining = sorted({f.process_id for f in fresh if f.level == "process"})
        summaries = (
            await summarize_processes(
                session, declining, _, month=month, rules=rules, details=False
            )
            if declining
            else []
        )
    charts = await _draw_charts(summaries, month, settings)
    async with session_pool() as session, session.begin():
        await record_findings(session, report, findings)
        regulation = template_of(await current_regulation(session))
        decline = regulation.grounds.get(Ground.DECLINE.value)
        officers = await officer_recipients(session)
        for detection in report.new:
            process = await session.get(Process, detection.process_id)
            if process is None:
                continue
            # The owner and every officer; those Telegram cannot reach yet get it when they write.
            owner = await person_recipient(session, process.owner_id)
            recipients = list(dict.fromkeys([*officers, *([owner] if owner else [])]))
            chart_path = charts.get(process.id) if detection.level == "process" else None
            touchpoint = (
                await session.get(Touchpoint, detection.touchpoint_id)
                if detection.touchpoint_id is not None
                else None
            )
            for chat_id in recipients:
                await enqueue(
                    session,
                    chat_id=chat_id,
                    text=_alert_text(process, detection, _, ground=decline, touchpoint=touchpoint),
                    kind=f"decline_{detection.level}",
                    dedupe_key=f"decline:{detection.id}:{chat_id}",
                )
                if chart_path:
                    await enqueue(
                        session,
                        chat_id=chat_id,
                        text=_("Satisfaction dynamics: {name}").format(name=escape(process.name))[
                            :1000
                        ],
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


async def _draw_charts(
    summaries: list[ProcessSummary], month: date, settings: Settings
) -> dict[int, str]:
    """The trend chart of each declining process, drawn in the drawing worker, by process id."""
    if not summaries:
        return {}
    from analytics.chart_trend import trend_chart  # matplotlib: loaded on demand

    folder = Path(settings.data_dir) / "charts"
    folder.mkdir(parents=True, exist_ok=True)
    drawn: dict[int, str] = {}
    for summary in summaries:
        if summary.series is None:
            continue
        path = folder / f"{summary.code}-{month:%Y-%m}.png"
        await render(
            trend_chart,
            summary.name,
            summary.series.points[-12:],
            summary.verdict,
            OUT,
            out=path,
            locale=settings.locale,
            scale_max=summary.series.scale_max,
            min_responses=settings.decline_min_responses,
        )
        drawn[summary.process_id] = str(path)
    return drawn


async def monthly_scan_job(session_pool: SessionPool, settings: Settings, clock: Clock) -> None:
    """Runs daily; acts only on the first working day of the month.

    A process-level decline is a ground (seed 003 п. 1.5 пп. 2) and R1 is due «в течение 3
    рабочих дней после возникновения оснований» (п. 2.2): the case opens in this run, the
    day the decline is found, not at the next day's case job (which runs before the scan).
    """
    today = clock().astimezone(settings.tz).date()
    if is_first_working_day_of_month(today):
        await scan_and_notify(session_pool, settings, last_complete_month(today), clock)
        await open_found_declines(session_pool, settings, clock)


async def open_found_declines(session_pool: SessionPool, settings: Settings, clock: Clock) -> None:
    """Open (or link) the case of every decline detection not yet consumed, today."""
    _ = translator(settings.locale)
    async with session_pool() as session, session.begin():
        results = await open_cases_from_detections(
            session, clock(), tz=settings.tz, calendar=calendar_for(settings), _=_
        )
    if results:
        log.info("scan: cases opened or linked for declines: %s", [r.case_id for r in results])
