"""Period errors and notes speak the reader's language, months named the way it names them."""

from __future__ import annotations

from datetime import date

import pytest

from core.calendar import CalendarError, WorkingCalendar
from core.i18n import translator
from core.periods import PeriodError, month_note, parse_month, resolve_month

TODAY = date(2026, 12, 2)


def test_a_month_to_come_is_refused_in_russian_and_in_english() -> None:
    with pytest.raises(PeriodError) as caught:
        resolve_month(date(2027, 1, 1), TODAY)
    assert str(caught.value) == (
        "Месяц январь 2027 г. ещё не наступил: сегодня 02.12.2026. "
        "Последний завершённый месяц — ноябрь 2026 г."
    )
    assert caught.value.text(translator("en")) == (
        "The month January 2027 has not begun yet: today is 02.12.2026. "
        "The last complete month is November 2026"
    )


def test_the_running_month_is_refused_for_the_scan_only() -> None:
    assert resolve_month(date(2026, 12, 1), TODAY) == date(2026, 12, 1)
    with pytest.raises(PeriodError) as caught:
        resolve_month(date(2026, 12, 1), TODAY, allow_current=False)
    assert "December 2026 is not over yet" in caught.value.text(translator("en"))
    assert "декабрь 2026 г. ещё не завершён" in caught.value.text(translator("ru"))


def test_a_malformed_month_and_the_notes() -> None:
    with pytest.raises(PeriodError) as caught:
        parse_month("2026-13")
    assert caught.value.text(translator("en")) == (
        "A month is given as YYYY-MM, e.g. 2025-03; got «2026-13»."
    )
    november = date(2026, 11, 1)
    assert month_note(november, TODAY, defaulted=True) == " (последний завершённый месяц)"
    assert month_note(november, TODAY, defaulted=True, _=translator("en")) == (
        " (the last complete month)"
    )
    assert month_note(date(2026, 12, 1), TODAY, defaulted=False, _=translator("en")) == (
        " (the month is not over yet: data as of 02.12.2026)"
    )
    assert month_note(november, TODAY, defaulted=False) == ""


def test_the_calendar_speaks_through_the_translator() -> None:
    warning = WorkingCalendar.data_warning(2040, translator("en"))
    assert warning is not None
    assert warning.startswith("The production calendar for 2040 is not in the installed version")
    with pytest.raises(CalendarError) as caught:
        WorkingCalendar([date(2026, 3, 9)], [date(2026, 3, 9)])
    assert str(caught.value) == (
        "Дата не может быть одновременно дополнительным выходным и рабочим днём: 09.03.2026"
    )
    assert isinstance(caught.value, ValueError)
