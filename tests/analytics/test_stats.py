"""Tests of the monthly index helpers against direct computation."""

from __future__ import annotations

import math
import random
import statistics
from datetime import UTC, date, datetime, timedelta, timezone
from itertools import pairwise

import pytest

from analytics.stats import (
    MIN_INTERVAL_RESPONSES,
    RollupCell,
    confidence_interval_95,
    csat,
    csat_from_counts,
    mean,
    mean_from_sums,
    month_start,
    t_critical_95,
)

SAMPLES = [
    [5, 4, 4, 3, 5],
    [1, 2],
    [5] * 7,
    [int(digit) for digit in "34521445534254345144534544352454354"],
]


def direct_ci(scores: list[int]) -> tuple[float, float]:
    """Reference interval with statistics.stdev and the tabulated t value."""
    centre = statistics.mean(scores)
    half = t_critical_95(len(scores) - 1) * statistics.stdev(scores) / math.sqrt(len(scores))
    return centre - half, centre + half


@pytest.mark.parametrize("scores", SAMPLES)
def test_mean_and_csat_match_direct(scores: list[int]) -> None:
    assert mean(scores) == pytest.approx(statistics.mean(scores))
    top2 = sum(1 for s in scores if s in (4, 5))
    assert csat(scores) == pytest.approx(top2 / len(scores))


def test_empty_indexes_are_none() -> None:
    assert mean([]) is None
    assert csat([]) is None
    assert mean_from_sums(0, 0) is None
    assert csat_from_counts(0, 0) is None
    assert confidence_interval_95(0, 0, 0) is None
    assert confidence_interval_95(1, 4, 16) is None


def test_csat_other_scales() -> None:
    assert csat([10, 9, 8, 1], scale_max=10) == 0.5
    assert csat([7, 6, 5], scale_max=7) == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="scale_max"):
        csat([1], scale_max=1)


@pytest.mark.parametrize("scores", SAMPLES)
def test_confidence_interval_matches_direct(scores: list[int]) -> None:
    n, total, total_sq = len(scores), sum(scores), sum(s * s for s in scores)
    low, high = confidence_interval_95(n, total, total_sq) or (math.nan, math.nan)
    ref_low, ref_high = direct_ci(scores)
    assert low == pytest.approx(ref_low)
    assert high == pytest.approx(ref_high)
    assert low <= statistics.mean(scores) <= high


def test_confidence_interval_known_value() -> None:
    # [5, 4, 4, 3, 5]: mean 4.2, s = 0.83666, t(4) = 2.776 → ±1.0387
    low, high = confidence_interval_95(5, 21, 91) or (0.0, 0.0)
    assert (low, high) == pytest.approx((4.2 - 1.0387, 4.2 + 1.0387), abs=1e-4)


def test_confidence_interval_without_spread() -> None:
    assert confidence_interval_95(7, 35, 175) == (5.0, 5.0)


def test_t_critical_values() -> None:
    assert t_critical_95(1) == 12.706
    assert t_critical_95(10) == 2.228
    assert t_critical_95(30) == 2.042
    # Cornish–Fisher beyond the table: published t(0.975) values, and the normal limit.
    assert t_critical_95(40) == pytest.approx(2.021, abs=1e-3)
    assert t_critical_95(60) == pytest.approx(2.000, abs=1e-3)
    assert t_critical_95(120) == pytest.approx(1.980, abs=1e-3)
    assert t_critical_95(100_000) == pytest.approx(1.96, abs=1e-4)
    values = [t_critical_95(df) for df in range(1, 500)]
    assert all(a >= b for a, b in pairwise(values))
    with pytest.raises(ValueError):
        t_critical_95(0)


def test_rollup_cell_matches_raw_scores() -> None:
    rng = random.Random(3)
    scores = [rng.randint(1, 5) for _ in range(200)]
    cell = RollupCell()
    for score in scores:
        cell.add(score)
    assert cell.n == 200
    assert cell.total == sum(scores)
    assert cell.total_sq == sum(s * s for s in scores)
    assert cell.top2 == sum(1 for s in scores if s >= 4)
    assert cell.mean == pytest.approx(statistics.mean(scores))
    assert cell.csat == pytest.approx(csat(scores))
    assert cell.ci95 == pytest.approx(direct_ci(scores))
    assert RollupCell.from_scores(scores) == cell


def test_rollup_merge_equals_pooled_scores() -> None:
    first, second = [5, 4, 3, 5], [2, 1, 4]
    merged = RollupCell.from_scores(first).merge(RollupCell.from_scores(second))
    assert merged == RollupCell.from_scores(first + second)
    assert merged.mean == pytest.approx(statistics.mean(first + second))
    empty = RollupCell()
    assert empty.merge(empty) == RollupCell()
    assert empty.mean is None and empty.csat is None and empty.ci95 is None


def test_rollup_top2_uses_scale() -> None:
    cell = RollupCell.from_scores([10, 9, 8], scale_max=10)
    assert cell.top2 == 2


@pytest.mark.parametrize("score", [0, 6, -1])
def test_rollup_rejects_scores_off_scale(score: int) -> None:
    with pytest.raises(ValueError, match="outside the scale"):
        RollupCell().add(score)


def test_rollup_rejects_non_integer() -> None:
    with pytest.raises(TypeError):
        RollupCell().add(4.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        RollupCell().add(True)


def test_month_start_moscow_boundary() -> None:
    late_january_utc = datetime(2025, 1, 31, 22, 30, tzinfo=UTC)
    assert month_start(late_january_utc, "Europe/Moscow") == date(2025, 2, 1)
    assert month_start(late_january_utc, "UTC") == date(2025, 1, 1)
    assert month_start(datetime(2025, 1, 31, 20, 59, tzinfo=UTC), "Europe/Moscow") == date(
        2025, 1, 1
    )


def test_month_start_naive_is_utc_and_other_offsets_are_converted() -> None:
    assert month_start(datetime(2025, 1, 31, 22, 30), "Europe/Moscow") == date(2025, 2, 1)
    novosibirsk = timezone(timedelta(hours=7))
    local_midnight = datetime(2025, 3, 1, 0, 30, tzinfo=novosibirsk)
    assert month_start(local_midnight, "Asia/Novosibirsk") == date(2025, 3, 1)
    assert month_start(local_midnight, "Europe/Moscow") == date(2025, 2, 1)
    assert month_start(datetime(2024, 12, 31, 21, 0, tzinfo=UTC), "Europe/Kaliningrad") == date(
        2024, 12, 1
    )


def test_month_start_unknown_zone() -> None:
    with pytest.raises(ValueError, match="time zone"):
        month_start(datetime(2025, 1, 1, tzinfo=UTC), "Mars/Olympus")


@pytest.mark.parametrize("scale_max", [5, 10])
def test_shown_interval_stays_on_the_scale_and_needs_enough_answers(scale_max: int) -> None:
    rng = random.Random(scale_max)
    for n in range(1, 40):
        for _ in range(20):
            scores = [rng.choice([1, scale_max, rng.randint(1, scale_max)]) for _ in range(n)]
            cell = RollupCell.from_scores(scores, scale_max=scale_max)
            shown = cell.interval_95(scale_max)
            if n < MIN_INTERVAL_RESPONSES:
                assert shown is None, scores
                continue
            assert shown is not None
            raw = cell.ci95
            assert raw is not None
            assert 1 <= shown[0] <= statistics.mean(scores) <= shown[1] <= scale_max
            assert shown == (max(1, raw[0]), min(scale_max, raw[1]))
    # two answers 1 and 5: the bare t-interval is 3 ± 25, which nobody should be shown
    assert (confidence_interval_95(2, 6, 26) or (0.0, 0.0))[0] < -20
    assert RollupCell.from_scores([1, 5]).interval_95(5) is None
