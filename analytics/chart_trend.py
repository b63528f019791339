"""The trend chart: one process's monthly mean with its interval and any decline streak.

People read a picture faster than a table, so alerts and /stats carry it as a PNG.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patheffects import withStroke

from analytics.chart_style import (
    CI_COLOUR,
    DECLINE_COLOUR,
    LINE_COLOUR,
    WARN_COLOUR,
    Output,
    empty,
    has_value,
    month_axis,
    month_label,
    save,
    scale_axis,
    wrapped_title,
)
from analytics.decline import DeclineVerdict, MonthlyScore
from core.i18n import Translator, translator
from core.russian import format_p_value, month_range_ru, ru_number

__all__ = ["trend_chart"]

Band = tuple[float, float] | None


@dataclass(frozen=True)
class _Axis:
    """Every month from the first point to the last, with its mean, interval and n."""

    months: list[date]
    slot: dict[date, int]
    x: np.ndarray
    y: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    counts: list[int]


def _axis(pairs: Sequence[tuple[MonthlyScore, Band]]) -> _Axis:
    months = month_axis([p for p, _band in pairs])
    slot = {m: i for i, m in enumerate(months)}
    size = len(months)
    y, lo, hi = np.full(size, np.nan), np.full(size, np.nan), np.full(size, np.nan)
    counts = [0] * size
    for point, band in {p.month: (p, band) for p, band in pairs}.values():
        i = slot[point.month]
        counts[i] = point.responses
        if has_value(point):
            y[i] = point.mean
            if band is not None:
                lo[i], hi[i] = band
    return _Axis(months, slot, np.arange(size, dtype=float), y, lo, hi, counts)


def trend_chart(
    process_name: str,
    points: Sequence[MonthlyScore],
    verdict: DeclineVerdict | None,
    out: Output,
    *,
    locale: str,
    scale_max: int = 5,
    ci: Sequence[Band] | None = None,
    last: int = 12,
    min_responses: int = 0,
) -> None:
    """Draw the monthly mean of one process over the last ``last`` months as a PNG.

    ``ci`` runs parallel to ``points``. Months missing from ``points`` appear as gaps with
    n=0; months below ``min_responses`` get hollow markers, as the detector ignores them.
    Labels are in ``locale``'s language.
    """
    if ci is not None and len(ci) != len(points):
        raise ValueError(f"ci has {len(ci)} items for {len(points)} points")
    _ = translator(locale)
    pairs = list(zip(points, ci if ci is not None else [None] * len(points), strict=True))
    pairs = pairs[-last:] if last > 0 else pairs
    fig = Figure(figsize=(10, 5.2), layout="constrained")
    ax = fig.add_subplot()
    fig.suptitle(wrapped_title(process_name), fontsize=13, fontweight="bold", x=0.02, ha="left")
    ax.set_title(
        _("Mean score by month (scale 1–{scale_max})").format(scale_max=scale_max),
        fontsize=10,
        loc="left",
        color="#555555",
    )
    scale_axis(ax, scale_max)
    if not pairs:
        empty(ax, _("No data"))
        save(fig, out)
        return
    axis = _axis(pairs)
    _draw_ci(ax, axis, scale_max, _)
    _draw_means(ax, axis, min_responses, _)
    _highlight_streak(ax, verdict, axis, scale_max, _)
    ax.set_xticks(axis.x)
    ax.set_xticklabels(
        [month_label(m, axis.counts[i], i == 0 or m.month == 1) for i, m in enumerate(axis.months)],
        fontsize=8,
    )
    ax.set_xlim(-0.6, len(axis.months) - 0.4)
    ax.legend(loc="lower left", fontsize=8, frameon=False, ncols=3)
    if verdict is not None and verdict.trend_p_value is not None and verdict.streak >= 2:
        fig.text(
            0.02,
            -0.01,
            _(
                "Mann–Kendall trend over the fall: {p_value} "
                "(for reference; the decision is taken {decided_by})"
            ).format(
                p_value=format_p_value(verdict.trend_p_value), decided_by=_decided_by(verdict, _)
            ),
            fontsize=8,
            color="#555555",
            ha="left",
            va="top",
        )
    save(fig, out)


def _draw_means(ax: Axes, axis: _Axis, min_responses: int, _: Translator) -> None:
    """The line of means, solid markers for full months, hollow ones for thin, and values."""
    x, y = axis.x, axis.y
    ax.plot(x, y, color=LINE_COLOUR, linewidth=2, zorder=3)
    solid = np.array([c >= min_responses for c in axis.counts])
    ax.plot(
        x[solid], y[solid], "o", color=LINE_COLOUR, markersize=7, zorder=4, label=_("mean score")
    )
    if not solid.all():
        ax.plot(
            x[~solid],
            y[~solid],
            "o",
            markerfacecolor="white",
            color=LINE_COLOUR,
            markersize=7,
            zorder=4,
            label=_("fewer than {count} responses").format(count=min_responses),
        )
    for k in np.flatnonzero(~np.isnan(y)):
        ax.annotate(
            ru_number(float(y[k])),
            (x[k], y[k]),
            textcoords="offset points",
            xytext=(0, 9),
            ha="center",
            fontsize=8,
            color="#333333",
            zorder=5,
            path_effects=[withStroke(linewidth=3, foreground="white")],
        )


def _decided_by(verdict: DeclineVerdict, _: Translator) -> str:
    """What decided the verdict: the months in a row, and the drop when the noise guard ran."""
    if verdict.noise_margin is None or verdict.drop_standard_error is None:
        return _("by the number of months in a row")
    drop = verdict.total_drop or 0.0
    error = verdict.drop_standard_error
    size = _("{z} SE").format(z=ru_number(drop / error, 1)) if error > 0 else _("SE = 0")
    return _(
        "by the number of months in a row and the fall {drop} = {size}, threshold {margin} SE"
    ).format(drop=ru_number(drop), size=size, margin=ru_number(verdict.noise_margin, 1))


def _draw_ci(ax: Axes, axis: _Axis, scale_max: int, _: Translator) -> None:
    """Shade the 95% interval; a month without interval neighbours gets a whisker instead."""
    x, lo, hi = axis.x, axis.lo, axis.hi
    known = ~np.isnan(lo)
    if not known.any():
        return
    lo, hi = np.clip(lo, 1, scale_max), np.clip(hi, 1, scale_max)
    label = _("95% confidence interval")
    if (known[1:] & known[:-1]).any():
        ax.fill_between(
            x, lo, hi, where=known, color=CI_COLOUR, alpha=0.45, linewidth=0, label=label
        )
        label = "_nolegend_"
    left = np.concatenate(([False], known[:-1]))
    right = np.concatenate((known[1:], [False]))
    lonely = known & ~left & ~right
    if lonely.any():
        ax.vlines(
            x[lonely],
            lo[lonely],
            hi[lonely],
            color=CI_COLOUR,
            linewidth=6,
            alpha=0.8,
            zorder=2,
            label=label,
        )


def _highlight_streak(
    ax: Axes, verdict: DeclineVerdict | None, axis: _Axis, scale_max: int, _: Translator
) -> None:
    """Mark the decline streak with a band, a red segment and a plain-words label."""
    if verdict is None or verdict.streak < 1:
        return
    idx = [axis.slot[m] for m in verdict.streak_months if m in axis.slot]
    if len(idx) < 2:
        return
    x, y = axis.x, axis.y
    colour = DECLINE_COLOUR if verdict.triggered else WARN_COLOUR
    start, end = min(idx), max(idx)
    ax.axvspan(start - 0.3, end + 0.3, color=colour, alpha=0.08, zorder=0, linewidth=0)
    ax.plot(x[start : end + 1], y[start : end + 1], color=colour, linewidth=3.2, zorder=3.5)
    ax.plot(x[start : end + 1], y[start : end + 1], "o", color=colour, markersize=7, zorder=4.5)
    label = _("Fall {streak} mo. in a row").format(streak=verdict.streak)
    if verdict.within_noise:
        label += _(" (within the noise)")
    elif not verdict.triggered:
        label += _(" (threshold {threshold})").format(threshold=verdict.months_required)
    first, last = verdict.streak_months[0], verdict.streak_months[-1]
    ax.text(
        (start + end) / 2,
        scale_max + 0.22,
        f"{label}\n{month_range_ru(first, last)}",
        ha="center",
        va="top",
        fontsize=9,
        color=colour,
        fontweight="bold",
        zorder=6,
    )
