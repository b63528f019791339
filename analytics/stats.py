"""Pure helpers for monthly satisfaction indexes.

The project keeps a monthly rollup of sufficient statistics per process (count, sum, sum of
squares, count of top-two scores), so every index here can be computed either from raw
scores or from those four numbers, and rollups of several months can be merged exactly.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "MIN_INTERVAL_RESPONSES",
    "RollupCell",
    "confidence_interval_95",
    "csat",
    "csat_from_counts",
    "mean",
    "mean_from_sums",
    "mean_interval_95",
    "month_start",
    "t_critical_95",
]

# Two-sided 95% critical values of Student's t (0.975 quantile), df = 1..30.
_T_975 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip
_Z_975 = 1.959963984540054


def _check_scale(scale_max: int) -> None:
    if scale_max < 2:
        raise ValueError(f"scale_max must be at least 2 to have a top-two box, got {scale_max}")


def _check_score(score: int, scale_max: int) -> None:
    if isinstance(score, bool) or not isinstance(score, int):
        raise TypeError(f"score must be an int, got {score!r}")
    if not 1 <= score <= scale_max:
        raise ValueError(f"score {score} is outside the scale 1..{scale_max}")


def mean_from_sums(n: int, total: float) -> float | None:
    """Mean from a rollup; None when there are no answers (not 0, which is a score)."""
    return total / n if n > 0 else None


def csat_from_counts(n: int, top2: int) -> float | None:
    """Share (0..1) of top-two answers from a rollup; None when there are no answers."""
    return top2 / n if n > 0 else None


def mean(scores: Iterable[int]) -> float | None:
    """Mean of the ratings; None for no ratings, so an empty month is not read as a zero."""
    values = list(scores)
    return mean_from_sums(len(values), sum(values))


def csat(scores: Iterable[int], *, scale_max: int = 5) -> float | None:
    """Share (0..1) of ratings in the top two points of the scale (4–5 on a 1–5 scale)."""
    _check_scale(scale_max)
    values = list(scores)
    return csat_from_counts(len(values), sum(1 for s in values if s >= scale_max - 1))


def t_critical_95(df: int) -> float:
    """Two-sided 95% critical value of Student's t, so small months get honest intervals.

    df 1..30 come from the standard table; beyond that the Cornish–Fisher expansion is
    used, which tends to 1.96 without the jump a hard switch would make at df = 31.
    """
    if df < 1:
        raise ValueError(f"degrees of freedom must be at least 1, got {df}")
    if df <= len(_T_975):
        return _T_975[df - 1]
    z = _Z_975
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


def confidence_interval_95(n: int, total: float, total_sq: float) -> tuple[float, float] | None:
    """95% t-interval of the mean from sufficient statistics; None below two answers.

    The bare statistic, which may leave the scale for small n; what people read comes from
    :func:`mean_interval_95`.
    """
    if n < 2:
        return None
    centre = total / n
    variance = max(0.0, (total_sq - total * total / n) / (n - 1))
    half_width = t_critical_95(n - 1) * math.sqrt(variance / n)
    return (centre - half_width, centre + half_width)


MIN_INTERVAL_RESPONSES = 10
"""Below this many answers a month's interval is not shown: two answers give ±25 points."""


def mean_interval_95(
    n: int,
    total: float,
    total_sq: float,
    *,
    scale_max: int,
    min_responses: int = MIN_INTERVAL_RESPONSES,
) -> tuple[float, float] | None:
    """The 95% interval of a mean as shown to people: within 1..scale_max, None when too few.

    The mean of ratings on 1..scale_max cannot lie outside the scale, so the t-interval is
    cut at its ends; a month with fewer than ``min_responses`` answers gets no interval,
    and the caller says why.
    """
    _check_scale(scale_max)
    if n < max(2, min_responses):
        return None
    interval = confidence_interval_95(n, total, total_sq)
    if interval is None:
        return None
    low, high = interval
    return max(1.0, low), min(float(scale_max), high)


@dataclass
class RollupCell:
    """Sufficient statistics of one process-month; mutable so a job can count answers in."""

    n: int = 0
    total: int = 0
    total_sq: int = 0
    top2: int = 0

    @classmethod
    def from_scores(cls, scores: Iterable[int], *, scale_max: int = 5) -> RollupCell:
        """Build a cell from raw ratings."""
        cell = cls()
        for score in scores:
            cell.add(score, scale_max=scale_max)
        return cell

    def add(self, score: int, *, scale_max: int = 5) -> None:
        """Count one rating in place; top-two is decided against ``scale_max``."""
        _check_scale(scale_max)
        _check_score(score, scale_max)
        self.n += 1
        self.total += score
        self.total_sq += score * score
        if score >= scale_max - 1:
            self.top2 += 1

    def merge(self, other: RollupCell) -> RollupCell:
        """Return a new cell covering both (months into a quarter); sums merge exactly."""
        return RollupCell(
            n=self.n + other.n,
            total=self.total + other.total,
            total_sq=self.total_sq + other.total_sq,
            top2=self.top2 + other.top2,
        )

    @property
    def mean(self) -> float | None:
        """Mean rating, None when empty."""
        return mean_from_sums(self.n, self.total)

    @property
    def csat(self) -> float | None:
        """Share (0..1) of top-two ratings, None when empty."""
        return csat_from_counts(self.n, self.top2)

    @property
    def ci95(self) -> tuple[float, float] | None:
        """95% confidence interval of the mean, None below two answers."""
        return confidence_interval_95(self.n, self.total, self.total_sq)

    def interval_95(
        self, scale_max: int, min_responses: int = MIN_INTERVAL_RESPONSES
    ) -> tuple[float, float] | None:
        """The interval people read: inside the scale, None below ``min_responses``."""
        return mean_interval_95(
            self.n, self.total, self.total_sq, scale_max=scale_max, min_responses=min_responses
        )


def month_start(dt: datetime, tz: str) -> date:
    """First day of the month ``dt`` falls in, in zone ``tz``; naive datetimes are UTC.

    Months follow the organisation's local calendar: 2025-01-31 22:30 UTC is February
    in Europe/Moscow.
    """
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone: {tz!r}") from exc
    aware = dt if dt.tzinfo is not None and dt.utcoffset() is not None else dt.replace(tzinfo=UTC)
    local = aware.astimezone(zone)
    return date(local.year, local.month, 1)
