"""The overview chart: every process ranked worst first, the declining ones in red.

Issue #17, point 3: «the overview chart's title names the month, its labels are not cut where
it matters, and citizens' and employees' services are ranked apart»: one panel each.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.transforms import blended_transform_factory

from analytics.chart_style import DECLINE_COLOUR, NEUTRAL_COLOUR, Output, empty, save
from core.i18n import Translator, translator
from core.labels import labels_apart
from core.russian import ru_number

__all__ = ["OverviewRow", "overview_chart"]


@dataclass(frozen=True)
class OverviewRow:
    """One process in the overview ranking."""

    process_name: str
    mean: float | None
    csat: float | None
    responses: int
    declining: bool
    internal: bool = False  # a service for employees: ranked in its own panel


def _overview_key(row: OverviewRow) -> tuple[int, float, float]:
    """Worst first: no data last, then by mean, then by CSAT."""
    if row.mean is None or not math.isfinite(row.mean):
        return (1, 0.0, 0.0)
    return (0, row.mean, row.csat if row.csat is not None else math.inf)


LABEL_LIMIT = 60
"""Characters of a process name on the axis; a longer one is cut where it is like the rest."""


def overview_chart(
    rows: Sequence[OverviewRow],
    out: Output,
    *,
    locale: str,
    scale_max: int = 5,
    period: str = "",
) -> None:
    """Rank processes worst first as horizontal bars; declining ones are red with ▼.

    ``period`` names the month shown (the caller words it in the reader's language).
    """
    _ = translator(locale)
    panels = [
        (title, sorted(group, key=_overview_key))
        for title, group in (
            (_("Services for citizens"), [r for r in rows if not r.internal]),
            (_("Internal services for employees"), [r for r in rows if r.internal]),
        )
        if group
    ]
    sizes = [len(group) for _title, group in panels] or [0]
    height = max(3.0, 1.6 + 0.32 * sum(sizes) + 0.6 * (len(sizes) - 1))
    fig = Figure(figsize=(10, height), layout="constrained")
    title = (
        _("Satisfaction by process for {month}: worst to best").format(month=period)
        if period
        else _("Satisfaction by process: worst to best")
    )
    fig.suptitle(title, fontsize=13, fontweight="bold", x=0.02, ha="left")
    axes = fig.subplots(
        len(sizes), 1, squeeze=False, height_ratios=[max(n, 1) + 1.5 for n in sizes]
    )
    if not panels:
        ax = axes[0][0]
        _plain(ax)
        empty(ax, _("No data"))
        ax.set_yticks([])
        save(fig, out)
        return
    declining = any(r.declining for r in rows)
    for (panel_title, ranked), (ax,) in zip(panels, axes, strict=True):
        _plain(ax)
        if len(panels) > 1:
            ax.set_title(panel_title, fontsize=11, fontweight="bold", loc="left", pad=14)
        _draw_bars(ax, ranked, scale_max, _)
        _draw_figures(ax, ranked, _)
    if declining:  # beside the title, clear of the panels' own titles
        fig.legend(
            handles=[Patch(color=DECLINE_COLOUR, label=_("▼ sustained fall of satisfaction"))],
            loc="outside upper right",
            fontsize=8,
            frameon=False,
        )
    save(fig, out)


def _plain(ax: Axes) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _draw_bars(ax: Axes, ranked: Sequence[OverviewRow], scale_max: int, _: Translator) -> None:
    positions = np.arange(len(ranked))
    widths = [
        (r.mean - 1) if _overview_key(r)[0] == 0 and r.mean is not None else 0.0 for r in ranked
    ]
    colours = [DECLINE_COLOUR if r.declining else NEUTRAL_COLOUR for r in ranked]
    ax.barh(positions, widths, left=1, color=colours, height=0.65, zorder=2)
    ax.set_yticks(positions)
    labels = ax.set_yticklabels(
        [
            ("▼ " if r.declining else "") + name
            for r, name in zip(
                ranked, labels_apart([r.process_name for r in ranked], LABEL_LIMIT), strict=True
            )
        ],
        fontsize=9,
    )
    for label, row in zip(labels, ranked, strict=True):
        if row.declining:
            label.set_color(DECLINE_COLOUR)
    ax.set_ylim(len(ranked) - 0.5, -1.4)
    ax.set_xlim(1, scale_max)
    ax.set_xticks(range(1, scale_max + 1))
    ax.set_xlabel(_("Mean score (scale 1–{scale_max})").format(scale_max=scale_max), fontsize=9)
    ax.grid(axis="x", color="#e0e0e0", linewidth=0.8, zorder=0)


def _draw_figures(ax: Axes, ranked: Sequence[OverviewRow], _: Translator) -> None:
    """Mean, CSAT and n of each process in a column right of the bars."""
    column = blended_transform_factory(ax.transAxes, ax.transData)
    ax.text(
        1.02,
        -0.9,
        _("score · CSAT · responses"),
        transform=column,
        fontsize=8,
        color="#555555",
        va="center",
    )
    for pos, row in enumerate(ranked):
        if _overview_key(row)[0] == 1 or row.mean is None:
            text = _("no data · n={n}").format(n=row.responses)
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
