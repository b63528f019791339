"""Charts write valid PNGs in every data situation people will meet."""

from __future__ import annotations

import io
import math
from datetime import date
from pathlib import Path

import matplotlib.image
import pytest

from analytics.chart_effect import before_after_chart
from analytics.chart_overview import OverviewRow, overview_chart
from analytics.chart_trend import trend_chart
from analytics.decline import MonthlyScore, detect_decline
from core.i18n import translator

RU = translator()

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def months(
    means: list[float], *, start: date = date(2024, 5, 1), n: int = 45
) -> list[MonthlyScore]:
    """Consecutive monthly scores starting at ``start``."""
    base = start.year * 12 + start.month - 1
    return [
        MonthlyScore(date((base + i) // 12, (base + i) % 12 + 1, 1), mean, n)
        for i, mean in enumerate(means)
    ]


def read_png(source: Path | io.BytesIO) -> tuple[int, int]:
    """Check the signature, decode with matplotlib and return (height, width)."""
    data = source.read_bytes() if isinstance(source, Path) else source.getvalue()
    assert data.startswith(PNG_SIGNATURE)
    assert 5_000 < len(data) < 3_000_000
    image = matplotlib.image.imread(io.BytesIO(data), format="png")
    height, width = image.shape[:2]
    return height, width


DECLINING = months([4.3, 4.4, 4.35, 4.5, 4.45, 4.5, 4.55, 4.6, 4.45, 4.3, 4.2, 4.1])


def test_trend_chart_with_streak_and_ci(tmp_path: Path) -> None:
    verdict = detect_decline(DECLINING, RU)
    assert verdict.triggered
    out = tmp_path / "trend.png"
    ci: list[tuple[float, float] | None] = [(p.mean - 0.15, p.mean + 0.15) for p in DECLINING]
    ci[3] = None
    trend_chart(
        "Предоставление меры социальной поддержки " * 4, DECLINING, verdict, out, locale="ru", ci=ci
    )
    height, width = read_png(out)
    assert 1000 <= width <= 2500
    assert 500 <= height <= 1500


def test_trend_chart_to_binary_stream_without_verdict() -> None:
    buffer = io.BytesIO()
    trend_chart("Приём обращений", DECLINING[:5], None, buffer, locale="ru")
    read_png(buffer)


def test_trend_chart_keeps_last_twelve_months(tmp_path: Path) -> None:
    long_series = months([4.0 + 0.01 * i for i in range(30)])
    out = tmp_path / "long.png"
    trend_chart("Процесс", long_series, detect_decline(long_series, RU), out, locale="ru")
    read_png(out)


def test_trend_chart_with_gaps_empty_and_thin_months(tmp_path: Path) -> None:
    points = [
        MonthlyScore(date(2025, 1, 1), 4.2, 40),
        MonthlyScore(date(2025, 2, 1), math.nan, 0),
        MonthlyScore(date(2025, 4, 1), 3.9, 8),
        MonthlyScore(date(2025, 5, 1), 3.7, 50),
        MonthlyScore(date(2025, 6, 1), 3.5, 50),
    ]
    verdict = detect_decline(points, RU, months=1)
    assert verdict.triggered and verdict.streak == 1
    out = tmp_path / "gaps.png"
    trend_chart(
        "Процесс",
        points,
        verdict,
        out,
        locale="ru",
        ci=[None, None, (3.0, 4.8), None, (3.3, 3.7)],
        min_responses=30,
        scale_max=5,
    )
    read_png(out)


def test_trend_chart_streak_below_threshold(tmp_path: Path) -> None:
    points = months([4.0, 4.6, 4.4, 4.2])
    verdict = detect_decline(points, RU)
    assert verdict.streak == 2 and not verdict.triggered
    out = tmp_path / "warn.png"
    trend_chart("Процесс", points, verdict, out, locale="ru", scale_max=10)
    read_png(out)


@pytest.mark.parametrize("points", [[], months([4.4])], ids=["empty", "one-point"])
def test_trend_chart_degenerate_series(tmp_path: Path, points: list[MonthlyScore]) -> None:
    out = tmp_path / "degenerate.png"
    trend_chart(
        "Процесс", points, detect_decline(points, RU), out, locale="ru", ci=[None] * len(points)
    )
    read_png(out)


def test_trend_chart_rejects_mismatched_ci(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="ci has"):
        trend_chart("Процесс", DECLINING, None, tmp_path / "x.png", locale="ru", ci=[None])


def test_overview_chart_forty_processes_grows_tall(tmp_path: Path) -> None:
    rows = [
        OverviewRow(
            process_name=f"Процесс {i}: консультирование граждан по вопросам занятости населения",
            mean=None if i % 9 == 0 else 2.5 + (i % 7) * 0.35,
            csat=None if i % 9 == 0 else 0.4 + i / 100,
            responses=0 if i % 9 == 0 else 20 + i,
            declining=i % 5 == 1,
        )
        for i in range(40)
    ]
    small, large = tmp_path / "small.png", tmp_path / "large.png"
    overview_chart(rows[:3], small, locale="ru")
    overview_chart(rows, large, locale="ru")
    small_height, _ = read_png(small)
    large_height, large_width = read_png(large)
    assert large_height > 3 * small_height
    assert large_width < 2500


def test_overview_chart_empty_and_single(tmp_path: Path) -> None:
    overview_chart([], tmp_path / "empty.png", locale="ru")
    read_png(tmp_path / "empty.png")
    buffer = io.BytesIO()
    overview_chart([OverviewRow("Один процесс", 4.1, None, 12, True)], buffer, locale="ru")
    read_png(buffer)


def test_before_after_chart(tmp_path: Path) -> None:
    before = months([4.1, 4.0, 3.9], start=date(2024, 9, 1), n=60)
    after = months([4.3, 4.5, 4.6], start=date(2025, 6, 1), n=55)
    out = tmp_path / "effect.png"
    before_after_chart("Выдача справок о размере пенсии", before, after, out, locale="ru")
    read_png(out)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ([], []),
        (months([4.0]), []),
        ([], months([4.2])),
        (months([4.0]), [MonthlyScore(date(2025, 6, 1), math.nan, 0)]),
    ],
    ids=["both-empty", "no-after", "no-before", "after-without-answers"],
)
def test_before_after_chart_sparse(
    tmp_path: Path, before: list[MonthlyScore], after: list[MonthlyScore]
) -> None:
    out = tmp_path / "sparse.png"
    before_after_chart("Процесс", before, after, out, locale="ru")
    read_png(out)
