"""Detection of a sustained decline of client satisfaction with a process.

Seed 003 (§1.5) names "устойчивое снижение в течение более трех месяцев подряд уровня
удовлетворенности" as a ground for reengineering. A decline is counted as consecutive
month-on-month decreases of the monthly mean score that end at the latest month.

Reading of the threshold: the product spec triggers at ``months=3`` (three decreases in a
row, i.e. four monthly points, e.g. January → April). The seed's strict wording "более трёх
месяцев подряд" ("more than three months") corresponds to ``months=4``. The defaults of
:func:`detect_decline` follow the product spec; the app layer passes the values of the
settings ``OTKLIK_DECLINE_MONTHS``, ``OTKLIK_DECLINE_MIN_RESPONSES`` and
``OTKLIK_DECLINE_MIN_DROP``, so an organisation can choose the strict reading.

A month with too few answers, or a month without data, breaks the streak: an alert must
rest on data that can carry it. The Mann–Kendall trend p-value is computed over the streak
and shown to people as supporting evidence; it does not decide the trigger, because four or
five monthly points are too few for a test to be the rule. Whether a streak's drop stands
out from sampling noise is a separate step of the scan, ``analytics.decline_guard``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from itertools import pairwise

from analytics.wording import answers_text, months_text
from core.i18n import Translator
from core.russian import format_p_value, month_range_ru, month_ru, ru_number

__all__ = [
    "DeclineVerdict",
    "MannKendallResult",
    "MonthlyScore",
    "detect_decline",
    "mann_kendall",
    "month_from_index",
    "month_index",
]


@dataclass(frozen=True)
class MonthlyScore:
    """Mean score of one process in one calendar month (``month`` is its first day)."""

    month: date
    mean: float
    responses: int


@dataclass(frozen=True)
class MannKendallResult:
    """Mann–Kendall statistics, kept together so people can see how the p-value arose."""

    s: int
    variance: float
    z: float
    p_value: float


@dataclass(frozen=True)
class DeclineVerdict:
    """Outcome of a decline check, with the evidence a process owner needs to trust it."""

    triggered: bool
    streak: int
    reason: str
    streak_months: tuple[date, ...] = ()
    first_mean: float | None = None
    last_mean: float | None = None
    total_drop: float | None = None
    trend_p_value: float | None = None
    insufficient_data: bool = False
    months_required: int = 3
    # Set by the noise guard (analytics.decline_guard), never by detect_decline.
    drop_standard_error: float | None = None
    noise_margin: float | None = None
    within_noise: bool = False


def _answers_text(count: int, _: Translator) -> str:
    return _("no responses") if count == 0 else answers_text(count, _)


# ----------------------------------------------------------------------------- statistics


def mann_kendall(values: Sequence[float]) -> MannKendallResult | None:
    """Two-sided Mann–Kendall trend test (normal approximation); None below 3 points."""
    n = len(values)
    if n < 3:
        return None
    s = 0
    for i in range(n - 1):
        for j in range(i + 1, n):
            diff = values[j] - values[i]
            s += (diff > 0) - (diff < 0)
    ties = Counter(values).values()
    tie_term = sum(t * (t - 1) * (2 * t + 5) for t in ties)
    variance = (n * (n - 1) * (2 * n + 5) - tie_term) / 18
    if variance <= 0:
        return MannKendallResult(s=s, variance=0.0, z=0.0, p_value=1.0)
    if s > 0:
        z = (s - 1) / math.sqrt(variance)
    elif s < 0:
        z = (s + 1) / math.sqrt(variance)
    else:
        z = 0.0
    p_value = min(1.0, math.erfc(abs(z) / math.sqrt(2)))
    return MannKendallResult(s=s, variance=variance, z=z, p_value=p_value)


# ----------------------------------------------------------------------------- detection


def month_index(month: date) -> int:
    """Months since year 0, so month arithmetic is integer arithmetic."""
    return month.year * 12 + month.month - 1


def month_from_index(index: int) -> date:
    """First day of the month with the given :func:`month_index`."""
    return date(index // 12, index % 12 + 1, 1)


def _validate(
    points: Sequence[MonthlyScore], months: int, min_responses: int, min_drop: float
) -> None:
    if months < 1:
        raise ValueError(f"months must be at least 1, got {months}")
    if min_responses < 0:
        raise ValueError(f"min_responses must not be negative, got {min_responses}")
    if not math.isfinite(min_drop) or min_drop < 0:
        raise ValueError(f"min_drop must be a non-negative number, got {min_drop}")
    for point in points:
        if point.month.day != 1:
            raise ValueError(f"month must be the first day of a month, got {point.month}")
        if point.responses < 0:
            raise ValueError(f"responses must not be negative, got {point.responses}")
        if point.responses > 0 and not math.isfinite(point.mean):
            raise ValueError(f"mean of {point.month:%Y-%m} with answers must be finite")
    for prev, cur in pairwise(points):
        if cur.month == prev.month:
            raise ValueError(f"duplicate month in points: {cur.month:%Y-%m}")
        if cur.month < prev.month:
            raise ValueError(
                f"points must be in chronological order: {cur.month:%Y-%m} "
                f"comes after {prev.month:%Y-%m}"
            )


def _thin_month_text(point: MonthlyScore, min_responses: int, _: Translator) -> str:
    return _("in {month} {responses} with a minimum of {minimum}").format(
        month=month_ru(point.month, "prepositional"),
        responses=_answers_text(point.responses, _),
        minimum=min_responses,
    )


def _gap_text(prev: MonthlyScore, cur: MonthlyScore, _: Translator) -> str:
    first = month_from_index(month_index(prev.month) + 1)
    last = month_from_index(month_index(cur.month) - 1)
    return _("no data for {months}").format(months=month_range_ru(first, last))


def _streak_summary(run: Sequence[MonthlyScore]) -> str:
    first, last = run[0], run[-1]
    drop = last.mean - first.mean
    return (
        f"{ru_number(first.mean)} → {ru_number(last.mean)} ({ru_number(drop)}), "
        f"{month_range_ru(first.month, last.month)}"
    )


def _stop_text(prev: MonthlyScore, cur: MonthlyScore, min_drop: float, _: Translator) -> str:
    """Say why the month ``cur`` does not continue a decline from ``prev``."""
    month = month_ru(cur.month, "prepositional")
    before, after = ru_number(prev.mean), ru_number(cur.mean)
    if cur.mean == prev.mean:
        return _("in {month} the mean score did not change ({mean})").format(
            month=month, mean=after
        )
    if cur.mean > prev.mean:
        return _("in {month} the mean score rose from {before} to {after}").format(
            month=month, before=before, after=after
        )
    return _(
        "in {month} the fall from {before} to {after} is not above the threshold {threshold}"
    ).format(month=month, before=before, after=after, threshold=ru_number(min_drop))


def detect_decline(
    points: Sequence[MonthlyScore],
    _: Translator,
    *,
    months: int = 3,
    min_responses: int = 30,
    min_drop: float = 0.0,
) -> DeclineVerdict:
    """Check whether the latest months form a decline streak of at least ``months`` decreases.

    A decrease is ``mean < previous mean - min_drop``. Raises ValueError on unsorted or
    duplicate months and on invalid thresholds. ``_`` words the reason.
    """
    _validate(points, months, min_responses, min_drop)
    if not points:
        return DeclineVerdict(
            triggered=False,
            streak=0,
            insufficient_data=True,
            months_required=months,
            reason=_("Not enough data: the process has no scores yet"),
        )
    latest = points[-1]
    if latest.responses < min_responses:
        return DeclineVerdict(
            triggered=False,
            streak=0,
            insufficient_data=True,
            months_required=months,
            reason=_("Not enough data: {details}").format(
                details=_thin_month_text(latest, min_responses, _)
            ),
        )

    start = len(points) - 1
    stop_note = ""
    insufficient = False
    while start > 0:
        prev, cur = points[start - 1], points[start]
        if month_index(cur.month) - month_index(prev.month) != 1:
            insufficient, stop_note = True, _gap_text(prev, cur, _)
            break
        if prev.responses < min_responses:
            insufficient, stop_note = True, _thin_month_text(prev, min_responses, _)
            break
        if not cur.mean < prev.mean - min_drop:
            stop_note = _stop_text(prev, cur, min_drop, _)
            break
        start -= 1
    else:
        insufficient = True
        stop_note = _("scores exist only from {month}").format(
            month=month_ru(points[0].month, "genitive")
        )

    run = points[start:]
    streak = len(run) - 1
    triggered = streak >= months
    mk = mann_kendall([p.mean for p in run])
    p_value = mk.p_value if mk is not None else None
    insufficient = insufficient and not triggered
    return DeclineVerdict(
        triggered=triggered,
        streak=streak,
        reason=_reason(run, months, triggered, insufficient, stop_note, p_value, _),
        streak_months=tuple(p.month for p in run) if streak else (),
        first_mean=run[0].mean,
        last_mean=run[-1].mean,
        total_drop=run[0].mean - run[-1].mean,
        trend_p_value=p_value,
        insufficient_data=insufficient,
        months_required=months,
    )


def _reason(
    run: Sequence[MonthlyScore],
    months: int,
    triggered: bool,
    insufficient: bool,
    stop_note: str,
    p_value: float | None,
    _: Translator,
) -> str:
    """Compose the explanation shown to process owners and the officer."""
    streak = len(run) - 1
    trend = (
        _("; Mann–Kendall trend {p_value}").format(p_value=format_p_value(p_value))
        if p_value is not None
        else ""
    )
    summary, fell = _streak_summary(run), months_text(streak, _)
    if triggered:
        return _("Satisfaction fell {months} in a row: {summary}{trend}").format(
            months=fell, summary=summary, trend=trend
        )
    not_enough = _("Not enough data: {details}").format(details=stop_note)
    if not streak:
        return not_enough if insufficient else _("No decline: {details}").format(details=stop_note)
    found = _("A fall {months} in a row, threshold {threshold}: {summary}{trend}").format(
        months=fell, threshold=months, summary=summary, trend=trend
    )
    if insufficient:
        return _sentences(not_enough, found)
    return _sentences(found, _("Before the fall: {details}").format(details=stop_note))


def _sentences(first: str, second: str) -> str:
    """Join two sentences without doubling the period after «г.»."""
    return f"{first} {second}" if first.endswith(".") else f"{first}. {second}"
