"""The effect chart: monthly means before and after a reengineering case, side by side."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.transforms import blended_transform_factory

from analytics.chart_style import (
    AFTER_COLOUR,
    MUTED_COLOUR,
    Output,
    empty,
    has_value,
    month_label,
    save,
    scale_axis,
    wrapped_title,
)
from analytics.decline import MonthlyScore
from core.i18n import Translator, translator
from core.russian import ru_number

__all__ = ["before_after_chart"]


@dataclass
class _Drawn:
    """What the groups leave for the axis and the summary line."""

    ticks: list[float] = field(default_factory=list)
    tick_labels: list[str] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)
    pooled: list[float | None] = field(default_factory=list)


def _pooled_mean(points: Sequence[MonthlyScore]) -> tuple[float | None, int]:
    """Answer-weighted mean of several months, so a thin month does not weigh as a full one."""
    valid = [p for p in points if has_value(p)]
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
    locale: str,
    scale_max: int = 5,
) -> None:
    """Compare monthly means before and after a reengineering case (effect check)."""
    _ = translator(locale)
    fig = Figure(figsize=(10, 5.2), layout="constrained")
    ax = fig.add_subplot()
    fig.suptitle(wrapped_title(process_name), fontsize=13, fontweight="bold", x=0.02, ha="left")
    ax.set_title(
        _("Effect check: before and after reengineering (dashed: the mean of the period)"),
        fontsize=10,
        loc="left",
        color="#555555",
    )
    scale_axis(ax, scale_max)
    if not before and not after:
        empty(ax, _("No data"))
        save(fig, out)
        return
    drawn = _Drawn()
    _draw_group(ax, drawn, (_("Before"), _("Before reengineering")), before, MUTED_COLOUR, 0.0, _)
    offset = len(before) + 1.0
    _draw_group(ax, drawn, (_("After"), _("After reengineering")), after, AFTER_COLOUR, offset, _)
    ax.set_xticks(drawn.ticks)
    ax.set_xticklabels(drawn.tick_labels, fontsize=8)
    ax.set_xlim(-0.7, len(before) + len(after) + 0.7)
    old, new = drawn.pooled
    if old is not None and new is not None:
        change = f"{'+' if new - old > 0 else ''}{ru_number(new - old)}"
        drawn.summary.append(_("change {change}").format(change=change))
    ax.text(
        0.0,
        scale_max + 0.22,
        " · ".join(drawn.summary),
        ha="left",
        va="top",
        fontsize=9,
        fontweight="bold",
        transform=blended_transform_factory(ax.transAxes, ax.transData),
    )
    save(fig, out)


def _draw_group(
    ax: Axes,
    drawn: _Drawn,
    names: tuple[str, str],
    points: Sequence[MonthlyScore],
    colour: str,
    offset: float,
    _: Translator,
) -> None:
    """One period's bars with their values, its caption and its dashed pooled mean."""
    name, caption = names
    group = list(points)
    xs = offset + np.arange(len(group), dtype=float)
    heights = [p.mean - 1 if has_value(p) else 0.0 for p in group]
    ax.bar(xs, heights, bottom=1, color=colour, width=0.7, zorder=2)
    for xpos, point in zip(xs, group, strict=True):
        if has_value(point):
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
        drawn.ticks.append(float(xpos))
        drawn.tick_labels.append(month_label(point.month, point.responses, True))
    if group:
        ax.text(
            float(xs.mean()),
            -0.15,
            caption,
            ha="center",
            va="top",
            fontsize=10,
            fontweight="bold",
            color=colour,
            transform=blended_transform_factory(ax.transData, ax.transAxes),
        )
    pooled, n = _pooled_mean(group)
    drawn.pooled.append(pooled)
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
        drawn.summary.append(f"{name}: {ru_number(pooled)} (n={n})")
    else:
        drawn.summary.append(_("{group}: no data").format(group=name))
