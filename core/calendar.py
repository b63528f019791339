"""Working days of the Russian production calendar (производственный календарь).

Every deadline of seed 003 is counted in working days, so a deadline is only as right as
this calendar. It follows the official calendar of the five-day week: weekends, the
non-working public holidays of art. 112 of the Labour Code, and the transfers of days off
decreed each year by the Government, working Saturdays included. The data come from the
``holidays`` package (``holidays.Russia``): its ``special_public_holidays`` table holds the
decreed transfers ("Выходной (перенесено с …)"), ``weekend_workdays`` the Saturdays made
working, ``special_public_holidays_observed`` the statutory shifts of a holiday that falls
on a weekend; ``HolidayBase.is_working_day`` combines them.

A decree is adopted a few months before its year, so the package knows the transfers only
up to some year (2027 in holidays 0.109). For a later (or pre-1991) year the calendar still
answers — weekends, the fixed holidays and the art. 112 rule that moves a weekend-coinciding
holiday (except the January ones) to the next working day — but it warns once per year per
process with :class:`CalendarDataWarning`, and :meth:`WorkingCalendar.data_warning` gives a
Russian sentence to show people next to such deadlines.

Conventions (the same as ``holidays``' ``get_nth_working_day``):

* ``add_working_days(start, n)`` for ``n >= 1`` is the n-th working day strictly after
  ``start`` ("within 3 working days after the ground arose" → ``add_working_days(ground,
  3)``); ``n == 0`` returns ``start`` if it is a working day, else the next working day;
  ``n < 0`` is the ``|n|``-th working day strictly before ``start``.
* ``working_days_between(start, end)`` counts the working days ``d`` with
  ``start < d <= end``; when ``end < start`` it is minus the count of ``end < d <= start``.
  It is antisymmetric and additive (``between(a, b) + between(b, c) == between(a, c)``),
  and ``between(start, add_working_days(start, n)) == n`` for every ``n >= 1`` and, for
  ``n <= -1``, whenever ``start`` itself is a working day.

Regional calendars: a region may declare its own non-working holidays (art. 6 of the
Labour Code) and an organisation may have to work on some day; ``extra_days_off`` and
``extra_working_days`` (settings ``OTKLIK_EXTRA_DAYS_OFF`` / ``OTKLIK_EXTRA_WORKING_DAYS``,
applied through :func:`configure_default_calendar`) override the federal calendar.
"""

from __future__ import annotations

import warnings
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from datetime import date, timedelta

import holidays

from core.i18n import Translator
from core.wording import WordedError, __, speaking

__all__ = [
    "CalendarDataWarning",
    "CalendarError",
    "WorkingCalendar",
    "add_working_days",
    "configure_default_calendar",
    "default_calendar",
    "is_working_day",
    "working_days_between",
]

_SATURDAY = 5
# Years whose missing decree data has already been reported in this process: the warning is
# about the installed package, not about a calendar instance, so it is shown once per year.
_WARNED_YEARS: set[int] = set()


class CalendarError(WordedError, ValueError):
    """Extra days that contradict each other; ``text(_)`` names them in the reader's language."""


class CalendarDataWarning(UserWarning):
    """The production calendar of a year is not in the installed ``holidays`` package."""


def _official_data_years() -> tuple[int, int]:
    """Return the first and last year for which ``holidays`` knows the decreed transfers."""
    russia = holidays.Russia()
    years: set[int] = set()
    for attribute in ("special_public_holidays", "special_public_holidays_observed"):
        table = getattr(russia, attribute, None)
        if isinstance(table, dict):
            years.update(year for year in table if isinstance(year, int))
    start = int(getattr(russia, "start_year", 1991))
    return start, max(years, default=start - 1)


_FIRST_DATA_YEAR, _LAST_DATA_YEAR = _official_data_years()


def _days_of_year(year: int) -> list[date]:
    """All calendar days of ``year`` in order."""
    start = date(year, 1, 1)
    return [start + timedelta(days=offset) for offset in range((date(year + 1, 1, 1) - start).days)]


def _statutory_days_off(year: int) -> set[date]:
    """Non-working days of a year without a decree: weekends, holidays, art. 112 shifts.

    Art. 112 part 2: when a weekend coincides with a non-working holiday, the day off moves
    to the next working day after the holiday, except for the January holidays (1–8 January,
    whose weekend days the Government transfers by decree — unknown without the decree).
    """
    public = holidays.Russia(years=year)
    days_off = {day for day in public if day.year == year}
    days_off.update(day for day in _days_of_year(year) if day.weekday() >= _SATURDAY)
    for holiday in sorted(day for day in public if day.year == year and day.month != 1):
        if holiday.weekday() < _SATURDAY:
            continue
        moved = holiday + timedelta(days=1)
        while moved in days_off and moved.year == year:
            moved += timedelta(days=1)
        if moved.year == year:
            days_off.add(moved)
    return days_off


def _official_days_off(year: int) -> set[date]:
    """Non-working days of a year from the package's decree data (transfers included)."""
    # Neighbouring years are populated too: a transfer may name a date of another year.
    russia = holidays.Russia(years=range(year - 1, year + 2))
    return {day for day in _days_of_year(year) if not russia.is_working_day(day)}


class WorkingCalendar:
    """The production calendar with optional regional days off and extra working days.

    Working days are computed once per year and kept as a sorted tuple, so moving by
    hundreds of working days is a few bisections rather than a day-by-day walk.
    """

    def __init__(
        self,
        extra_days_off: Iterable[date] = (),
        extra_working_days: Iterable[date] = (),
    ) -> None:
        self._extra_days_off = frozenset(extra_days_off)
        self._extra_working_days = frozenset(extra_working_days)
        if clash := sorted(self._extra_days_off & self._extra_working_days):
            listed = ", ".join(day.strftime("%d.%m.%Y") for day in clash)
            raise CalendarError(
                __("A date cannot be both an extra day off and an extra working day: {dates}"),
                dates=listed,
            )
        self._working: dict[int, tuple[date, ...]] = {}
        self._working_set: dict[int, frozenset[date]] = {}

    def __repr__(self) -> str:
        return (
            f"WorkingCalendar(extra_days_off={sorted(self._extra_days_off)!r}, "
            f"extra_working_days={sorted(self._extra_working_days)!r})"
        )

    @property
    def extra_days_off(self) -> frozenset[date]:
        """Regional or organisational days off on top of the federal calendar."""
        return self._extra_days_off

    @property
    def extra_working_days(self) -> frozenset[date]:
        """Days that are working for the organisation although the calendar says otherwise."""
        return self._extra_working_days

    @staticmethod
    def has_official_data(year: int) -> bool:
        """Whether the installed ``holidays`` knows the Government's transfers for ``year``."""
        return _FIRST_DATA_YEAR <= year <= _LAST_DATA_YEAR

    @classmethod
    def data_warning(cls, year: int, _: Translator | None = None) -> str | None:
        """A sentence for people when deadlines in ``year`` rest on the fallback rule."""
        if cls.has_official_data(year):
            return None
        _ = speaking(_)
        return _(
            "The production calendar for {year} is not in the installed version of the "
            "holidays library; deadlines are counted on a five-day working week with the public "
            "holidays and their transfers under article 112 of the Labour Code, without the "
            "transfers of days off by the Government's decree. Update the holidays library once "
            "the decree is out."
        ).format(year=year)

    def _year_days(self, year: int) -> tuple[date, ...]:
        """Sorted working days of ``year``, computed once and cached."""
        cached = self._working.get(year)
        if cached is not None:
            return cached
        official = self.has_official_data(year)
        days_off = _official_days_off(year) if official else _statutory_days_off(year)
        days_off |= {day for day in self._extra_days_off if day.year == year}
        days_off -= self._extra_working_days
        working = tuple(day for day in _days_of_year(year) if day not in days_off)
        self._working[year] = working
        self._working_set[year] = frozenset(working)
        if not official and year not in _WARNED_YEARS:
            _WARNED_YEARS.add(year)
            message = self.data_warning(year)
            warnings.warn(message or "", CalendarDataWarning, stacklevel=3)
        return working

    def is_working_day(self, day: date) -> bool:
        """Whether ``day`` is a working day of the five-day week."""
        self._year_days(day.year)
        return day in self._working_set[day.year]

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after ``start`` (see the module docstring for n <= 0)."""
        if n == 0:
            return start if self.is_working_day(start) else self.add_working_days(start, 1)
        year = start.year
        days = self._year_days(year)
        if n > 0:
            index = bisect_right(days, start) + n - 1
            while index >= len(days):
                index -= len(days)
                year += 1
                days = self._year_days(year)
            return days[index]
        index = bisect_left(days, start) + n
        while index < 0:
            year -= 1
            days = self._year_days(year)
            index += len(days)
        return days[index]

    def working_days_between(self, start: date, end: date) -> int:
        """Working days ``d`` with ``start < d <= end``; negative when ``end < start``."""
        if end < start:
            return -self.working_days_between(end, start)
        if start.year == end.year:
            days = self._year_days(start.year)
            return bisect_right(days, end) - bisect_right(days, start)
        first = self._year_days(start.year)
        count = len(first) - bisect_right(first, start)
        for year in range(start.year + 1, end.year):
            count += len(self._year_days(year))
        return count + bisect_right(self._year_days(end.year), end)


_default_calendar = WorkingCalendar()


def configure_default_calendar(
    extra_days_off: Iterable[date] = (),
    extra_working_days: Iterable[date] = (),
) -> WorkingCalendar:
    """Replace the calendar behind the module functions (called once from the settings)."""
    global _default_calendar
    _default_calendar = WorkingCalendar(extra_days_off, extra_working_days)
    return _default_calendar


def default_calendar() -> WorkingCalendar:
    """The calendar used by the module-level functions."""
    return _default_calendar


def is_working_day(day: date) -> bool:
    """Whether ``day`` is a working day of the default calendar."""
    return _default_calendar.is_working_day(day)


def add_working_days(start: date, n: int) -> date:
    """The n-th working day after ``start`` in the default calendar (n <= 0: module doc)."""
    return _default_calendar.add_working_days(start, n)


def working_days_between(start: date, end: date) -> int:
    """Working days ``d`` with ``start < d <= end`` in the default calendar (signed)."""
    return _default_calendar.working_days_between(start, end)
