"""Tests of the decline trigger on hand-made monthly series."""

from __future__ import annotations

import math
from datetime import date

import pytest

from analytics.decline import DeclineVerdict, MonthlyScore, detect_decline, mann_kendall
from core.i18n import translator
from core.russian import format_p_value, month_range_ru, month_ru, plural_ru, ru_number

RU = translator()


def series(
    means: list[float], *, start: date = date(2025, 1, 1), responses: int | list[int] = 50
) -> list[MonthlyScore]:
    """Consecutive months from ``start`` with the given means."""
    counts = responses if isinstance(responses, list) else [responses] * len(means)
    out = []
    for i, (mean, n) in enumerate(zip(means, counts, strict=True)):
        index = start.year * 12 + start.month - 1 + i
        out.append(MonthlyScore(date(index // 12, index % 12 + 1, 1), mean, n))
    return out


def test_steady_series_does_not_trigger() -> None:
    verdict = detect_decline(series([4.2, 4.2, 4.3, 4.25, 4.3, 4.3]), RU)
    assert not verdict.triggered
    assert verdict.streak == 0
    assert not verdict.insufficient_data
    assert verdict.streak_months == ()
    assert verdict.trend_p_value is None
    assert verdict.reason.startswith("Снижения нет")


def test_two_decreases_do_not_trigger_at_three() -> None:
    verdict = detect_decline(series([4.0, 4.6, 4.4, 4.2]), RU)
    assert verdict.streak == 2
    assert not verdict.triggered
    assert not verdict.insufficient_data
    assert verdict.streak_months == (date(2025, 2, 1), date(2025, 3, 1), date(2025, 4, 1))
    assert verdict.reason == (
        "Снижение 2 месяца подряд, порог — 3: 4,60 → 4,20 (−0,40), февраль–апрель 2025 г.; "
        "тренд Манна–Кендалла p = 0,30. "
        "Перед снижением: в феврале 2025 г. средняя оценка выросла с 4,00 до 4,60"
    )


def test_three_decreases_trigger_at_default() -> None:
    verdict = detect_decline(series([4.50, 4.40, 4.25, 4.10]), RU)
    assert verdict.triggered
    assert verdict.streak == 3
    assert verdict.streak_months == tuple(date(2025, m, 1) for m in (1, 2, 3, 4))
    assert verdict.first_mean == 4.50
    assert verdict.last_mean == 4.10
    assert verdict.total_drop == pytest.approx(0.40)
    assert verdict.trend_p_value == pytest.approx(0.0894, abs=1e-4)
    assert verdict.reason == (
        "Снижение удовлетворённости 3 месяца подряд: 4,50 → 4,10 (−0,40), "
        "январь–апрель 2025 г.; тренд Манна–Кендалла p = 0,09"
    )


def test_three_decreases_do_not_trigger_strict_reading() -> None:
    verdict = detect_decline(series([4.50, 4.40, 4.25, 4.10]), RU, months=4)
    assert not verdict.triggered
    assert verdict.streak == 3
    # The streak reaches the start of the history: we cannot tell what came before.
    assert verdict.insufficient_data
    assert "оценки есть только с января 2025 г." in verdict.reason


def test_four_decreases_trigger_both_readings() -> None:
    points = series([4.0, 4.6, 4.5, 4.4, 4.3, 4.2])
    for months in (3, 4):
        verdict = detect_decline(points, RU, months=months)
        assert verdict.triggered
        assert verdict.streak == 4
        assert verdict.streak_months[0] == date(2025, 2, 1)
    assert "4 месяца подряд" in detect_decline(points, RU).reason
    assert not detect_decline(points, RU, months=5).triggered


def test_streak_across_year_boundary_names_both_years() -> None:
    verdict = detect_decline(series([4.6, 4.5, 4.4, 4.3], start=date(2024, 11, 1)), RU)
    assert verdict.triggered
    assert "ноябрь 2024 г. – февраль 2025 г." in verdict.reason


def test_flat_month_breaks_streak() -> None:
    verdict = detect_decline(series([4.6, 4.5, 4.5, 4.4, 4.3]), RU)
    assert verdict.streak == 2
    assert not verdict.triggered
    assert not verdict.insufficient_data
    assert "не изменилась" in verdict.reason


def test_rise_inside_streak_breaks_it() -> None:
    verdict = detect_decline(series([4.8, 4.6, 4.4, 4.5, 4.3, 4.2]), RU)
    assert verdict.streak == 2
    assert not verdict.triggered


def test_latest_rise_means_no_streak() -> None:
    verdict = detect_decline(series([4.8, 4.6, 4.4, 4.2, 4.3]), RU)
    assert verdict.streak == 0
    assert not verdict.triggered
    assert verdict.reason == "Снижения нет: в мае 2025 г. средняя оценка выросла с 4,20 до 4,30"


def test_too_few_answers_inside_streak() -> None:
    points = series([4.8, 4.6, 4.4, 4.2, 4.0], responses=[50, 50, 12, 50, 50])
    verdict = detect_decline(points, RU)
    assert verdict.streak == 1
    assert not verdict.triggered
    assert verdict.insufficient_data
    assert verdict.reason.startswith(
        "Недостаточно данных: в марте 2025 г. 12 ответов при минимуме 30"
    )


def test_too_few_answers_in_latest_month() -> None:
    points = series([4.8, 4.6, 4.4, 4.2], responses=[50, 50, 50, 0])
    verdict = detect_decline(points, RU)
    assert verdict.streak == 0
    assert verdict.insufficient_data
    assert verdict.reason == "Недостаточно данных: в апреле 2025 г. нет ответов при минимуме 30"


def test_min_responses_is_inclusive() -> None:
    points = series([4.6, 4.5, 4.4, 4.3], responses=30)
    assert detect_decline(points, RU, min_responses=30).triggered
    assert not detect_decline(points, RU, min_responses=31).triggered


def test_missing_month_breaks_streak() -> None:
    points = [
        MonthlyScore(date(2024, 12, 1), 4.9, 50),
        MonthlyScore(date(2025, 1, 1), 4.8, 50),
        MonthlyScore(date(2025, 3, 1), 4.6, 50),
        MonthlyScore(date(2025, 4, 1), 4.4, 50),
        MonthlyScore(date(2025, 5, 1), 4.2, 50),
    ]
    verdict = detect_decline(points, RU)
    assert verdict.streak == 2
    assert not verdict.triggered
    assert verdict.insufficient_data
    assert verdict.reason.startswith("Недостаточно данных: нет данных за февраль 2025 г.")


def test_several_missing_months_are_named_as_range() -> None:
    points = [MonthlyScore(date(2024, 10, 1), 4.9, 50), MonthlyScore(date(2025, 2, 1), 4.6, 50)]
    verdict = detect_decline(points, RU)
    assert "нет данных за ноябрь 2024 г. – январь 2025 г." in verdict.reason


def test_min_drop() -> None:
    points = series([4.50, 4.45, 4.40, 4.30])
    assert detect_decline(points, RU).triggered
    verdict = detect_decline(points, RU, min_drop=0.06)
    assert verdict.streak == 1
    assert not verdict.triggered
    assert "не больше порога 0,06" in verdict.reason
    assert detect_decline(series([4.5, 4.3, 4.1, 3.9]), RU, min_drop=0.1).triggered


def test_empty_points() -> None:
    verdict = detect_decline([], RU)
    assert verdict == DeclineVerdict(
        triggered=False,
        streak=0,
        insufficient_data=True,
        months_required=3,
        reason="Недостаточно данных: оценок по процессу ещё нет",
    )


def test_single_point_is_insufficient() -> None:
    verdict = detect_decline(series([4.0]), RU)
    assert verdict.streak == 0
    assert verdict.insufficient_data
    assert verdict.first_mean == verdict.last_mean == 4.0
    assert verdict.total_drop == 0.0


def test_months_one_triggers_on_single_decrease_without_p_value() -> None:
    verdict = detect_decline(series([4.5, 4.4]), RU, months=1)
    assert verdict.triggered
    assert verdict.trend_p_value is None
    assert "Манна" not in verdict.reason


@pytest.mark.parametrize(
    ("points", "message"),
    [
        (series([4.0, 4.1])[::-1], "chronological order"),
        ([MonthlyScore(date(2025, 1, 1), 4.0, 50)] * 2, "duplicate month"),
        ([MonthlyScore(date(2025, 1, 15), 4.0, 50)], "first day"),
        ([MonthlyScore(date(2025, 1, 1), 4.0, -1)], "responses"),
        ([MonthlyScore(date(2025, 1, 1), math.nan, 40)], "finite"),
    ],
)
def test_invalid_points(points: list[MonthlyScore], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        detect_decline(points, RU)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"months": 0}, "months"),
        ({"min_drop": -0.1}, "min_drop"),
        ({"min_drop": math.nan}, "min_drop"),
        ({"min_responses": -1}, "min_responses"),
    ],
)
def test_invalid_thresholds(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        detect_decline(series([4.0]), RU, **kwargs)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- Mann–Kendall


def test_mann_kendall_strictly_decreasing_four() -> None:
    result = mann_kendall([4.5, 4.4, 4.3, 4.1])
    assert result is not None
    assert result.s == -6
    assert result.variance == pytest.approx(156 / 18)  # 4·3·13/18 = 8.667
    assert result.z == pytest.approx(-5 / math.sqrt(156 / 18))  # −1.698
    assert result.z == pytest.approx(-1.6984, abs=1e-4)
    assert result.p_value == pytest.approx(0.0894, abs=1e-4)


def test_mann_kendall_strictly_increasing_five() -> None:
    # S = 10, Var = 5·4·15/18 = 16.667, Z = 9/4.0825 = 2.2045, p = 0.0275
    result = mann_kendall([1.0, 2.0, 3.0, 4.0, 5.0])
    assert result is not None
    assert result.s == 10
    assert result.variance == pytest.approx(250 / 15)
    assert result.z == pytest.approx(2.2045, abs=1e-4)
    assert result.p_value == pytest.approx(0.02749, abs=1e-5)


def test_mann_kendall_with_ties() -> None:
    # pairs: (3,2)- (3,2)- (3,1)- (2,2)0 (2,1)- (2,1)- → S = −5
    # Var = (4·3·13 − 2·1·9)/18 = 138/18 = 7.667; Z = −4/2.769 = −1.4446; p = 0.1486
    result = mann_kendall([3.0, 2.0, 2.0, 1.0])
    assert result is not None
    assert result.s == -5
    assert result.variance == pytest.approx(138 / 18)
    assert result.p_value == pytest.approx(math.erfc(4 / math.sqrt(138 / 18) / math.sqrt(2)))
    assert result.p_value == pytest.approx(0.1486, abs=1e-4)


def test_mann_kendall_edge_cases() -> None:
    assert mann_kendall([4.0, 3.0]) is None
    flat = mann_kendall([4.0, 4.0, 4.0])
    assert flat is not None and flat.p_value == 1.0
    no_trend = mann_kendall([1.0, 3.0, 2.0])  # S = +1 +1 −1 = 1, Z = (1 − 1)/σ = 0
    assert no_trend is not None and no_trend.s == 1 and no_trend.z == 0.0


# ----------------------------------------------------------------------------- Russian text


def test_russian_formatting() -> None:
    assert ru_number(4.5) == "4,50"
    assert ru_number(-0.4) == "−0,40"
    assert ru_number(-0.001) == "0,00"
    assert [plural_ru(n, "месяц", "месяца", "месяцев") for n in (1, 2, 5, 11, 21, 22, 112)] == [
        "месяц",
        "месяца",
        "месяцев",
        "месяцев",
        "месяц",
        "месяца",
        "месяцев",
    ]
    assert month_ru(date(2025, 3, 1), "prepositional") == "марте 2025 г."
    assert month_ru(date(2025, 5, 1), "genitive", year=False) == "мая"
    assert month_range_ru(date(2025, 1, 1), date(2025, 4, 1)) == "январь–апрель 2025 г."
    assert month_range_ru(date(2025, 6, 1), date(2025, 6, 1)) == "июнь 2025 г."
    assert format_p_value(0.0894) == "p = 0,09"
    assert format_p_value(0.0042) == "p = 0,004"
    assert format_p_value(0.0004) == "p < 0,001"
