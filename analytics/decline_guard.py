"""The noise guard: a decline streak is a ground only when its drop stands out from sampling noise.

Seed 003 §1.5 makes a *sustained* («устойчивое») decline of satisfaction a ground for
reengineering. :func:`analytics.decline.detect_decline` finds month-on-month decreases in a row;
on a flat series four monthly means fall in a row by chance one time in 24 (every order of
four means is equally likely), so a body with 100 processes would open about four needless
cases a month. This second step of the scan asks that the streak's total drop (the mean of its
first month minus the mean of its last) be at least ``margin`` standard errors of that drop,
SE = √(s₁²/n₁ + s₂²/n₂), with each month's standard deviation taken from the rollup's n, Σx
and Σx². The ``literal`` rule skips the step: every streak of the set length is a decline.

Why the first and the last month: the drop is what people read in the alert («4,40 → 3,80»),
and its standard error is the one number that says whether 100 answers a month can carry it.
A streak found in noise starts on a chance high and ends on a chance low, so its drop is larger
than a random pair's would be; the default margin of 2.5 allows for that (bench/decline_scan.py
measures the false alarms it leaves and the planted declines it keeps).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Literal, get_args

from analytics.decline import DeclineVerdict
from analytics.stats import RollupCell
from core.i18n import Translator
from core.russian import ru_number

__all__ = [
    "DEFAULT_MARGIN",
    "GUARD_RULES",
    "DropSignificance",
    "GuardRule",
    "NoiseGuard",
    "apply_guard",
    "drop_significance",
    "standard_error",
]

GuardRule = Literal["standard_error", "literal"]
GUARD_RULES: tuple[str, ...] = get_args(GuardRule)
DEFAULT_MARGIN = 2.5


@dataclass(frozen=True)
class NoiseGuard:
    """The guard's setting: OTKLIK_DECLINE_GUARD and OTKLIK_DECLINE_GUARD_MARGIN."""

    rule: GuardRule = "standard_error"
    margin: float = DEFAULT_MARGIN

    def __post_init__(self) -> None:
        if self.rule not in GUARD_RULES:
            raise ValueError(f"unknown decline guard {self.rule!r}; expected one of {GUARD_RULES}")
        if not math.isfinite(self.margin) or self.margin < 0:
            raise ValueError(f"margin must be a non-negative number, got {self.margin}")


@dataclass(frozen=True)
class DropSignificance:
    """A streak's drop and its standard error, so people can see how sure the drop is."""

    drop: float
    standard_error: float | None

    @property
    def z(self) -> float | None:
        """Drop in standard errors; None when the error cannot be known (under two answers)."""
        if self.standard_error is None:
            return None
        if self.standard_error == 0:
            return math.inf if self.drop > 0 else 0.0
        return self.drop / self.standard_error


def standard_error(cell: RollupCell) -> float | None:
    """Standard error of a month's mean from its n, Σx, Σx²; None below two answers."""
    if cell.n < 2:
        return None
    variance = max(0.0, (cell.total_sq - cell.total * cell.total / cell.n) / (cell.n - 1))
    return math.sqrt(variance / cell.n)


def drop_significance(first: RollupCell, last: RollupCell) -> DropSignificance:
    """Drop from ``first`` to ``last`` month and its standard error (independent months)."""
    drop = (first.mean or 0.0) - (last.mean or 0.0)
    first_error, last_error = standard_error(first), standard_error(last)
    if first_error is None or last_error is None:
        return DropSignificance(drop, None)
    return DropSignificance(drop, math.hypot(first_error, last_error))


def apply_guard(
    verdict: DeclineVerdict, cells: Mapping[date, RollupCell], guard: NoiseGuard, _: Translator
) -> DeclineVerdict:
    """The verdict after the guard: a streak within the noise no longer triggers.

    ``cells`` holds the rollup of each month of the series. The reason gains the drop and its
    significance either way; the ``literal`` rule returns the verdict unchanged.
    """
    if guard.rule == "literal" or not verdict.triggered:
        return verdict
    first, last = verdict.streak_months[0], verdict.streak_months[-1]
    significance = drop_significance(cells.get(first, RollupCell()), cells.get(last, RollupCell()))
    z = significance.z
    sustained = z is not None and z >= guard.margin
    note = _significance_text(significance, guard.margin, _)
    reason = (
        f"{verdict.reason}; {note}"
        if sustained
        else _(
            "Within the sampling noise: {details}; not a ground for reengineering. Found: {found}"
        ).format(details=note, found=f"{verdict.reason[:1].lower()}{verdict.reason[1:]}")
    )
    return replace(
        verdict,
        triggered=sustained,
        reason=reason,
        drop_standard_error=significance.standard_error,
        noise_margin=guard.margin,
        within_noise=not sustained,
    )


def _significance_text(significance: DropSignificance, margin: float, _: Translator) -> str:
    """«снижение на 0,60 балла — 4,2 стандартной ошибки (0,14), порог устойчивости — 2,5»."""
    drop = _("a fall of {drop} points").format(drop=ru_number(significance.drop))
    threshold = _("stability threshold {margin}").format(margin=ru_number(margin, 1))
    error, z = significance.standard_error, significance.z
    if error is None or z is None:
        return _(
            "{drop}, the standard error is unknown (a month has fewer than two responses), "
            "{threshold}"
        ).format(drop=drop, threshold=threshold)
    if error == 0:
        return _(
            "{drop}, standard error 0 (all responses of the month are equal), {threshold}"
        ).format(drop=drop, threshold=threshold)
    size = (
        _("more than 99 standard errors")
        if z > 99
        else _("{z} standard errors").format(z=ru_number(z, 1))
    )
    return f"{drop} — {size} ({ru_number(error)}), {threshold}"
