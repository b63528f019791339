"""Report periods: whole calendar months of the organisation's zone, never a month to come.

One place decides which months a report, the scan and /stats cover, so the CLI and the bot
cannot disagree: a month is its first day to its last day in ``OTKLIK_TIMEZONE`` (answers
carry the local day and month they were given on), and the default is the last complete
month. Messages are English msgids translated where they are shown, like the other domain
errors; month names come from `core.russian`, as in every other period the product names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from babel.dates import format_date

from core.i18n import Translator, locale_of
from core.russian import month_ru
from core.wording import WordedError, __, speaking

__all__ = [
    "PAIN_MAP_MONTHS",
    "MonthName",
    "PeriodError",
    "last_complete_month",
    "month_add",
    "month_end",
    "month_note",
    "parse_month",
    "resolve_month",
]

PAIN_MAP_MONTHS = 3
"""The pain map and the pains of /stats cover the month shown and the two before it."""


class PeriodError(WordedError, ValueError):
    """A month that cannot be reported as asked; ``text(_)`` says why in the reader's language."""


@dataclass(frozen=True)
class MonthName:
    """A month named in the reader's language: «январь 2027 г.» (`core.russian`), "January 2027".

    A parameter of a message, said when the message is translated (`core.wording.Worded`).
    """

    month: date

    def text(self, _: Translator) -> str:
        locale = locale_of(_)
        if locale == "ru":
            return month_ru(self.month)
        return str(format_date(self.month, "LLLL y", locale=locale))


def month_add(month: date, delta: int) -> date:
    """First day of the month ``delta`` months from ``month``'s."""
    index = month.year * 12 + month.month - 1 + delta
    return date(index // 12, index % 12 + 1, 1)


def month_end(month: date) -> date:
    """Last day of ``month``'s month: periods end there, not on its first day."""
    return month_add(month, 1) - timedelta(days=1)


def last_complete_month(today: date) -> date:
    """First day of the month before ``today``'s (``today`` in the organisation's zone)."""
    return month_add(today.replace(day=1), -1)


def parse_month(text: str) -> date:
    """``YYYY-MM`` → the first day of that month; a clear error otherwise."""
    try:
        return datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise PeriodError(
            __("A month is given as YYYY-MM, e.g. 2025-03; got «{text}»."), text=text
        ) from None


def resolve_month(requested: date | None, today: date, *, allow_current: bool = True) -> date:
    """The month to show: the one asked for, or the last complete one; never a future month.

    ``allow_current=False`` also refuses the month still running (the decline scan must not
    record a month on part of its answers).
    """
    latest = last_complete_month(today)
    if requested is None:
        return latest
    month = requested.replace(day=1)
    current = today.replace(day=1)
    if month > current:
        raise PeriodError(
            __(
                "The month {month} has not begun yet: today is {today}. "
                "The last complete month is {latest}"
            ),
            month=MonthName(month),
            today=f"{today:%d.%m.%Y}",
            latest=MonthName(latest),
        )
    if month == current and not allow_current:
        raise PeriodError(
            __(
                "The month {month} is not over yet: declines are checked on complete months "
                "only. The last complete month is {latest}"
            ),
            month=MonthName(month),
            latest=MonthName(latest),
        )
    return month


def month_note(month: date, today: date, *, defaulted: bool, _: Translator | None = None) -> str:
    """What a command line says about the month it used, after the month's name."""
    _ = speaking(_)
    if defaulted:
        return " " + _("(the last complete month)")
    if month.replace(day=1) == today.replace(day=1):
        return " " + _("(the month is not over yet: data as of {today})").format(
            today=f"{today:%d.%m.%Y}"
        )
    return ""
