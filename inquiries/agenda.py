"""The internal survey on the working group's agenda (seed 004 §14).

«Результаты опросов фиксируются, анализируются, сравниваются с предыдущими результатами
опросов и обсуждаются на заседаниях рабочей группы»: once a month has closed, the officers
get, for each internal service, the month's mean satisfaction next to the previous survey's
(the latest earlier month with internal answers) and the change, as an item to put on the
working group's agenda; the «internal» report holds the full table. Figures of fewer than
`min_cell` respondents are hidden, as in the reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from html import escape

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from core.i18n import Translator
from core.speech import Speech
from storage.delivery_models import OutboxLane
from storage.models import ClientType, Process, Response
from storage.outbox import enqueue
from storage.recipients import officer_recipients

# (mean, answers, respondents) of one service in one month
Figure = tuple[float, int, int]


@dataclass(frozen=True)
class AgendaLine:
    service: str
    now: Figure | None
    before: Figure | None


async def _month_figures(session: AsyncSession, month: date) -> dict[int, Figure]:
    result = await session.execute(
        sa.select(
            Response.process_id,
            sa.func.avg(Response.rating),
            sa.func.count(),
            sa.func.count(sa.distinct(Response.respondent_key)),
        )
        .where(
            Response.client_type == ClientType.INTERNAL,
            Response.month == month,
            Response.rating.is_not(None),
            Response.process_id.is_not(None),
        )
        .group_by(Response.process_id)
    )
    return {pid: (float(mean), int(n), int(people)) for pid, mean, n, people in result if pid}


async def comparison(session: AsyncSession, month: date) -> tuple[date | None, list[AgendaLine]]:
    """Every internal service answered in `month`, next to the previous survey."""
    current = await _month_figures(session, month)
    if not current:
        return None, []
    # Imported here: analytics' report modules bring pandas, which the bot does not load
    # until a report is asked for (the bot's memory goal, bench/survey_throughput.py).
    from analytics.report_internal import previous_survey_month

    previous = await previous_survey_month(session, month)
    earlier = await _month_figures(session, previous) if previous else {}
    found = await session.execute(
        sa.select(Process.id, Process.name).where(Process.id.in_(current))
    )
    names: dict[int, str] = {pid: name for pid, name in found}
    lines = [
        AgendaLine(names.get(pid, ""), current[pid], earlier.get(pid))
        for pid in sorted(current, key=lambda pid: names.get(pid, ""))
    ]
    return previous, lines


def _mean(figure: Figure | None, min_cell: int) -> str:
    if figure is None:
        return "—"
    if figure[2] < min_cell:
        from analytics.report_common import suppressed_marker  # pandas: see above

        return escape(suppressed_marker(min_cell))
    return f"{figure[0]:.2f}"


def agenda_item(
    _: Translator, month: date, previous: date | None, lines: list[AgendaLine], min_cell: int
) -> Speech:
    """The officers' notice: the month against the previous survey, for the working group."""
    before = f"{previous:%m.%Y}" if previous else _("no earlier survey")
    text = [
        _(
            "For the agenda of the working group (clause 14 of the Procedure for interaction "
            "with the internal client): internal survey results for {month} compared with the "
            "previous survey ({previous})."
        ).format(month=f"{month:%m.%Y}", previous=before)
    ]
    for line in lines:
        now, was = _mean(line.now, min_cell), _mean(line.before, min_cell)
        change = "—"
        shown = line.now and line.before and min(line.now[2], line.before[2]) >= min_cell
        if shown and line.now and line.before:
            change = f"{line.now[0] - line.before[0]:+.2f}"
        text.append(
            _("• «{service}»: {now} (previous survey {before}, change {change}), n = {n}").format(
                service=escape(line.service),
                now=now,
                before=was,
                change=change,
                n=line.now[1] if line.now else 0,
            )
        )
    text.append(_("The full table: the internal services report in /stats."))
    return Speech("\n".join(text))


async def put_on_agenda(session: AsyncSession, month: date, *, min_cell: int, _: Translator) -> int:
    """Queue the agenda item for `month` to every officer, once; the number queued."""
    previous, lines = await comparison(session, month)
    if not lines:
        return 0
    notice = agenda_item(_, month, previous, lines, min_cell)
    queued = 0
    for to in await officer_recipients(session):
        queued += int(
            await enqueue(
                session,
                chat_id=to,
                text=notice.text,
                kind="internal_agenda",
                lane=OutboxLane.BULK,
                dedupe_key=f"internal-agenda:{month:%Y-%m}:{to}",
            )
        )
    return queued
