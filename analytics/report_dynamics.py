"""Satisfaction dynamics: monthly mean, CSAT and n per process, read from the monthly rollup.

Per process only the questionnaire version with the latest data is shown, because a new
version starts a new series (seed 003 §2.1.8).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.indexes import IndexRow, latest_version, monthly_index, months_back
from analytics.report_common import (
    CLIENT_LABELS,
    CLIENTS,
    CODE,
    DIRECTION,
    NAME,
    VERSION,
    CellGuard,
    ReportError,
    ReportSummary,
    cell_of,
    check_min_cell,
    difference,
    first_of_month,
    frame_of,
    info_sheet,
    month_label,
    path_of,
    questionnaires_of,
    write_sheets,
)
from analytics.report_kinds import REPORT_KINDS
from analytics.report_xlsx import (
    COUNT_FORMAT,
    MEAN_FORMAT,
    SHARE_FORMAT,
    Output,
    Sheet,
)
from analytics.stats import MIN_INTERVAL_RESPONSES, RollupCell
from core.periods import month_end
from core.russian import month_range_ru, plural_ru
from storage.models import (
    ActivityDirection,
    ClientType,
    Process,
    Questionnaire,
    Response,
)

# ----------------------------------------------------------------------------- 1. dynamics


async def satisfaction_dynamics(
    session: AsyncSession,
    out: Output,
    *,
    client_type: ClientType | None = None,
    until: date,
    months: int = 12,
    min_cell: int = 5,
) -> ReportSummary:
    """Monthly mean, CSAT and n per process over ``months`` months ending with ``until``'s.

    Figures come from the rollup (``monthly_index``), never from single responses. Each
    process follows one questionnaire version — the one with the latest data in the window —
    because answers of different versions are not comparable and must not be averaged.

    Internal cells need the number of distinct respondents, which the rollup does not keep.
    The daily limit allows one response per respondent, touchpoint (or service) and day, so
    a month with n < min_cell certainly has fewer than min_cell respondents and is hidden
    at once; only internal months with n ≥ min_cell are checked against the responses, in
    one grouped COUNT(DISTINCT respondent_key) query.
    """
    check_min_cell(min_cell)
    if months < 1:
        raise ReportError("Число месяцев отчёта должно быть не меньше 1.")
    window = months_back(first_of_month(until), months)
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

    query = (
        sa.select(Process, ActivityDirection.name)
        .join(ActivityDirection, ActivityDirection.id == Process.direction_id)
        .where(sa.or_(Process.active, Process.id.in_(list(rows_of))))
        .order_by(Process.code)
    )
    if client_type is not None:
        query = query.where(Process.client_type == client_type)
    processes = [(p, direction) for p, direction in (await session.execute(query))]
    questionnaires = await questionnaires_of(session)

    chosen: dict[int, int] = {}
    for process_id, process_rows in rows_of.items():
        version = latest_version(process_rows)
        if version is not None:
            chosen[process_id] = version
    respondents = await _distinct_by_month(session, rows_of, chosen, min_cell)

    guard = CellGuard(min_cell)
    labels = [month_label(m) for m in window]
    means: list[dict[str, Any]] = []
    shares: list[dict[str, Any]] = []
    counts: list[dict[str, Any]] = []
    summary: list[dict[str, Any]] = []
    used = 0
    for process, direction in processes:
        version_id = chosen.get(process.id)
        questionnaire = questionnaires.get(version_id) if version_id is not None else None
        process_rows = [r for r in rows_of.get(process.id, []) if r.questionnaire_id == version_id]
        internal = any(r.keys["client_type"] == ClientType.INTERNAL for r in process_rows) or (
            not process_rows and process.client_type == ClientType.INTERNAL
        )
        head = {
            CODE: process.code,
            NAME: process.name,
            DIRECTION: direction,
            CLIENTS: CLIENT_LABELS[process.client_type],
            VERSION: questionnaire.version if questionnaire else None,
        }
        mean_row, share_row, count_row = dict(head), dict(head), dict(head)
        cells: dict[date, RollupCell] = {}
        hidden: dict[date, bool] = {}
        for month, label in zip(window, labels, strict=True):
            cell = cell_of(r for r in process_rows if r.month == month)
            cells[month] = cell
            used += cell.n
            people = cell.n if cell.n < min_cell else respondents.get((process.id, month), cell.n)
            hidden[month] = guard.hides(internal, people)
            mean_row[label] = guard.show(cell.mean, hidden[month])
            share_row[label] = guard.show(cell.csat, hidden[month])
            count_row[label] = guard.show(cell.n if cell.n else None, hidden[month])
        means.append(mean_row)
        shares.append(share_row)
        counts.append(count_row)
        summary.append(
            _summary_row(
                head,
                window,
                cells,
                hidden,
                guard,
                rows_of.get(process.id, []),
                version_id,
                questionnaires,
            )
        )

    ids = [CODE, NAME, DIRECTION, CLIENTS, VERSION]
    columns = [*ids, *labels]
    summary_columns = [
        *ids,
        "Месяц",
        "Средняя оценка",
        "Изменение к предыдущему месяцу",
        "CSAT",
        "Число ответов",
        "95% ДИ: нижняя граница",
        "95% ДИ: верхняя граница",
        "Примечание",
    ]
    counts_formats = {label: COUNT_FORMAT for label in labels} | {VERSION: COUNT_FORMAT}
    sheets = [
        Sheet(
            "Динамика удовлетворённости",
            frame_of(means, columns),
            {label: MEAN_FORMAT for label in labels},
            freeze="B2",
        ),
        Sheet(
            "CSAT",
            frame_of(shares, columns),
            {label: SHARE_FORMAT for label in labels},
            freeze="B2",
        ),
        Sheet("Число ответов", frame_of(counts, columns), counts_formats, freeze="B2"),
        Sheet(
            "Сводка",
            frame_of(summary, summary_columns),
            {
                "Средняя оценка": MEAN_FORMAT,
                "Изменение к предыдущему месяцу": "+0.00;-0.00;0.00",
                "CSAT": SHARE_FORMAT,
                "Число ответов": COUNT_FORMAT,
                "95% ДИ: нижняя граница": MEAN_FORMAT,
                "95% ДИ: верхняя граница": MEAN_FORMAT,
            },
            wrap=("Примечание",),
        ),
        info_sheet(
            [
                ("Отчёт", REPORT_KINDS["dynamics"]),
                ("Период", month_range_ru(window[0], window[-1])),
                ("Клиенты", CLIENT_LABELS[client_type] if client_type else "все"),
                ("Число ответов", used),
                (
                    "Показатели",
                    "Средняя оценка по шкале анкеты; CSAT — доля оценок 4–5 "
                    "(двух высших баллов шкалы); 95% ДИ — доверительный интервал средней "
                    "в пределах шкалы, рассчитывается при числе ответов за месяц не меньше "
                    f"{MIN_INTERVAL_RESPONSES}.",
                ),
                (
                    "Версии анкет",
                    "Для каждого процесса показана версия анкеты с самыми "
                    "свежими данными; ответы по другим версиям не смешиваются с ней.",
                ),
                (
                    "Защита данных",
                    f"Значения ячеек внутренних клиентов, рассчитанные менее "
                    f"чем по {min_cell} респондентам, скрыты («{guard.marker}»).",
                ),
            ]
        ),
    ]
    await write_sheets(out, sheets)
    return ReportSummary(
        kind="dynamics",
        title=REPORT_KINDS["dynamics"],
        path=path_of(out),
        sheets=tuple(s.name for s in sheets),
        rows=len(means),
        responses=used,
        suppressed=guard.hidden,
        period=(window[0], month_end(window[-1])),
    )


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
    head: Mapping[str, Any],
    window: Sequence[date],
    cells: Mapping[date, RollupCell],
    hidden: Mapping[date, bool],
    guard: CellGuard,
    all_rows: Sequence[IndexRow],
    version_id: int | None,
    questionnaires: Mapping[int, Questionnaire],
) -> dict[str, Any]:
    last = window[-1]
    cell = cells[last]
    hide = hidden[last]
    previous = cells.get(window[-2]) if len(window) > 1 else None
    hide_change = hide or (len(window) > 1 and hidden[window[-2]])
    change = difference(cell.mean, previous.mean if previous else None)
    questionnaire = questionnaires.get(version_id) if version_id is not None else None
    ci = cell.interval_95(questionnaire.scale_max if questionnaire else 5)
    notes: list[str] = []
    if cell.n == 0:
        notes.append(f"Нет ответов за {month_label(last)}.")
    elif ci is None:
        answers = plural_ru(cell.n, "ответ", "ответа", "ответов")
        count = "" if hide else f"{cell.n} {answers}, "  # a hidden cell's n stays hidden
        notes.append(
            f"Мало ответов для доверительного интервала: {count}"
            f"нужно не меньше {MIN_INTERVAL_RESPONSES}."
        )
    other = sorted(
        {
            questionnaires[r.questionnaire_id].version
            for r in all_rows
            if r.questionnaire_id != version_id and r.questionnaire_id in questionnaires
        }
    )
    if other:
        listed = ", ".join(str(v) for v in other)
        notes.append(f"Ответы по другой версии анкеты ({listed}) не включены: ряды не смешиваются.")
    if hide or hide_change:
        notes.append(f"Скрыто: менее {guard.min_cell} респондентов.")
    return {
        **head,
        "Месяц": month_label(last),
        "Средняя оценка": guard.show(cell.mean, hide),
        "Изменение к предыдущему месяцу": guard.show(change, hide_change),
        "CSAT": guard.show(cell.csat, hide),
        "Число ответов": guard.show(cell.n if cell.n else None, hide),
        "95% ДИ: нижняя граница": guard.show(ci[0] if ci else None, hide),
        "95% ДИ: верхняя граница": guard.show(ci[1] if ci else None, hide),
        "Примечание": " ".join(notes) or None,
    }
