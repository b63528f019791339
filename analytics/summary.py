"""What a process owner or officer reads in /stats: index, trend, pains, comments, flags."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.decline import DeclineVerdict
from analytics.indexes import (
    Series,
    build_series,
    latest_version,
    monthly_index,
    months_back,
    scale_max_of,
)
from analytics.scan import DeclineRules, judge_series
from core.i18n import Translator
from core.periods import PAIN_MAP_MONTHS, month_add
from storage.models import ClientType, DeclineDetection, Process, Response, ResponseAnswer


@dataclass
class ProcessSummary:
    process_id: int
    code: str
    name: str
    series: Series | None
    verdict: DeclineVerdict | None
    detected: bool
    month: date
    top_problems: list[tuple[str, int]] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    # The month's responses (of the series' version) per collection channel (telegram, …).
    collected: dict[str, int] = field(default_factory=dict)
    internal: bool = False

    @property
    def split(self) -> bool:
        """Whether the month's answers came through more than one collection channel."""
        return sum(1 for n in self.collected.values() if n) > 1

    @property
    def pains_since(self) -> date:
        """First month of the pains and comments: the months of the pain map."""
        return month_add(self.month, 1 - PAIN_MAP_MONTHS)

    @property
    def last_mean(self) -> float | None:
        return self.series.cells[-1].mean if self.series else None

    @property
    def last_csat(self) -> float | None:
        return self.series.cells[-1].csat if self.series else None

    @property
    def last_n(self) -> int:
        return self.series.cells[-1].n if self.series else 0


async def summarize_processes(
    session: AsyncSession,
    process_ids: list[int],
    _: Translator,
    *,
    month: date,
    rules: DeclineRules,
    months: int = 12,
    details: bool = True,
) -> list[ProcessSummary]:
    """Summaries ordered worst first (declining, then lowest mean, then no data)."""
    window = months_back(month, months)
    scales = await scale_max_of(session)
    rows = await monthly_index(
        session, by=("process",), process_ids=process_ids, since=window[0], until=month
    )
    by_process: dict[int, list] = {}  # type: ignore[type-arg]
    for row in rows:
        by_process.setdefault(int(row.keys["process"]), []).append(row)
    detected = set(
        (
            await session.scalars(
                sa.select(DeclineDetection.process_id).where(
                    DeclineDetection.level == "process",
                    DeclineDetection.process_id.in_(process_ids),
                    DeclineDetection.month >= window[0],
                    DeclineDetection.month <= month,
                )
            )
        ).all()
    )
    collected = await _collected(session, process_ids, month)
    processes = (await session.scalars(sa.select(Process).where(Process.id.in_(process_ids)))).all()
    summaries: list[ProcessSummary] = []
    for process in processes:
        series = verdict = None
        process_rows = by_process.get(process.id, [])
        version = latest_version(process_rows)
        if version is not None:
            series = build_series(process_rows, version, scales.get(version, 5), window)
            verdict = judge_series(series, rules, _)
        summary = ProcessSummary(
            process.id, process.code, process.name, series, verdict, process.id in detected, month
        )
        summary.internal = process.client_type == ClientType.INTERNAL
        if version is not None:
            summary.collected = collected.get((process.id, version), {})
        if details:
            await _add_details(session, summary)
        summaries.append(summary)

    def badness(summary: ProcessSummary) -> tuple[int, float]:
        declining = summary.detected or bool(summary.verdict and summary.verdict.triggered)
        mean = summary.last_mean
        return (0 if declining else 1 if mean is not None else 2, mean if mean is not None else 99)

    return sorted(summaries, key=badness)


async def _collected(
    session: AsyncSession, process_ids: list[int], month: date
) -> dict[tuple[int, int], dict[str, int]]:
    """The month's responses per process, questionnaire version and collection channel."""
    rows = await monthly_index(
        session, by=("process", "collected_via"), process_ids=process_ids, since=month, until=month
    )
    collected: dict[tuple[int, int], dict[str, int]] = {}
    for row in rows:
        key = (int(row.keys["process"]), row.questionnaire_id)
        via = str(row.keys["collected_via"])
        collected.setdefault(key, {})[via] = row.n
    return collected


async def _add_details(session: AsyncSession, summary: ProcessSummary) -> None:
    """Pains and comments of the pain map's months, so /stats and the map agree."""
    in_period = (
        Response.process_id == summary.process_id,
        Response.month >= summary.pains_since,
        Response.month <= summary.month,
    )
    problems = await session.scalars(
        sa.select(ResponseAnswer.choices)
        .join(Response, Response.id == ResponseAnswer.response_id)
        .where(*in_period, ResponseAnswer.question == "problems")
    )
    counter: Counter[str] = Counter()
    for choices in problems.all():
        counter.update(set(choices or []))  # a response counts once, as in the pain map
    summary.top_problems = sorted(counter.items(), key=lambda pair: (-pair[1], pair[0]))[:3]
    comments = await session.scalars(
        sa.select(ResponseAnswer.value_text)
        .join(Response, Response.id == ResponseAnswer.response_id)
        .where(*in_period, ResponseAnswer.question == "comment")
        .order_by(Response.submitted_at.desc())
        .limit(3)
    )
    summary.comments = [c for c in comments.all() if c]
