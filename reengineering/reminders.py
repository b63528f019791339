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


def working_days_phrase(count: int) -> str:
    """«1 рабочий день», «3 рабочих дня», «5 рабочих дней» (Russian plural rules)."""
    n = abs(count)
    if n % 10 == 1 and n % 100 != 11:
        return f"{count} рабочий день"
    if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14):
        return f"{count} рабочих дня"
    return f"{count} рабочих дней"


def due_phrase(due: date, start: date | None, calendar: WorkingCalendar) -> str:
    """«до 12.05.2025 (5 рабочих дней)»: the deadline and its length from the clock start."""
    if start is None or start >= due:
        return f"до {format_date(due)}"
    return (
        f"до {format_date(due)} ({working_days_phrase(calendar.working_days_between(start, due))})"
    )


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


def _when(reminder: Reminder, today: date) -> str:
    """The sentence about the deadline, as of today."""
    due = format_date(reminder.due)
    if reminder.kind == "overdue":
        return f"срок истёк {due}, просрочка {working_days_phrase(reminder.days)}."
    if reminder.due == today:
        return f"срок истекает сегодня, {due}."
    if reminder.days <= 0:
        return f"срок истекает {due} (нерабочий день): завершите сегодня."
    return f"срок до {due}, осталось {working_days_phrase(reminder.days)}."


def _headline(reminder: Reminder) -> str:
    return {
        "before": "⏰ Напоминание о сроке",
        "due": "⏰ Сегодня последний день срока",
        "overdue": "❗ Срок нарушен",
    }[reminder.kind]


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
) -> str:
    """A reminder about a step of a case."""
    lines = [
        _headline(reminder),
        f"Реинжиниринг {case_number}: «{escape(process_name)}».",
        f"Шаг {step_id} «{escape(step_title)}»: {_when(reminder, today)}",
        f"Ожидается: {escape(produces)}",
    ]
    if copy_for_officer:
        lines.insert(0, "Копия ответственному по клиентоцентричности.")
        if responsible:
            lines.append(f"Ответственный: {escape(responsible)}.")
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
) -> str:
    """A reminder about a measure of the action plan."""
    lines = [
        _headline(reminder),
        f"План мероприятий, реинжиниринг {case_number}: «{escape(process_name)}».",
        f"Мероприятие {number} «{escape(measure)}»: {_when(reminder, today)}",
        f"Ответственный исполнитель: {escape(responsible)}.",
    ]
    if reminder.kind == "overdue":
        lines.append(
            "О неисполнении или риске неисполнения ответственный за процесс выносит вопрос "
            "на рабочую группу (п. 4.1 Порядка)."
        )
    if copy_for_officer:
        lines.insert(0, "Копия ответственному по клиентоцентричности.")
    if data_warning:
        lines.append(data_warning)
    return "\n".join(lines)


def review_reminder_text(
    *,
    process_name: str,
    review_due: date,
    last_reengineering: date | None,
    reminder: Reminder,
) -> str:
    """A warning that the three-year review of a process is coming."""
    last = (
        f"Последний реинжиниринг: {format_date(last_reengineering)}."
        if last_reengineering
        else "Реинжиниринг процесса ранее не проводился."
    )
    return "\n".join(
        [
            "📅 Приближается срок пересмотра процесса",
            f"Процесс «{escape(process_name)}» подлежит реинжинирингу не реже одного раза "
            "в три года.",
            last,
            f"Срок пересмотра: {format_date(review_due)}, осталось "
            f"{working_days_phrase(reminder.days)}. В этот день реинжиниринг будет открыт "
            "автоматически.",
        ]
    )
