"""Satisfaction dynamics: monthly mean, CSAT and n per process, read from the monthly rollup.

Per process only the questionnaire version with the latest data is shown, because a new
version starts a new series (seed 003 §2.1.8).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.dynamics_notes import MonthFacts, decline_note, other_versions, summary_notes
from analytics.indexes import IndexRow, latest_version, monthly_index, months_back
from analytics.report_collection import CollectionScope, collection_sheet
from analytics.report_common import (
    CellGuard,
    Heads,
    ReportError,
    ReportSummary,
    cell_of,
    check_min_cell,
    client_labels,
    difference,
    first_of_month,
    frame_of,
    info_sheet,
    month_label,
    path_of,
    questionnaires_of,
    report_head,
    write_sheets,
)
from analytics.report_kinds import REPORT_KINDS
from analytics.report_xlsx import COUNT_FORMAT, MEAN_FORMAT, SHARE_FORMAT, Output, Sheet
from analytics.scan import DeclineRules
from analytics.stats import MIN_INTERVAL_RESPONSES, RollupCell
from core.i18n import Translator
from core.periods import month_end
from core.russian import month_range_ru
from storage.models import ActivityDirection, ClientType, Process, Questionnaire, Response

# The title is looked up by name: a literal inside `_()` is what gettext extracts.
_TITLE = REPORT_KINDS["dynamics"]

CHANGE_FORMAT = "+0.00;-0.00;0.00"


@dataclass(frozen=True)
class _Columns:
    """The headers of the summary sheet."""

    month: str
    change: str
    low: str
    high: str
    note: str

    @classmethod
    def of(cls, _: Translator) -> _Columns:
        return cls(
            month=_("Month"),
            change=_("Change from the previous month"),
            low=_("95% CI: lower bound"),
            high=_("95% CI: upper bound"),
            note=_("Note"),
        )


@dataclass
class _Build:
    """What every process row reads, and the sheets' rows as they are filled."""

    translate: Translator
    window: list[date]
    rows_of: Mapping[int, list[IndexRow]]
    chosen: Mapping[int, int]
    questionnaires: Mapping[int, Questionnaire]
    respondents: Mapping[tuple[int, date], int]
    guard: CellGuard
    heads: Heads
    columns: _Columns
    rules: DeclineRules
    labels: list[str] = field(default_factory=list)
    means: list[dict[str, Any]] = field(default_factory=list)
    shares: list[dict[str, Any]] = field(default_factory=list)
    counts: list[dict[str, Any]] = field(default_factory=list)
    summary: list[dict[str, Any]] = field(default_factory=list)
    used: int = 0


async def satisfaction_dynamics(
    session: AsyncSession,
    out: Output,
    _: Translator,
    *,
    client_type: ClientType | None = None,
    until: date,
    months: int = 12,
    min_cell: int = 5,
    rules: DeclineRules | None = None,
) -> ReportSummary:
    """Monthly mean, CSAT and n per process over ``months`` months ending with ``until``'s.

    ``rules`` are the decline rules the scan uses (OTKLIK_DECLINE_*): a process whose series
    ends in a sustained decline says so in the summary's note (analytics.dynamics_notes).

    Figures come from the rollup (``monthly_index``), never from single responses. Each
    process follows one questionnaire version — the one with the latest data in the window —
    because answers of different versions are not comparable and must not be averaged.

    The sheet «Collection channels» splits each process's window by where people answered
    (report_collection). Internal cells need the number of distinct respondents, which the
    rollup does not keep.
    The daily limit allows one response per respondent, touchpoint (or service) and day, so
    a month with n < min_cell certainly has fewer than min_cell respondents and is hidden
    at once; only internal months with n ≥ min_cell are checked against the responses, in
    one grouped COUNT(DISTINCT respondent_key) query.
    """
    check_min_cell(min_cell, _)
    if months < 1:
        raise ReportError(_("The report must cover at least 1 month."))
    window = months_back(first_of_month(until), months)
    rows_of = await _rows_of(session, window, client_type)
    processes = await _processes(session, rows_of, client_type)
    chosen: dict[int, int] = {}
    for process_id, process_rows in rows_of.items():
        version = latest_version(process_rows)
        if version is not None:
            chosen[process_id] = version
    build = _Build(
        _,
        window,
        rows_of,
        chosen,
        await questionnaires_of(session),
        await _distinct_by_month(session, rows_of, chosen, min_cell),
        CellGuard(min_cell),
        Heads.of(_),
        _Columns.of(_),
        rules or DeclineRules(),
        labels=[month_label(m) for m in window],
    )
    for process, direction in processes:
        _add_process(build, process, direction)
    scope = CollectionScope(window, client_type, chosen, processes, build.questionnaires)
    sheets = _sheets(build, client_type)
    sheets.insert(-1, await collection_sheet(session, scope, build.guard, _))
    period = (window[0], month_end(window[-1]))
    await write_sheets(out, sheets, await report_head(session, _(_TITLE), period, _))
    return ReportSummary(
        kind="dynamics",
        title=REPORT_KINDS["dynamics"],
        path=path_of(out),
        sheets=tuple(s.name for s in sheets),
        rows=len(build.means),
        responses=build.used,
        suppressed=build.guard.hidden,
        period=period,
    )


async def _rows_of(
    session: AsyncSession, window: Sequence[date], client_type: ClientType | None
) -> dict[int, list[IndexRow]]:
    rows = await monthly_index(
        session,
        by=("process", "client_type"),
        client_type=client_type,
        since=window[0],
        until=window[-1],
    )
    rows_of: dict[int, list[IndexRow]] = defaultdict(list)
    for row in rows:
        if row.keys["process"] is not None:
            rows_of[int(row.keys["process"])].append(row)
    return rows_of


async def _processes(
    session: AsyncSession, rows_of: Mapping[int, list[IndexRow]], client_type: ClientType | None
) -> list[tuple[Process, str]]:
    """The active processes and any with answers in the window, with their direction's name."""
    query = (
        sa.select(Process, ActivityDirection.name)
        .join(ActivityDirection, ActivityDirection.id == Process.direction_id)
        .where(sa.or_(Process.active, Process.id.in_(list(rows_of))))
        .order_by(Process.code)
    )
    if client_type is not None:
        query = query.where(Process.client_type == client_type)
    return [(p, direction) for p, direction in (await session.execute(query))]


def _add_process(build: _Build, process: Process, direction: str) -> None:
    """One process's rows in the three month grids and the summary."""
    version_id = build.chosen.get(process.id)
    questionnaire = build.questionnaires.get(version_id) if version_id is not None else None
    all_rows = build.rows_of.get(process.id, [])
    process_rows = [r for r in all_rows if r.questionnaire_id == version_id]
    internal = any(r.keys["client_type"] == ClientType.INTERNAL for r in process_rows) or (
        not process_rows and process.client_type == ClientType.INTERNAL
    )
    heads, guard = build.heads, build.guard
    head = {
        heads.code: process.code,
        heads.name: process.name,
        heads.direction: direction,
        heads.clients: client_labels(build.translate)[process.client_type],
        heads.version: questionnaire.version if questionnaire else None,
    }
    mean_row, share_row, count_row = dict(head), dict(head), dict(head)
    cells: dict[date, RollupCell] = {}
    hidden: dict[date, bool] = {}
    for month, label in zip(build.window, build.labels, strict=True):
        cell = cell_of(r for r in process_rows if r.month == month)
        cells[month] = cell
        build.used += cell.n
        known = build.respondents.get((process.id, month), cell.n)
        people = cell.n if cell.n < guard.min_cell else known
        hidden[month] = guard.hides(internal, people)
        mean_row[label] = guard.show(cell.mean, hidden[month])
        share_row[label] = guard.show(cell.csat, hidden[month])
        count_row[label] = guard.show(cell.n if cell.n else None, hidden[month])
    build.means.append(mean_row)
    build.shares.append(share_row)
    build.counts.append(count_row)
    build.summary.append(_summary_row(build, head, cells, hidden, all_rows, version_id))


def _sheets(build: _Build, client_type: ClientType | None) -> list[Sheet]:
    _, heads, columns, labels = build.translate, build.heads, build.columns, build.labels
    ids = [heads.code, heads.name, heads.direction, heads.clients, heads.version]
    grid = [*ids, *labels]
    summary_columns = [
        *ids,
        columns.month,
        heads.mean,
        columns.change,
        "CSAT",
        heads.responses,
        columns.low,
        columns.high,
        columns.note,
    ]
    counts_formats = {label: COUNT_FORMAT for label in labels} | {heads.version: COUNT_FORMAT}
    summary_formats = {
        heads.mean: MEAN_FORMAT,
        columns.change: CHANGE_FORMAT,
        "CSAT": SHARE_FORMAT,
        heads.responses: COUNT_FORMAT,
        columns.low: MEAN_FORMAT,
        columns.high: MEAN_FORMAT,
    }
    return [
        Sheet(
            _("Satisfaction dynamics"),
            frame_of(build.means, grid),
            {label: MEAN_FORMAT for label in labels},
            freeze="B2",
        ),
        Sheet(
            "CSAT",
            frame_of(build.shares, grid),
            {label: SHARE_FORMAT for label in labels},
            freeze="B2",
        ),
        Sheet(heads.responses, frame_of(build.counts, grid), counts_formats, freeze="B2"),
        Sheet(
            _("Summary"),
            frame_of(build.summary, summary_columns),
            summary_formats,
            wrap=(columns.note,),
        ),
        info_sheet(_info(build, client_type), _),
    ]


def _info(build: _Build, client_type: ClientType | None) -> list[tuple[str, Any]]:
    _, window = build.translate, build.window
    clients = client_labels(_)[client_type] if client_type else _("all (clients)")
    return [
        (_("Report"), _(_TITLE)),
        (_("Period"), month_range_ru(window[0], window[-1])),
        (build.heads.clients, clients),
        (build.heads.responses, build.used),
        (
            _("Indicators"),
            _(
                "Mean score on the questionnaire's scale; CSAT is the share of scores 4–5 "
                "(the two highest points of the scale); 95% CI is the confidence interval of "
                "the mean within the scale, computed when a month has at least {minimum} "
                "responses."
            ).format(minimum=MIN_INTERVAL_RESPONSES),
        ),
        (
            _("Collection channels"),
            _(
                "Where people answered: Telegram, MAX or the web form (the sheet «Collection "
                "channels», over the whole period); not the same as the touchpoint's kind, "
                "digital or offline."
            ),
        ),
        (
            _("Questionnaire versions"),
            _(
                "Each process shows the questionnaire version with the most recent data; "
                "responses to other versions are not mixed with it."
            ),
        ),
        (
            _("Data protection"),
            _(
                "Values of internal clients' cells computed from fewer than {count} "
                "respondents are hidden («{marker}»)."
            ).format(count=build.guard.min_cell, marker=build.guard.marker),
        ),
    ]


async def _distinct_by_month(
    session: AsyncSession,
    rows_of: Mapping[int, Sequence[IndexRow]],
    chosen: Mapping[int, int],
    min_cell: int,
) -> dict[tuple[int, date], int]:
    """Distinct respondents of the internal months whose n alone cannot settle suppression."""
    wanted = {
        (pid, row.month)
        for pid, rows in rows_of.items()
        for row in rows
        if row.questionnaire_id == chosen.get(pid)
        and row.keys["client_type"] == ClientType.INTERNAL
        and row.n >= min_cell
    }
    if not wanted:
        return {}
    months = sorted({month for _pid, month in wanted})
    result = await session.execute(
        sa.select(
            Response.process_id,
            Response.questionnaire_id,
            Response.month,
            sa.func.count(sa.distinct(Response.respondent_key)),
        )
        .where(
            Response.client_type == ClientType.INTERNAL,
            Response.rating.is_not(None),
            Response.process_id.in_(sorted({pid for pid, _m in wanted})),
            Response.month >= months[0],
            Response.month <= months[-1],
        )
        .group_by(Response.process_id, Response.questionnaire_id, Response.month)
    )
    return {
        (int(pid), month): int(people)
        for pid, questionnaire_id, month, people in result
        if pid is not None and chosen.get(int(pid)) == questionnaire_id
    }


def _summary_row(
    build: _Build,
    head: Mapping[str, Any],
    cells: Mapping[date, RollupCell],
    hidden: Mapping[date, bool],
    all_rows: Sequence[IndexRow],
    version_id: int | None,
) -> dict[str, Any]:
    _, window, guard, columns = build.translate, build.window, build.guard, build.columns
    last = window[-1]
    cell = cells[last]
    hide = hidden[last]
    previous = cells.get(window[-2]) if len(window) > 1 else None
    hide_change = hide or (len(window) > 1 and hidden[window[-2]])
    change = difference(cell.mean, previous.mean if previous else None)
    questionnaire = build.questionnaires.get(version_id) if version_id is not None else None
    ci = cell.interval_95(questionnaire.scale_max if questionnaire else 5)
    other = other_versions(all_rows, version_id, build.questionnaires)
    facts = MonthFacts(
        month_label(last), cell, ci, hide, hide or hide_change, other, guard.min_cell
    )
    chosen = [r for r in all_rows if r.questionnaire_id == version_id]
    # an internal series with a hidden month tells no means: no decline note either
    decline = (
        None
        if any(hidden.values())
        else decline_note(chosen, questionnaire, window, build.rules, _)
    )
    notes = summary_notes(facts, decline, _)
    return {
        **head,
        columns.month: month_label(last),
        build.heads.mean: guard.show(cell.mean, hide),
        columns.change: guard.show(change, hide_change),
        "CSAT": guard.show(cell.csat, hide),
        build.heads.responses: guard.show(cell.n if cell.n else None, hide),
        columns.low: guard.show(ci[0] if ci else None, hide),
        columns.high: guard.show(ci[1] if ci else None, hide),
        columns.note: " ".join(notes) or None,
    }
