"""Which deadline reminder is due today, and how it reads: pure, no database, no clock.

The job runs once a day on working days. Planning looks at *today only*: an item gets at
most one reminder a day, and its key is the reminder's nominal date, so a rerun on the same
day queues nothing new (the outbox dedupes by key) and, after downtime, what fell due
meanwhile goes out once — the latest reminder whose date has come supersedes the earlier
ones (a missed "2 days before" is not sent once the due day or the overdue phase arrived).

Kinds of reminder for a deadline ``due``:

* ``before`` — N working days before ``due`` for each N of ``OTKLIK_REMINDER_DAYS_BEFORE``;
* ``due`` — on the due day (the last working day up to it when it is a day off);
* ``overdue`` — every working day after ``due``, with a copy to the officers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from html import escape
from typing import Literal

from core.calendar import WorkingCalendar
from core.i18n import Translator
from core.wording import __, counted, speaking

__all__ = [
    "REVIEW_DAYS_BEFORE",
    "Reminder",
    "ReminderKind",
    "deadline_reminder",
    "due_phrase",
    "format_date",
    "plan_item_reminder_text",
    "reminder_key",
    "review_reminder",
    "review_reminder_text",
    "step_reminder_text",
    "working_days_phrase",
]

ReminderKind = Literal["before", "due", "overdue"]

# Seed 003 §1.5 / seed 000: the review is due every three years; people are warned ahead.
REVIEW_DAYS_BEFORE: tuple[int, ...] = (60, 30, 10)


@dataclass(frozen=True, slots=True)
class Reminder:
    """One reminder to send today.

    ``nominal`` is the date the reminder belongs to (part of its dedupe key); ``days`` is the
    number of working days left until ``due`` (before/due) or past it (overdue), from today.
    """

    kind: ReminderKind
    nominal: date
    due: date
    days: int


def format_date(day: date) -> str:
    """ДД.ММ.ГГГГ, as Russian documents write dates."""
    return day.strftime("%d.%m.%Y")


def working_days_phrase(count: int, _: Translator | None = None) -> str:
    """«1 рабочий день», «3 рабочих дня», «5 рабочих дней»; «21 working days» in English."""
    return counted(
        count,
        speaking(_),
        __("{count} working day"),
        __("{count} working days (2-4)"),
        __("{count} working days"),
    )


def due_phrase(due: date, start: date | None, calendar: WorkingCalendar, _: Translator) -> str:
    """«до 12.05.2025 (5 рабочих дней)»: the deadline and its length from the clock start."""
    if start is None or start >= due:
        return _("by {day}").format(day=format_date(due))
    length = working_days_phrase(calendar.working_days_between(start, due), _)
    return _("by {day} ({length})").format(day=format_date(due), length=length)


def reminder_key(kind: str, item_id: int | str, nominal: date, chat_id: object) -> str:
    """Outbox dedupe key: one reminder per item, nominal date and recipient (chat or person)."""
    return f"rem:{kind}:{item_id}:{nominal.isoformat()}:{chat_id}"


def deadline_reminder(
    due: date,
    today: date,
    calendar: WorkingCalendar,
    *,
    days_before: Iterable[int] = (2,),
    active_since: date | None = None,
) -> Reminder | None:
    """The reminder of a deadline to send today, or None.

    ``active_since`` is the day the step (or plan) became active: reminders dated on or
    before it are not sent, since the activation message already gave the deadline.
    Nothing is sent on a day off.
    """
    if not calendar.is_working_day(today):
        return None
    if today > due:
        return Reminder("overdue", today, due, calendar.working_days_between(due, today))
    due_day = due if calendar.is_working_day(due) else calendar.add_working_days(due, -1)
    candidates: list[tuple[date, ReminderKind]] = [(due_day, "due")]
    candidates += [(calendar.add_working_days(due, -n), "before") for n in days_before if n > 0]
    valid = [
        (day, kind)
        for day, kind in candidates
        if day <= today and (active_since is None or day > active_since)
    ]
    if not valid:
        return None
    nominal, kind = max(valid, key=lambda item: (item[0], item[1] == "due"))
    return Reminder(kind, nominal, due, calendar.working_days_between(today, due))


def review_reminder(
    review_due: date,
    today: date,
    calendar: WorkingCalendar,
    *,
    days_before: Iterable[int] = REVIEW_DAYS_BEFORE,
) -> Reminder | None:
    """The review-due warning to send today (60, 30, 10 working days ahead), or None.

    On the review day itself no warning is sent: the case opens instead.
    """
    if not calendar.is_working_day(today) or today >= review_due:
        return None
    dates = [calendar.add_working_days(review_due, -n) for n in days_before if n > 0]
    passed = [day for day in dates if day <= today]
    if not passed:
        return None
    return Reminder(
        "before", max(passed), review_due, calendar.working_days_between(today, review_due)
    )


def _when(reminder: Reminder, today: date, _: Translator) -> str:
    """The sentence about the deadline, as of today."""
    due = format_date(reminder.due)
    if reminder.kind == "overdue":
        return _("the deadline passed on {due}, overdue by {days}.").format(
            due=due, days=working_days_phrase(reminder.days, _)
        )
    if reminder.due == today:
        return _("the deadline is today, {due}.").format(due=due)
    if reminder.days <= 0:
        return _("the deadline is {due} (a day off): finish today.").format(due=due)
    return _("the deadline is {due}, {days} left.").format(
        due=due, days=working_days_phrase(reminder.days, _)
    )


def _headline(reminder: Reminder, _: Translator) -> str:
    if reminder.kind == "before":
        return _("⏰ Deadline reminder")
    if reminder.kind == "due":
        return _("⏰ Today is the last day of the deadline")
    return _("❗ The deadline is missed")


def step_reminder_text(
    *,
    case_number: str,
    process_name: str,
    step_id: str,
    step_title: str,
    produces: str,
    reminder: Reminder,
    today: date,
    copy_for_officer: bool = False,
    responsible: str | None = None,
    data_warning: str | None = None,
    _: Translator | None = None,
) -> str:
    """A reminder about a step of a case."""
    _ = speaking(_)
    lines = [
        _headline(reminder, _),
        _("Reengineering {number}: «{process}».").format(
            number=case_number, process=escape(process_name)
        ),
        _("Step {step} «{title}»: {when}").format(
            step=step_id, title=escape(step_title), when=_when(reminder, today, _)
        ),
        _("Expected: {produces}").format(produces=escape(produces)),
    ]
    if copy_for_officer:
        lines.insert(0, _("Copy to the client-centricity officer."))
        if responsible:
            lines.append(_("Responsible: {name}.").format(name=escape(responsible)))
    if data_warning:
        lines.append(data_warning)
    return "\n".join(lines)


def plan_item_reminder_text(
    *,
    case_number: str,
    process_name: str,
    number: str,
    measure: str,
    responsible: str,
    reminder: Reminder,
    today: date,
    copy_for_officer: bool = False,
    data_warning: str | None = None,
    _: Translator | None = None,
) -> str:
    """A reminder about a measure of the action plan."""
    _ = speaking(_)
    lines = [
        _headline(reminder, _),
        _("Action plan, reengineering {number}: «{process}».").format(
            number=case_number, process=escape(process_name)
        ),
        _("Measure {number} «{measure}»: {when}").format(
            number=number, measure=escape(measure), when=_when(reminder, today, _)
        ),
        _("Responsible executor: {name}.").format(name=escape(responsible)),
    ]
    if reminder.kind == "overdue":
        lines.append(
            _(
                "The process owner brings a failure or a risk of failure to the working group "
                "(clause 4.1 of the Order)."
            )
        )
    if copy_for_officer:
        lines.insert(0, _("Copy to the client-centricity officer."))
    if data_warning:
        lines.append(data_warning)
    return "\n".join(lines)


def review_reminder_text(
    *,
    process_name: str,
    review_due: date,
    last_reengineering: date | None,
    reminder: Reminder,
    _: Translator | None = None,
) -> str:
    """A warning that the three-year review of a process is coming."""
    _ = speaking(_)
    last = (
        _("Last reengineering: {day}.").format(day=format_date(last_reengineering))
        if last_reengineering
        else _("The process has not been reengineered before.")
    )
    return "\n".join(
        [
            _("📅 The review of the process is coming"),
            _("The process «{process}» is reengineered at least once in three years.").format(
                process=escape(process_name)
            ),
            last,
            _(
                "Review due: {day}, {days} left. On that day the reengineering opens automatically."
            ).format(day=format_date(review_due), days=working_days_phrase(reminder.days, _)),
        ]
    )


def step_line(
    step_id: str, step_title: str, reminder: Reminder, today: date, _: Translator | None = None
) -> str:
    """A step's reminder as one line of a digest (reengineering.digest)."""
    _ = speaking(_)
    return _("Step {step} «{title}»: {when}").format(
        step=step_id, title=escape(step_title), when=_when(reminder, today, _)
    )


def plan_item_line(
    number: str, measure: str, reminder: Reminder, today: date, _: Translator | None = None
) -> str:
    """A plan measure's reminder as one line of a digest."""
    _ = speaking(_)
    return _("Measure {number} «{measure}»: {when}").format(
        number=number, measure=escape(measure), when=_when(reminder, today, _)
    )


def review_line(process_name: str, reminder: Reminder, _: Translator | None = None) -> str:
    """A coming review as one line of a digest."""
    _ = speaking(_)
    return _("Review of «{process}» due {day}, {days} left.").format(
        process=escape(process_name),
        day=format_date(reminder.due),
        days=working_days_phrase(reminder.days, _),
    )
