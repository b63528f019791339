"""When an internal client's request is due (seed 004 §9–10).

§10(3): «ответ на письменное обращение … предоставляется в письменной форме не позднее 30
дней с даты поступления обращения» — thirty calendar days (the seed says «дней», not
«рабочих дней», where the same Порядок says «рабочего дня» when it means one), counted from
the day of receipt; when the thirtieth day is not a working day, the term ends on the next
working day (the general rule of art. 193 of the Civil Code).

§9(3–4): an oral request is answered «в момент обращения» or, when it needs more work,
«до конца рабочего дня»: the day of receipt, or the next working day when it arrives on a
day off.
"""

from __future__ import annotations

from datetime import date, timedelta

from core.calendar import WorkingCalendar, default_calendar
from storage.inquiries_models import RequestForm

WRITTEN_DAYS = 30


def due_on(form: RequestForm, received_on: date, calendar: WorkingCalendar | None = None) -> date:
    """The last day to answer a request of `form` received on `received_on`."""
    days = calendar or default_calendar()
    if form is RequestForm.ORAL:
        return days.add_working_days(received_on, 0)
    return days.add_working_days(received_on + timedelta(days=WRITTEN_DAYS), 0)


def remind_on(form: RequestForm, due: date, calendar: WorkingCalendar | None = None) -> date:
    """The day the owner is reminded: three working days before a written request is due,
    the due day itself for an oral one."""
    if form is RequestForm.ORAL:
        return due
    return (calendar or default_calendar()).add_working_days(due, -3)
