"""The monthly scan: run the decline detector on every process and touchpoint series.

Two steps per series: `detect_decline` finds the streak of decreases, then the noise guard
(`analytics.decline_guard`) keeps it only when its drop stands out from sampling noise. Each
detection is recorded once per series and month (a unique key), so rerunning the
scan records nothing new; the next issue opens reengineering cases from these records.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.decline import DeclineVerdict, detect_decline
from analytics.decline_guard import NoiseGuard, apply_guard
from analytics.indexes import (
    IndexRow,
    Series,
    build_series,
    latest_version,
    monthly_index,
    months_back,
    scale_max_of,
)
from core.i18n import Translator
from core.settings import Settings
from storage.models import DeclineDetection

HISTORY_MONTHS = 24


@dataclass(frozen=True)
class DeclineRules:
    """Detector thresholds and the noise guard, from OTKLIK_DECLINE_* settings."""

    months: int = 3
    min_responses: int = 30
    min_drop: float = 0.0
    guard: NoiseGuard = field(default_factory=NoiseGuard)


def rules_from(settings: Settings) -> DeclineRules:
    """The rules the installation is configured with (the scan job, /stats, the demo)."""
    return DeclineRules(
        months=settings.decline_months,
        min_responses=settings.decline_min_responses,
        min_drop=settings.decline_min_drop,
        guard=NoiseGuard(settings.decline_guard, settings.decline_guard_margin),
    )


@dataclass
class ScanReport:
    month: date
    processes: int = 0
    touchpoints: int = 0
    new: list[DeclineDetection] = field(default_factory=list)
    already_recorded: int = 0
    within_noise: int = 0  # streaks long enough for the literal rule that the guard set aside


def judge_series(series: Series, rules: DeclineRules, _: Translator) -> DeclineVerdict:
    """Both steps on one series: the streak of decreases, then the noise guard."""
    verdict = detect_decline(
        series.points,
        _,
        months=rules.months,
        min_responses=rules.min_responses,
        min_drop=rules.min_drop,
    )
    cells = {point.month: cell for point, cell in zip(series.points, series.cells, strict=True)}
    return apply_guard(verdict, cells, rules.guard, _)


def _grouped(rows: Sequence[IndexRow], key: str) -> dict[int, list[IndexRow]]:
    groups: dict[int, list[IndexRow]] = defaultdict(list)
    for row in rows:
        if row.keys.get(key) is not None:
            groups[int(row.keys[key])].append(row)
    return groups


@dataclass(frozen=True)
class Finding:
    """A series whose decline passed both steps: what `record_findings` writes, once."""

    series: str
    level: str
    process_id: int
    touchpoint_id: int | None
    questionnaire_id: int
    verdict: DeclineVerdict


async def _recorded(session: AsyncSession, month: date, series: str) -> bool:
    found = await session.scalar(
        sa.select(DeclineDetection.id).where(
            DeclineDetection.series == series, DeclineDetection.month == month
        )
    )
    return found is not None


async def judge_month(
    session: AsyncSession, month: date, rules: DeclineRules, _: Translator
) -> tuple[ScanReport, list[Finding]]:
    """Both steps on every series ending at `month`; reads only, so a read-only session serves
    (the scan's heavy part never holds the write lock the bot's writers need)."""
    window = months_back(month, HISTORY_MONTHS)
    scales = await scale_max_of(session)
    report = ScanReport(month=month)
    findings: list[Finding] = []

    by_process = await monthly_index(session, by=("process",), since=window[0], until=month)
    by_touchpoint = await monthly_index(
        session, by=("process", "touchpoint"), since=window[0], until=month
    )
    for level, key, rows_of_level in (
        ("process", "process", by_process),
        ("touchpoint", "touchpoint", by_touchpoint),
    ):
        for series_id, rows in sorted(_grouped(rows_of_level, key).items()):
            version = latest_version(rows)
            if version is None:
                continue
            if level == "process":
                report.processes += 1
            else:
                report.touchpoints += 1
            series = build_series(rows, version, scales.get(version, 5), window)
            verdict = judge_series(series, rules, _)
            report.within_noise += verdict.within_noise
            if verdict.triggered:
                findings.append(
                    Finding(
                        series=f"{level[0]}{series_id}:q{version}",
                        level=level,
                        process_id=int(rows[0].keys["process"]),
                        touchpoint_id=series_id if level == "touchpoint" else None,
                        questionnaire_id=version,
                        verdict=verdict,
                    )
                )
    return report, findings


async def unrecorded(
    session: AsyncSession, month: date, findings: Sequence[Finding]
) -> list[Finding]:
    """The findings not recorded yet for `month` (a rerun of the scan finds none)."""
    return [f for f in findings if not await _recorded(session, month, f.series)]


async def record_findings(
    session: AsyncSession, report: ScanReport, findings: Sequence[Finding]
) -> None:
    """Record each finding once per series and month; count those recorded before."""
    for finding in findings:
        if await _recorded(session, report.month, finding.series):
            report.already_recorded += 1
            continue
        verdict = finding.verdict
        detection = DeclineDetection(
            series=finding.series,
            level=finding.level,
            process_id=finding.process_id,
            touchpoint_id=finding.touchpoint_id,
            questionnaire_id=finding.questionnaire_id,
            month=report.month,
            streak=verdict.streak,
            first_mean=verdict.first_mean,
            last_mean=verdict.last_mean,
            p_value=verdict.trend_p_value,
            reason=verdict.reason,
        )
        session.add(detection)
        await session.flush()
        report.new.append(detection)


async def scan_month(
    session: AsyncSession, month: date, rules: DeclineRules, _: Translator
) -> ScanReport:
    """Detect declines ending at `month` (the last complete month) and record new ones."""
    report, findings = await judge_month(session, month, rules, _)
    await record_findings(session, report, findings)
    return report
