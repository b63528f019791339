"""Quiet hours: when the bot does not write to staff on its own, in OTKLIK_TIMEZONE.

A low score at 23:10 or a digest delayed past the evening would wake an owner; what the bot
says on its own initiative to a member of staff waits until the quiet hours end. Answers to
what a person has just done are never held. The organisation sets the default
(``OTKLIK_QUIET_HOURS``, «20-8»); a person may set their own with /quiet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

__all__ = ["QuietHours", "configure_quiet_hours", "default_quiet_hours", "parse_quiet_hours"]

_RANGE = re.compile(r"^\s*(\d{1,2})(?::00)?\s*[-–—]\s*(\d{1,2})(?::00)?\s*$")


@dataclass(frozen=True)
class QuietHours:
    """From ``start`` to ``end`` o'clock local time (over midnight when start > end)."""

    start: int
    end: int

    def __str__(self) -> str:
        return f"{self.start:02d}:00–{self.end:02d}:00"

    def _quiet_at(self, hour: int) -> bool:
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= hour < self.end
        return hour >= self.start or hour < self.end

    def next_allowed(self, moment: datetime, tz: tzinfo) -> datetime:
        """``moment`` itself outside quiet hours, else when they end (UTC)."""
        local = moment.astimezone(tz)
        if not self._quiet_at(local.hour):
            return moment
        end = datetime.combine(local.date(), time(self.end), tz)
        if end <= local:
            end = datetime.combine(local.date() + timedelta(days=1), time(self.end), tz)
        return end.astimezone(UTC)


def parse_quiet_hours(text: str) -> QuietHours | None:
    """«20-8», «22:00–7:00»; None for anything else or an hour out of 0–23."""
    match = _RANGE.match(text)
    if match is None:
        return None
    start, end = int(match.group(1)), int(match.group(2))
    if not (0 <= start <= 23 and 0 <= end <= 23):
        return None
    return QuietHours(start, end)


_default: tuple[QuietHours | None, tzinfo] = (None, ZoneInfo("Europe/Moscow"))  # until configured


def configure_quiet_hours(hours: QuietHours | None, tz: tzinfo) -> None:
    """Set the organisation's default (None: no quiet hours) once, from the settings."""
    global _default
    _default = (hours, tz)


def default_quiet_hours() -> tuple[QuietHours | None, tzinfo]:
    return _default
