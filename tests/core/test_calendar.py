"""The working-day calendar against the official Russian production calendar."""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterator
from datetime import date, timedelta

import holidays
import pytest

from core import calendar as calendar_module
from core.calendar import (
    CalendarDataWarning,
    WorkingCalendar,
    add_working_days,
    configure_default_calendar,
    default_calendar,
    is_working_day,
    working_days_between,
)

# Working days per month of the official production calendar (five-day week).
# 2024 — Government decree No. 1362 of 10.08.2023: days off moved from Sat 06.01 to Fri
# 10.05, from Sun 07.01 to Tue 31.12, from Sat 27.04 to Mon 29.04, from Sat 02.11 to Tue
# 30.04, from Sat 28.12 to Mon 30.12, so 27.04, 02.11 and 28.12 are working Saturdays.
# November and December are 21 and 21, not the 20 and 22 given in the brief: November has
# 21 weekdays, minus Mon 04.11, plus the working Saturday 02.11 = 21; December has 22
# weekdays, minus Mon 30.12 and Tue 31.12, plus the working Saturday 28.12 = 21 (the yearly
# total 248 is the same either way; ConsultantPlus: "ноябрь — 21 рабочий день",
# "декабрь — 21 рабочий и 10 выходных").
# 2025 — decree No. 1335 of 04.10.2024: 04.01→02.05, 05.01→31.12, 23.02→08.05,
# 08.03→13.06, Sat 01.11→Mon 03.11 (01.11 is a working Saturday).
# 2026 — decree of 2025 on transfers in 2026: Sat 03.01→Fri 09.01, Sun 04.01→Thu 31.12; plus
# art. 112 shifts of Sun 08.03→Mon 09.03 and Sat 09.05→Mon 11.05.
OFFICIAL_MONTHS: dict[int, list[int]] = {
    2024: [17, 20, 20, 21, 20, 19, 23, 22, 21, 23, 21, 21],
    2025: [17, 20, 21, 22, 18, 19, 23, 21, 22, 23, 19, 22],
    2026: [15, 19, 21, 22, 19, 21, 23, 21, 22, 22, 20, 22],
}
OFFICIAL_TOTALS = {2024: 248, 2025: 247, 2026: 247}


def _days(year: int) -> Iterator[date]:
    day = date(year, 1, 1)
    while day.year == year:
        yield day
        day += timedelta(days=1)


@pytest.fixture(autouse=True)
def _fresh_warning_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test sees the once-per-process warning as if the process had just started."""
    monkeypatch.setattr(calendar_module, "_WARNED_YEARS", set())


@pytest.fixture
def restore_default_calendar() -> Iterator[None]:
    saved = default_calendar()
    yield
    calendar_module._default_calendar = saved


@pytest.mark.parametrize("year", sorted(OFFICIAL_MONTHS))
def test_every_day_matches_official_monthly_counts(year: int) -> None:
    cal = WorkingCalendar()
    counts = [0] * 12
    for day in _days(year):
        counts[day.month - 1] += cal.is_working_day(day)
    assert counts == OFFICIAL_MONTHS[year]
    assert sum(counts) == OFFICIAL_TOTALS[year]


@pytest.mark.parametrize("year", [2024, 2025, 2026, 2027])
def test_agrees_with_holidays_package_day_by_day(year: int) -> None:
    reference = holidays.Russia(years=range(year - 1, year + 2))
    cal = WorkingCalendar()
    assert [cal.is_working_day(d) for d in _days(year)] == [
        reference.is_working_day(d) for d in _days(year)
    ]


@pytest.mark.parametrize(
    "day",
    [date(2024, 4, 27), date(2024, 11, 2), date(2024, 12, 28), date(2025, 11, 1)],
)
def test_working_saturdays(day: date) -> None:
    assert day.weekday() == 5
    assert is_working_day(day)


@pytest.mark.parametrize(
    "day",
    [
        date(2024, 4, 29),  # from Sat 27.04
        date(2024, 4, 30),  # from Sat 02.11
        date(2024, 5, 10),  # from Sat 06.01
        date(2024, 12, 30),  # from Sat 28.12
        date(2024, 12, 31),  # from Sun 07.01
        date(2025, 5, 2),  # from Sat 04.01
        date(2025, 5, 8),  # from Sun 23.02
        date(2025, 6, 13),  # from Sat 08.03
        date(2025, 11, 3),  # from Sat 01.11
        date(2025, 12, 31),  # from Sun 05.01
        date(2026, 1, 9),  # from Sat 03.01
        date(2026, 3, 9),  # art. 112: Sun 08.03
        date(2026, 5, 11),  # art. 112: Sat 09.05
        date(2026, 12, 31),  # from Sun 04.01
    ],
)
def test_transferred_days_off(day: date) -> None:
    assert day.weekday() < 5
    assert not is_working_day(day)


def test_add_working_days_across_may_holidays() -> None:
    # 2025: Thu 01.05 holiday, Fri 02.05 transferred, 03–04.05 weekend; Mon–Wed 05–07.05
    # working; Thu 08.05 transferred, Fri 09.05 holiday, 10–11.05 weekend.
    start = date(2025, 4, 29)  # Tuesday
    assert add_working_days(start, 1) == date(2025, 4, 30)
    assert add_working_days(start, 2) == date(2025, 5, 5)
    assert add_working_days(start, 3) == date(2025, 5, 6)
    assert add_working_days(start, 5) == date(2025, 5, 12)
    assert working_days_between(start, date(2025, 5, 12)) == 5


def test_add_working_days_across_new_year() -> None:
    # 31.12.2025 transferred, 01–08.01.2026 holidays, 09.01 transferred, 10–11.01 weekend.
    assert add_working_days(date(2025, 12, 30), 1) == date(2026, 1, 12)
    # 28.12.2024 is a working Saturday; 29.12 Sunday, 30–31.12 off, 01–08.01.2025 holidays.
    assert add_working_days(date(2024, 12, 27), 1) == date(2024, 12, 28)
    assert add_working_days(date(2024, 12, 27), 2) == date(2025, 1, 9)
    assert add_working_days(date(2025, 1, 9), -2) == date(2024, 12, 27)
    assert working_days_between(date(2024, 12, 27), date(2025, 1, 9)) == 2


def test_working_saturday_is_counted() -> None:
    # Fri 01.11.2024 → Sat 02.11 working, Sun 03.11, Mon 04.11 holiday, Tue 05.11.
    assert add_working_days(date(2024, 11, 1), 1) == date(2024, 11, 2)
    assert add_working_days(date(2024, 11, 1), 2) == date(2024, 11, 5)
    assert working_days_between(date(2024, 11, 1), date(2024, 11, 5)) == 2
    # Fri 31.10.2025 → Sat 01.11.2025 is working, Mon 03.11 and Tue 04.11 are not.
    assert add_working_days(date(2025, 10, 31), 2) == date(2025, 11, 5)


def test_zero_and_negative_steps() -> None:
    assert add_working_days(date(2025, 5, 6), 0) == date(2025, 5, 6)  # working: itself
    assert add_working_days(date(2025, 5, 1), 0) == date(2025, 5, 5)  # holiday: next one
    assert add_working_days(date(2025, 5, 12), -1) == date(2025, 5, 7)
    assert add_working_days(date(2025, 5, 10), -1) == date(2025, 5, 7)  # from a Saturday
    assert add_working_days(date(2025, 5, 5), -3) == date(2025, 4, 28)


def test_between_is_symmetric_with_add() -> None:
    cal = WorkingCalendar()
    start = date(2024, 1, 1)
    for offset in range(0, 3 * 365, 5):
        day = start + timedelta(days=offset)
        for n in (1, 2, 3, 7, 12, 30):
            assert cal.working_days_between(day, cal.add_working_days(day, n)) == n
            if cal.is_working_day(day):
                assert cal.working_days_between(day, cal.add_working_days(day, -n)) == -n


def test_between_convention() -> None:
    a, b, c = date(2025, 4, 29), date(2025, 5, 12), date(2026, 1, 20)
    assert working_days_between(a, a) == 0
    assert working_days_between(b, a) == -working_days_between(a, b)
    assert working_days_between(a, b) + working_days_between(b, c) == working_days_between(a, c)
    # Start excluded, end included: Fri 09.05.2025 holiday → Mon 12.05 counts, not 09.05.
    assert working_days_between(date(2025, 5, 7), date(2025, 5, 12)) == 1
    # From a weekend backwards: the n-th working day before Sat 10.05 is Wed 07.05, and
    # (07.05, 10.05] holds no working day — the documented asymmetry of a non-working start.
    assert add_working_days(date(2025, 5, 10), -1) == date(2025, 5, 7)
    assert working_days_between(date(2025, 5, 10), date(2025, 5, 7)) == 0


def test_whole_years_between() -> None:
    assert working_days_between(date(2023, 12, 31), date(2026, 12, 31)) == 248 + 247 + 247


def test_extra_regional_days() -> None:
    # Tatarstan: Kurban Bayram, Fri 06.06.2025, was a regional day off; suppose the body also
    # works on Sat 07.06.2025.
    cal = WorkingCalendar(extra_days_off=[date(2025, 6, 6)], extra_working_days=[date(2025, 6, 7)])
    assert not cal.is_working_day(date(2025, 6, 6))
    assert cal.is_working_day(date(2025, 6, 7))
    assert cal.add_working_days(date(2025, 6, 5), 1) == date(2025, 6, 7)
    assert cal.add_working_days(date(2025, 6, 5), 2) == date(2025, 6, 9)
    assert WorkingCalendar().add_working_days(date(2025, 6, 5), 1) == date(2025, 6, 6)
    # An extra working day may also cancel a federal holiday for the organisation.
    assert WorkingCalendar(extra_working_days=[date(2025, 5, 2)]).is_working_day(date(2025, 5, 2))


def test_extra_days_cannot_clash() -> None:
    with pytest.raises(ValueError, match=r"06\.06\.2025"):
        WorkingCalendar(extra_days_off=[date(2025, 6, 6)], extra_working_days=[date(2025, 6, 6)])


def test_configure_default_calendar(restore_default_calendar: None) -> None:
    assert is_working_day(date(2025, 6, 6))
    configured = configure_default_calendar(extra_days_off=[date(2025, 6, 6)])
    assert default_calendar() is configured
    assert not is_working_day(date(2025, 6, 6))
    assert add_working_days(date(2025, 6, 5), 1) == date(2025, 6, 9)
    assert working_days_between(date(2025, 6, 5), date(2025, 6, 9)) == 1


def test_official_data_years() -> None:
    cal = WorkingCalendar()
    for year in (2024, 2025, 2026, 2027):
        assert cal.has_official_data(year)
        assert cal.data_warning(year) is None
    assert not cal.has_official_data(2040)
    sentence = cal.data_warning(2040)
    assert sentence is not None
    assert "2040" in sentence and "holidays" in sentence and "постановлени" in sentence


def test_far_future_year_warns_once_and_uses_statutory_rule() -> None:
    cal = WorkingCalendar()
    with pytest.warns(CalendarDataWarning, match="2040 год") as record:
        assert cal.is_working_day(date(2040, 1, 9))  # Monday after the January holidays
    assert issubclass(record[0].category, UserWarning)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a second warning for 2040 would raise here
        other = WorkingCalendar()
        assert not other.is_working_day(date(2040, 1, 8))
        assert not other.is_working_day(date(2040, 11, 4))  # Sunday, Unity Day
        assert not other.is_working_day(date(2040, 11, 5))  # art. 112: day off moved
        assert other.is_working_day(date(2040, 11, 6))
        assert not other.is_working_day(date(2040, 5, 9))  # Wednesday, Victory Day


def test_moving_into_an_uncovered_year_warns() -> None:
    with pytest.warns(CalendarDataWarning, match="2028"):
        WorkingCalendar().add_working_days(date(2027, 12, 20), 15)


def test_hundreds_of_days_are_fast() -> None:
    cal = WorkingCalendar()
    cal.add_working_days(date(2024, 1, 1), 1)  # warm the cache of one year
    started = time.perf_counter()
    for offset in range(200):
        cal.add_working_days(date(2024, 1, 1) + timedelta(days=offset), 500)
        cal.working_days_between(date(2024, 1, 1), date(2026, 12, 31) - timedelta(days=offset))
    assert time.perf_counter() - started < 0.5
    naive, left = date(2024, 1, 1), 500
    while left:
        naive += timedelta(days=1)
        left -= cal.is_working_day(naive)
    assert cal.add_working_days(date(2024, 1, 1), 500) == naive
