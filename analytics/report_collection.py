"""The dynamics report's sheet «Collection channels»: where people answered, per process.

The collection channel (Telegram, MAX, the web form: `responses.collected_via`) is not the
touchpoint's kind (digital or offline). An analyst reads from it whether a channel brings
answers and whether its scores differ. Like the rest of the report, each process follows one
questionnaire version over the window, and small internal cells are hidden (report_common):
a channel with fewer than ``min_cell`` distinct respondent employees, and, when that leaves a
single hidden channel of a process, its smallest neighbour too, since the process's total
(sheet «Number of responses») would give the hidden figure away by subtraction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.indexes import IndexRow, monthly_index
from analytics.report_common import CellGuard, Heads, cell_of, client_labels, frame_of
from analytics.report_xlsx import COUNT_FORMAT, MEAN_FORMAT, SHARE_FORMAT, Sheet
from analytics.stats import RollupCell
from analytics.wording import collection_labels, collection_order
from core.i18n import Translator
from storage.models import ClientType, Process, Questionnaire, Response


@dataclass(frozen=True)
class CollectionScope:
    """What the sheet covers: the report's window, audience and each process's version."""

    window: Sequence[date]
    client_type: ClientType | None
    chosen: Mapping[int, int]
    processes: Sequence[tuple[Process, str]]
    questionnaires: Mapping[int, Questionnaire]

    def version(self, process_id: int) -> int | None:
        """The number of the questionnaire version the process's figures follow."""
        questionnaire = self.questionnaires.get(self.chosen.get(process_id, 0))
        return questionnaire.version if questionnaire else None


async def collection_sheet(
    session: AsyncSession, scope: CollectionScope, guard: CellGuard, _: Translator
) -> Sheet:
    """One row per process and collection channel with answers, then the totals per channel."""
    cells = await _cells(session, scope)
    people = await _people(session, scope, cells, guard.min_cell)
    heads = Heads.of(_)
    labels = collection_labels(_)
    channel, share = _("Collection channel"), _("Share of responses")
    rows: list[dict[str, Any]] = []
    totals: dict[str, RollupCell] = {}
    hidden_totals: dict[str, bool] = {}
    for process, direction in scope.processes:
        found = cells.get(process.id, {})
        internal = process.client_type == ClientType.INTERNAL
        hidden = _hidden(found, internal, people.get(process.id, {}), guard)
        every = sum(cell.n for cell in found.values())
        for via in sorted(found, key=collection_order):
            cell = found[via]
            totals[via] = totals.get(via, RollupCell()).merge(cell)
            hidden_totals[via] = hidden_totals.get(via, False) or hidden[via]
            rows.append(
                {
                    heads.code: process.code,
                    heads.name: process.name,
                    heads.direction: direction,
                    heads.clients: client_labels(_)[process.client_type],
                    heads.version: scope.version(process.id),
                    channel: labels.get(via, via),
                    heads.responses: guard.show(cell.n, hidden[via]),
                    share: guard.show(cell.n / every, hidden[via]),
                    heads.mean: guard.show(cell.mean, hidden[via]),
                    "CSAT": guard.show(cell.csat, hidden[via]),
                }
            )
    rows += _total_rows(totals, _complement(totals, hidden_totals), guard, heads, _)
    columns = [
        heads.code,
        heads.name,
        heads.direction,
        heads.clients,
        heads.version,
        channel,
        heads.responses,
        share,
        heads.mean,
        "CSAT",
    ]
    formats = {
        heads.version: COUNT_FORMAT,
        heads.responses: COUNT_FORMAT,
        share: SHARE_FORMAT,
        heads.mean: MEAN_FORMAT,
        "CSAT": SHARE_FORMAT,
    }
    return Sheet(_("Collection channels"), frame_of(rows, columns), formats)


def _total_rows(
    totals: Mapping[str, RollupCell],
    hidden: Mapping[str, bool],
    guard: CellGuard,
    heads: Heads,
    _: Translator,
) -> list[dict[str, Any]]:
    """All processes together per channel: counts, shares and CSAT (scales may differ, so
    no mean score)."""
    labels = collection_labels(_)
    every = sum(cell.n for cell in totals.values())
    return [
        {
            heads.name: _("All processes"),
            _("Collection channel"): labels.get(via, via),
            heads.responses: guard.show(totals[via].n, hidden[via]),
            _("Share of responses"): guard.show(totals[via].n / every, hidden[via]),
            "CSAT": guard.show(totals[via].csat, hidden[via]),
        }
        for via in sorted(totals, key=collection_order)
    ]


def _hidden(
    cells: Mapping[str, RollupCell], internal: bool, people: Mapping[str, int], guard: CellGuard
) -> dict[str, bool]:
    """Which channels of one process are hidden: too few respondents, plus a complement."""
    if not internal:
        return {via: False for via in cells}
    # n < min_cell means fewer respondents than that; otherwise the distinct count decides.
    hidden = {
        via: guard.hides(True, cell.n if cell.n < guard.min_cell else people.get(via, cell.n))
        for via, cell in cells.items()
    }
    return _complement(cells, hidden)


def _complement(cells: Mapping[str, RollupCell], hidden: Mapping[str, bool]) -> dict[str, bool]:
    """A lone hidden channel is not left to subtraction from the total: the smallest shown
    channel is hidden with it."""
    result = dict(hidden)
    shown = [via for via in cells if not result[via] and cells[via].n]
    if sum(result.values()) == 1 and shown:
        result[min(shown, key=lambda via: (cells[via].n, collection_order(via)))] = True
    return result


async def _cells(session: AsyncSession, scope: CollectionScope) -> dict[int, dict[str, RollupCell]]:
    """The window's sums per process (its chosen version) and collection channel."""
    rows = await monthly_index(
        session,
        by=("process", "collected_via"),
        client_type=scope.client_type,
        since=scope.window[0],
        until=scope.window[-1],
    )
    grouped: dict[int, dict[str, list[IndexRow]]] = {}
    for row in rows:
        process_id = row.keys["process"]
        if process_id is None or scope.chosen.get(int(process_id)) != row.questionnaire_id:
            continue
        grouped.setdefault(int(process_id), {}).setdefault(
            str(row.keys["collected_via"]), []
        ).append(row)
    return {
        pid: {via: cell_of(found) for via, found in channels.items()}
        for pid, channels in grouped.items()
    }


async def _people(
    session: AsyncSession,
    scope: CollectionScope,
    cells: Mapping[int, Mapping[str, RollupCell]],
    min_cell: int,
) -> dict[int, dict[str, int]]:
    """Distinct respondents of the internal cells whose n alone cannot settle suppression."""
    internal = {p.id for p, _d in scope.processes if p.client_type == ClientType.INTERNAL}
    wanted = [
        pid
        for pid, channels in cells.items()
        if pid in internal and any(cell.n >= min_cell for cell in channels.values())
    ]
    if not wanted:
        return {}
    result = await session.execute(
        sa.select(
            Response.process_id,
            Response.questionnaire_id,
            Response.collected_via,
            sa.func.count(sa.distinct(Response.respondent_key)),
        )
        .where(
            Response.client_type == ClientType.INTERNAL,
            Response.rating.is_not(None),
            Response.process_id.in_(wanted),
            Response.month >= scope.window[0],
            Response.month <= scope.window[-1],
        )
        .group_by(Response.process_id, Response.questionnaire_id, Response.collected_via)
    )
    people: dict[int, dict[str, int]] = {}
    for pid, questionnaire_id, via, count in result:
        if pid is not None and scope.chosen.get(int(pid)) == questionnaire_id:
            people.setdefault(int(pid), {})[str(via)] = int(count)
    return people
