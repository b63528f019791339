"""The lines that say what /stats shows: its month, its scope, the answers given in time."""

from __future__ import annotations

from datetime import date

from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _

from analytics.summary import ProcessSummary
from core.clock import Clock
from core.settings import Settings
from outreach.timeliness import answered_in_time_in_month
from storage.uow import UnitOfWork
from surveys.actors import Actor

__all__ = ["in_time_text", "month_name", "months_name", "scope_text"]


def month_name(month: date, *, year: bool = True) -> str:
    """«ноябрь 2026» / «November 2026» in the reader's language."""
    from babel.dates import format_date

    pattern = "LLLL y" if year else "LLLL"
    return str(format_date(month, pattern, locale=get_i18n().current_locale))


def months_name(first: date, last: date) -> str:
    """A span of whole months, e.g. «сентябрь – ноябрь 2026», «декабрь 2025 – ноябрь 2026»."""
    if (first.year, first.month) == (last.year, last.month):
        return month_name(first)
    return f"{month_name(first, year=first.year != last.year)} – {month_name(last)}"


def scope_text(actor: Actor, summaries: list[ProcessSummary], month: date) -> str:
    """What /stats shows: its month and whose processes (#17.3 «/stats names its month and
    its scope»)."""
    internal = sum(1 for s in summaries if s.internal)
    external = len(summaries) - internal
    title = _("<b>Statistics for {month}</b>").format(month=month_name(month))
    if actor.is_officer:
        scope = _(
            "All processes of the registry: {external} services for citizens and "
            "{internal} internal services for employees."
        ).format(external=external, internal=internal)
    else:
        scope = _("Your processes as their owner: {count}.").format(count=len(summaries))
    return f"{title}\n{scope}"


async def in_time_text(
    uow: UnitOfWork, process_ids: list[int], month: date, settings: Settings, clock: Clock
) -> str:
    """The share of low-score feedback answered in time in the month (README's promise)."""
    async with uow.reading() as session:
        share = await answered_in_time_in_month(session, process_ids, month, settings.tz, clock())
    if not share.due:
        return _("In {month} no low-score feedback waited for an answer.").format(
            month=month_name(month)
        )
    return _(
        "Low-score feedback answered in time in {month}: {in_time} of {due} ({share})."
    ).format(
        month=month_name(month),
        in_time=share.in_time,
        due=share.due,
        share=f"{share.in_time / share.due:.0%}",
    )
