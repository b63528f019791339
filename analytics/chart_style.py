"""What every chart shares: colours, the scale axis, month labels, titles and saving.

Figures are built with :class:`matplotlib.figure.Figure` directly (no pyplot state), which is
safe to call from worker threads and runs in the drawing worker (`analytics.render`). Labels
come from the catalogue of the locale the caller names (the worker cannot receive aiogram's
context-bound translator); DejaVu Sans, the matplotlib default, renders Cyrillic.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import BinaryIO

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from analytics.decline import MonthlyScore, month_from_index, month_index
from core.russian import MONTHS_SHORT

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


def wrapped_title(text: str, width: int = 60, max_lines: int = 3) -> str:
    """Wrap a long process name so the title never runs off the picture."""
    lines = textwrap.wrap(text, width) or [""]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: width - 1].rstrip() + "…"
    return "\n".join(lines)


def truncate(text: str, limit: int = NAME_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def save(fig: Figure, out: Output) -> None:
    fig.savefig(out, format="png", dpi=DPI, bbox_inches="tight", pad_inches=0.2)


def has_value(point: MonthlyScore | None) -> bool:
    return point is not None and point.responses > 0 and math.isfinite(point.mean)


def month_axis(points: Sequence[MonthlyScore]) -> list[date]:
    """Every calendar month from the first point to the last, so gaps stay visible."""
    first, last = month_index(points[0].month), month_index(points[-1].month)
    return [month_from_index(index) for index in range(first, last + 1)]


def month_label(month: date, responses: int, with_year: bool) -> str:
    name = MONTHS_SHORT[month.month - 1]
    if with_year:
        name = f"{name} {month.year}"
    return f"{name}\nn={responses}"


def empty(ax: Axes, text: str) -> None:
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


def scale_axis(ax: Axes, scale_max: int) -> None:
    ax.set_ylim(0.8, scale_max + 0.35)
    ax.set_yticks(range(1, scale_max + 1))
    ax.grid(axis="y", color="#e0e0e0", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
