"""The noise guard on constructed rollups: noise set aside, a real decline kept, literal = old."""

from __future__ import annotations

import math
import random
from datetime import date

import pytest

from analytics.decline import MonthlyScore, detect_decline
from analytics.decline_guard import (
    DEFAULT_MARGIN,
    NoiseGuard,
    apply_guard,
    drop_significance,
    standard_error,
)
from analytics.indexes import Series, months_back
from analytics.scan import DeclineRules, judge_series, rules_from
from analytics.stats import RollupCell
from core.i18n import translator
from core.settings import Settings, SettingsError, load_settings

RU = translator()

MONTHS = months_back(date(2025, 6, 1), 6)


def cell(mean: float, sd: float = 1.0, n: int = 100) -> RollupCell:
    """A month's rollup (n, Σx, Σx²) with the given mean and standard deviation."""
    total = round(mean * n)
    total_sq = round(sd * sd * (n - 1) + total * total / n)
    return RollupCell(n=n, total=total, total_sq=total_sq)


def series(cells: list[RollupCell]) -> Series:
    months = MONTHS[-len(cells) :]
    points = [MonthlyScore(m, c.mean or 0.0, c.n) for m, c in zip(months, cells, strict=True)]
    return Series(1, 5, points, cells)


def judged(cells: list[RollupCell], guard: NoiseGuard | None = None) -> tuple[bool, bool, str]:
    """(literal rule triggered, guarded rule triggered, guarded reason)."""
    one = series(cells)
    literal = detect_decline(one.points, RU)
    verdict = judge_series(one, DeclineRules(guard=guard or NoiseGuard()), RU)
    return literal.triggered, verdict.triggered, verdict.reason


def test_standard_error_comes_from_the_rollup_sums() -> None:
    ratings = [5, 4, 4, 3, 5, 2, 4, 5]
    mean = sum(ratings) / len(ratings)
    sd = math.sqrt(sum((r - mean) ** 2 for r in ratings) / (len(ratings) - 1))
    error = standard_error(RollupCell.from_scores(ratings))
    assert error is not None and math.isclose(error, sd / math.sqrt(len(ratings)))
    assert standard_error(RollupCell.from_scores([4])) is None
    significance = drop_significance(cell(4.4), cell(3.8))
    assert math.isclose(significance.drop, 0.6)
    assert significance.standard_error is not None
    assert math.isclose(significance.standard_error, math.sqrt(2) * 0.1, rel_tol=1e-3)


def test_flat_noise_is_not_flagged() -> None:
    # Three small decreases, 0.10 in all: about 0.7 standard errors at 100 answers a month.
    literal, guarded, reason = judged([cell(4.18), cell(4.20), cell(4.17), cell(4.13), cell(4.10)])
    assert literal and not guarded
    assert reason.startswith("В пределах случайных колебаний выборки: снижение на 0,10 балла")
    assert "0,7 стандартной ошибки (0,14), порог устойчивости — 2,5" in reason
    assert "Найдено: снижение удовлетворённости 3 месяца подряд" in reason


def test_a_real_decline_is_flagged_with_its_significance() -> None:
    literal, guarded, reason = judged([cell(4.18), cell(4.40), cell(4.20), cell(4.00), cell(3.80)])
    assert literal and guarded
    assert reason.startswith("Снижение удовлетворённости 3 месяца подряд: 4,40 → 3,80 (−0,60)")
    assert reason.endswith(
        "снижение на 0,60 балла — 4,2 стандартной ошибки (0,14), порог устойчивости — 2,5"
    )


def test_the_margin_is_the_threshold() -> None:
    cells = [cell(4.40), cell(4.20), cell(4.00), cell(3.80)]  # z = 0.60 / 0.1414 = 4.24
    assert judged(cells, NoiseGuard(margin=4.2))[1]
    assert not judged(cells, NoiseGuard(margin=4.3))[1]
    assert judged(cells, NoiseGuard(margin=0))[1]


def test_few_noisy_answers_need_a_larger_drop() -> None:
    """The same means at 30 answers a month: the drop is no longer beyond the noise."""
    means = [4.40, 4.20, 4.00, 3.80]
    assert judged([cell(m, sd=1.2, n=100) for m in means])[1]
    assert not judged([cell(m, sd=1.2, n=30) for m in means])[1]


def test_identical_answers_have_no_noise() -> None:
    fives, fours, threes, twos = (
        RollupCell(n=40, total=40 * v, total_sq=40 * v * v) for v in (5, 4, 3, 2)
    )
    literal, guarded, reason = judged([fives, fours, threes, twos])
    assert literal and guarded and "стандартная ошибка 0" in reason


def test_unknown_error_does_not_confirm() -> None:
    points = [RollupCell.from_scores([s]) for s in (5, 4, 3, 2)]
    one = series(points)
    verdict = judge_series(one, DeclineRules(min_responses=1), RU)
    assert detect_decline(one.points, RU, min_responses=1).triggered
    assert not verdict.triggered and "стандартная ошибка неизвестна" in verdict.reason


def test_literal_setting_reproduces_the_old_rule() -> None:
    """On many random series the literal guard gives exactly detect_decline's verdict."""
    rng = random.Random(13)
    literal = NoiseGuard(rule="literal")
    triggered = 0
    for _ in range(500):
        cells = [
            cell(4.2 + rng.gauss(0, 0.12), sd=1.0, n=rng.choice((20, 40, 100))) for _ in MONTHS
        ]
        one = series(cells)
        for months in (1, 3):
            old = detect_decline(one.points, RU, months=months)
            assert judge_series(one, DeclineRules(months=months, guard=literal), RU) == old
            triggered += old.triggered
    assert triggered > 50  # the comparison covered triggered verdicts too


def test_apply_guard_leaves_untriggered_verdicts_alone() -> None:
    one = series([cell(4.4), cell(4.2), cell(4.3)])
    verdict = detect_decline(one.points, RU)
    assert (
        apply_guard(verdict, dict(zip(MONTHS, one.cells, strict=False)), NoiseGuard(), RU)
        is verdict
    )


def test_guard_settings() -> None:
    defaults = Settings()
    assert defaults.decline_guard == "standard_error"
    assert defaults.decline_guard_margin == DEFAULT_MARGIN
    assert rules_from(defaults).guard == NoiseGuard()
    literal = load_settings(decline_guard="literal", decline_guard_margin=3)
    assert rules_from(literal).guard == NoiseGuard("literal", 3.0)
    with pytest.raises(SettingsError, match="OTKLIK_DECLINE_GUARD"):
        load_settings(decline_guard="significant")
    with pytest.raises(SettingsError, match="OTKLIK_DECLINE_GUARD_MARGIN"):
        load_settings(decline_guard_margin=-1)
    with pytest.raises(ValueError, match="margin"):
        NoiseGuard(margin=math.nan)
