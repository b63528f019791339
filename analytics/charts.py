"""Charts of satisfaction for process owners and the working group.

People read a picture faster than a table, so alerts and reports carry PNGs. Figures are
built with :class:`matplotlib.figure.Figure` directly (no pyplot state), which is safe to
call from worker threads (``asyncio.to_thread``). Labels are Russian; DejaVu Sans, the
matplotlib default, renders Cyrillic.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import BinaryIO

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.patheffects import withStroke
from matplotlib.transforms import blended_transform_factory

from analytics.decline import DeclineVerdict, MonthlyScore, month_from_index, month_index
from core.russian import MONTHS_SHORT, format_p_value, month_range_ru, ru_number

__all__ = ["OverviewRow", "before_after_chart", "overview_chart", "trend_chart"]

DPI = 150
LINE_COLOUR = "#1f5fa8"
CI_COLOUR = "#9dbbe0"
DECLINE_COLOUR = "#c62828"
WARN_COLOUR = "#ef8f00"
NEUTRAL_COLOUR = "#5b8cc4"
MUTED_COLOUR = "#9e9e9e"
AFTER_COLOUR = "#2e7d32"
NAME_LIMIT = 48

Output = Path | BinaryIO


@dataclass(frozen=True)
class OverviewRow:
    """One process in the overview ranking."""

    process_name: str
    mean: float | None
    csat: float | None
    responses: int
    declining: bool


# ----------------------------------------------------------------------------- helpers


def _title(text: str, width: int = 60, max_lines: int = 3) -> str:
    """Wrap a long process name so the title never runs off the picture."""
    lines = textwrap.wrap(text, width) or [""]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: width - 1].rstrip() + "…"
    return "\n".join(lines)


def _truncate(text: str, limit: int = NAME_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _save(fig: Figure, out: Output) -> None:
    fig.savefig(out, format="png", dpi=DPI, bbox_inches="tight", pad_inches=0.2)


def _has_value(point: MonthlyScore | None) -> bool:
    return point is not None and point.responses > 0 and math.isfinite(point.mean)


def _month_axis(points: Sequence[MonthlyScore]) -> list[date]:
    """Every calendar month from the first point to the last, so gaps stay visible."""
    first, last = month_index(points[0].month), month_index(points[-1].month)
    return [month_from_index(index) for index in range(first, last + 1)]


def _month_label(month: date, responses: int, with_year: bool) -> str:
    name = MONTHS_SHORT[month.month - 1]
    if with_year:
        name = f"{name} {month.year}"
    return f"{name}\nn={responses}"


def _empty(ax: Axes, text: str = "Нет данных") -> None:
    ax.text(
        0.5,
        0.5,
        text,
        transform=ax.transAxes,
        ha="center",
        va="center",
        fontsize=14,
        color=MUTED_COLOUR,
    )
    ax.set_xticks([])


def _scale_axis(ax: Axes, scale_max: int) -> None:
    ax.set_ylim(0.8, scale_max + 0.35)
    ax.set_yticks(range(1, scale_max + 1))
    ax.grid(axis="y", color="#e0e0e0", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


# ----------------------------------------------------------------------------- trend


def trend_chart(
    process_name: str,
    points: Sequence[MonthlyScore],
    verdict: DeclineVerdict | None,
    out: Output,
    *,
    scale_max: int = 5,
    ci: Sequence[tuple[float, float] | None] | None = None,
    last: int = 12,
    min_responses: int = 0,
) -> None:
    """Draw the monthly mean of one process over the last ``last`` months as a PNG.

    ``ci`` runs parallel to ``points``. Months missing from ``points`` appear as gaps with
    n=0; months below ``min_responses`` get hollow markers, as the detector ignores them.
    """
    if ci is not None and len(ci) != len(points):
        raise ValueError(f"ci has {len(ci)} items for {len(points)} points")
    pairs = list(zip(points, ci if ci is not None else [None] * len(points), strict=True))
    pairs = pairs[-last:] if last > 0 else pairs
    fig = Figure(figsize=(10, 5.2), layout="constrained")
    ax = fig.add_subplot()
    fig.suptitle(_title(process_name), fontsize=13, fontweight="bold", x=0.02, ha="left")
    ax.set_title(
        f"Средняя оценка по месяцам (шкала 1–{scale_max})", fontsize=10, loc="left", color="#555555"
    )
    _scale_axis(ax, scale_max)
    if not pairs:
        _empty(ax)
        _save(fig, out)
        return

    shown = [p for p, _ in pairs]
    axis = _month_axis(shown)
    slot = {m: i for i, m in enumerate(axis)}
    by_month = {p.month: (p, band) for p, band in pairs}
    x = np.arange(len(axis), dtype=float)
    y = np.full(len(axis), np.nan)
    lo, hi = np.full(len(axis), np.nan), np.full(len(axis), np.nan)
    counts = [0] * len(axis)
    for month, (point, band) in by_month.items():
        i = slot[month]
        counts[i] = point.responses
        if _has_value(point):
            y[i] = point.mean
            if band is not None:
                lo[i], hi[i] = band

    _draw_ci(ax, x, lo, hi, scale_max)
    ax.plot(x, y, color=LINE_COLOUR, linewidth=2, zorder=3)
    solid = np.array([c >= min_responses for c in counts])
    ax.plot(
        x[solid], y[solid], "o", color=LINE_COLOUR, markersize=7, zorder=4, label="средняя оценка"
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
            label=f"меньше {min_responses} ответов",
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

    _highlight_streak(ax, verdict, slot, x, y, scale_max)

    ax.set_xticks(x)
    ax.set_xticklabels(
        [_month_label(m, counts[i], i == 0 or m.month == 1) for i, m in enumerate(axis)],
        fontsize=8,
    )
    ax.set_xlim(-0.6, len(axis) - 0.4)
    ax.legend(loc="lower left", fontsize=8, frameon=False, ncols=3)
    if verdict is not None and verdict.trend_p_value is not None and verdict.streak >= 2:
        fig.text(
            0.02,
            -0.01,
            "Тренд Манна–Кендалла на участке снижения: "
            f"{format_p_value(verdict.trend_p_value)} "
            f"(справочно; решение принимается {_decided_by(verdict)})",
            fontsize=8,
            color="#555555",
            ha="left",
            va="top",
        )
    _save(fig, out)


def _decided_by(verdict: DeclineVerdict) -> str:
    """What decided the verdict: the months in a row, and the drop when the noise guard ran."""
    if verdict.noise_margin is None or verdict.drop_standard_error is None:
        return "по числу месяцев подряд"
    drop = verdict.total_drop or 0.0
    error = verdict.drop_standard_error
    size = f"{ru_number(drop / error, 1)} ст. ош." if error > 0 else "ст. ош. = 0"
    return (
        f"по числу месяцев подряд и снижению {ru_number(drop)} = {size}, "
        f"порог {ru_number(verdict.noise_margin, 1)} ст. ош."
    )


def _draw_ci(ax: Axes, x: np.ndarray, lo: np.ndarray, hi: np.ndarray, scale_max: int) -> None:
    """Shade the 95% interval; a month without interval neighbours gets a whisker instead."""
    known = ~np.isnan(lo)
    if not known.any():
        return
    lo, hi = np.clip(lo, 1, scale_max), np.clip(hi, 1, scale_max)
    label = "95% доверительный интервал"
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
    ax: Axes,
    verdict: DeclineVerdict | None,
    slot: dict[date, int],
    x: np.ndarray,
    y: np.ndarray,
    scale_max: int,
) -> None:
    """Mark the decline streak with a band, a red segment and a plain-words label."""
    if verdict is None or verdict.streak < 1:
        return
    idx = [slot[m] for m in verdict.streak_months if m in slot]
    if len(idx) < 2:
        return
    colour = DECLINE_COLOUR if verdict.triggered else WARN_COLOUR
    start, end = min(idx), max(idx)
    ax.axvspan(start - 0.3, end + 0.3, color=colour, alpha=0.08, zorder=0, linewidth=0)
    ax.plot(x[start : end + 1], y[start : end + 1], color=colour, linewidth=3.2, zorder=3.5)
    ax.plot(x[start : end + 1], y[start : end + 1], "o", color=colour, markersize=7, zorder=4.5)
    label = f"Снижение {verdict.streak} мес. подряд"
    if verdict.within_noise:
        label += " (в пределах шума)"
    elif not verdict.triggered:
        label += f" (порог {verdict.months_required})"
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


# ----------------------------------------------------------------------------- overview


def _overview_key(row: OverviewRow) -> tuple[int, float, float]:
    """Worst first: no data last, then by mean, then by CSAT."""
    if row.mean is None or not math.isfinite(row.mean):
        return (1, 0.0, 0.0)
    return (0, row.mean, row.csat if row.csat is not None else math.inf)


def overview_chart(rows: Sequence[OverviewRow], out: Output, *, scale_max: int = 5) -> None:
    """Rank processes worst first as horizontal bars; declining ones are red with ▼."""
    ranked = sorted(rows, key=_overview_key)
    height = max(3.0, 1.6 + 0.32 * len(ranked))
    fig = Figure(figsize=(10, height), layout="constrained")
    ax = fig.add_subplot()
    fig.suptitle(
        "Удовлетворённость по процессам: от худших к лучшим",
        fontsize=13,
        fontweight="bold",
        x=0.02,
        ha="left",
    )
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if not ranked:
        _empty(ax)
        ax.set_yticks([])
        _save(fig, out)
        return

    positions = np.arange(len(ranked))
    widths = [
        (r.mean - 1) if _overview_key(r)[0] == 0 and r.mean is not None else 0.0 for r in ranked
    ]
    colours = [DECLINE_COLOUR if r.declining else NEUTRAL_COLOUR for r in ranked]
    ax.barh(positions, widths, left=1, color=colours, height=0.65, zorder=2)
    ax.set_yticks(positions)
    labels = ax.set_yticklabels(
        [("▼ " if r.declining else "") + _truncate(r.process_name) for r in ranked],
        fontsize=9,
    )
    for label, row in zip(labels, ranked, strict=True):
        if row.declining:
            label.set_color(DECLINE_COLOUR)
    ax.set_ylim(len(ranked) - 0.5, -1.4)
    ax.set_xlim(1, scale_max)
    ax.set_xticks(range(1, scale_max + 1))
    ax.set_xlabel(f"Средняя оценка (шкала 1–{scale_max})", fontsize=9)
    ax.grid(axis="x", color="#e0e0e0", linewidth=0.8, zorder=0)

    column = blended_transform_factory(ax.transAxes, ax.transData)
    ax.text(
        1.02,
        -0.9,
        "оценка · CSAT · ответов",
        transform=column,
        fontsize=8,
        color="#555555",
        va="center",
    )
    for pos, row in enumerate(ranked):
        if _overview_key(row)[0] == 1 or row.mean is None:
            text = f"нет данных · n={row.responses}"
        else:
            share = "—" if row.csat is None else f"{ru_number(row.csat * 100, 0)}%"
            text = f"{ru_number(row.mean)} · {share} · n={row.responses}"
        ax.text(
            1.02,
            pos,
            text,
            transform=column,
            fontsize=8,
            va="center",
            color=DECLINE_COLOUR if row.declining else "#333333",
        )
    if any(r.declining for r in ranked):
        ax.legend(
            handles=[Patch(color=DECLINE_COLOUR, label="▼ устойчивое снижение удовлетворённости")],
            loc="lower right",
            bbox_to_anchor=(1.0, 1.0),
            fontsize=8,
            frameon=False,
        )
    _save(fig, out)


# ----------------------------------------------------------------------------- before/after


def _pooled_mean(points: Sequence[MonthlyScore]) -> tuple[float | None, int]:
    """Answer-weighted mean of several months, so a thin month does not weigh as a full one."""
    valid = [p for p in points if _has_value(p)]
    n = sum(p.responses for p in valid)
    if n == 0:
        return None, 0
    return sum(p.mean * p.responses for p in valid) / n, n


def before_after_chart(
    process_name: str,
    before: Sequence[MonthlyScore],
    after: Sequence[MonthlyScore],
    out: Output,
    *,
    scale_max: int = 5,
) -> None:
    """Compare monthly means before and after a reengineering case (effect check)."""
    fig = Figure(figsize=(10, 5.2), layout="constrained")
    ax = fig.add_subplot()
    fig.suptitle(_title(process_name), fontsize=13, fontweight="bold", x=0.02, ha="left")
    ax.set_title(
        "Проверка эффекта: до и после реинжиниринга (пунктир — среднее за период)",
        fontsize=10,
        loc="left",
        color="#555555",
    )
    _scale_axis(ax, scale_max)
    if not before and not after:
        _empty(ax)
        _save(fig, out)
        return

    groups = [
        ("До", list(before), MUTED_COLOUR, 0.0),
        ("После", list(after), AFTER_COLOUR, len(before) + 1.0),
    ]
    ticks: list[float] = []
    tick_labels: list[str] = []
    summary: list[str] = []
    pooled_by_group: list[float | None] = []
    for name, group, colour, offset in groups:
        xs = offset + np.arange(len(group), dtype=float)
        heights = [p.mean - 1 if _has_value(p) else 0.0 for p in group]
        ax.bar(xs, heights, bottom=1, color=colour, width=0.7, zorder=2)
        for xpos, point in zip(xs, group, strict=True):
            if _has_value(point):
                ax.text(
                    xpos,
                    point.mean - 0.06,
                    ru_number(point.mean),
                    ha="center",
                    va="top",
                    fontsize=8,
                    color="white",
                    fontweight="bold",
                    zorder=4,
                )
            ticks.append(float(xpos))
            tick_labels.append(_month_label(point.month, point.responses, True))
        if group:
            ax.text(
                float(xs.mean()),
                -0.15,
                f"{name} реинжиниринга",
                ha="center",
                va="top",
                fontsize=10,
                fontweight="bold",
                color=colour,
                transform=blended_transform_factory(ax.transData, ax.transAxes),
            )
        pooled, n = _pooled_mean(group)
        pooled_by_group.append(pooled)
        if pooled is not None and len(group):
            ax.hlines(
                pooled,
                xs[0] - 0.4,
                xs[-1] + 0.4,
                colors=colour,
                linestyles="--",
                linewidth=1.5,
                zorder=3,
            )
            summary.append(f"{name}: {ru_number(pooled)} (n={n})")
        else:
            summary.append(f"{name}: нет данных")
    ax.set_xticks(ticks)
    ax.set_xticklabels(tick_labels, fontsize=8)
    ax.set_xlim(-0.7, len(before) + len(after) + 0.7)
    old, new = pooled_by_group
    if old is not None and new is not None:
        summary.append(f"изменение {'+' if new - old > 0 else ''}{ru_number(new - old)}")
    ax.text(
        0.0,
        scale_max + 0.22,
        " · ".join(summary),
        ha="left",
        va="top",
        fontsize=9,
        fontweight="bold",
        transform=blended_transform_factory(ax.transAxes, ax.transData),
    )
    _save(fig, out)
