"""Excel reports for process owners, the officer and the working group.

Four reports, each an async function that reads the database, writes one .xlsx and
returns a :class:`ReportSummary`:

* :func:`satisfaction_dynamics` — monthly mean, CSAT and n per process, read from the
  monthly rollup; per process only the questionnaire version with the latest data is shown,
  because a new version starts a new series (seed 003 §2.1.8);
* :func:`pain_map` — difficulties by process stage and criticality, what went wrong and
  example comments (seed 003 §2.2.2–2.2.3);
* :func:`segment_profile` — the client segment profile of seed 003 §2.2 from the last two
  years of feedback, or a template for hypotheses when there is no data;
* :func:`internal_comparison` — internal-client survey results compared with the previous
  survey (seed 004 §14).

Protection of employees: any figure built from fewer than ``min_cell`` distinct
respondents of the internal audience is replaced by a marker (``<5``), so a small team's
answers cannot be traced to a person. Zero counts are shown: an empty cell names nobody.
External clients answer anonymously to the body and are not suppressed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.indexes import IndexRow, latest_version, monthly_index, months_back
from analytics.render import OUT, render
from analytics.report_kinds import REPORT_KINDS
from analytics.report_xlsx import (
    COUNT_FORMAT,
    MEAN_FORMAT,
    SHARE_FORMAT,
    Output,
    Sheet,
    write_workbook,
)
from analytics.stats import MIN_INTERVAL_RESPONSES, RollupCell
from core.periods import month_end
from core.russian import MONTHS_SHORT, month_range_ru, plural_ru
from storage.models import (
    ActivityDirection,
    ClientType,
    Department,
    Process,
    Questionnaire,
    Response,
    ResponseAnswer,
    Touchpoint,
    TouchpointKind,
)

__all__ = [
    "REPORT_KINDS",
    "ReportError",
    "ReportSummary",
    "find_process",
    "internal_comparison",
    "pain_map",
    "satisfaction_dynamics",
    "segment_profile",
    "suppressed_marker",
]


CLIENT_LABELS = {ClientType.EXTERNAL: "внешние", ClientType.INTERNAL: "внутренние"}
CRITICALITY_LABELS = {"low": "Низкая", "medium": "Средняя", "high": "Высокая"}
CHANNEL_LABELS = {TouchpointKind.DIGITAL.value: "Цифровой", TouchpointKind.OFFLINE.value: "Офлайн"}
INTERNAL_QUESTIONS = {
    "satisfaction": "Удовлетворённость",
    "speed": "Скорость решения",
    "clarity": "Понятность ответа",
}
NO_SEGMENT = "Не указан"
NO_STAGE = "Этап не указан"
ALL_SEGMENTS = "Все сегменты"
ALL_STAGES = "Все этапы"
COMMENTS_PER_STAGE = 5
COMMENT_LIMIT = 300

# column headers shared by several sheets
CODE, NAME, DIRECTION, CLIENTS, VERSION = (
    "Код процесса",
    "Процесс",
    "Направление деятельности",
    "Клиенты",
    "Версия анкеты",
)
INFO_KEY, INFO_VALUE = "Показатель", "Значение"


class ReportError(ValueError):
    """A report that cannot be built as asked; the message is for people, in Russian."""


@dataclass(frozen=True)
class ReportSummary:
    """What a report wrote: enough for the CLI line or the bot's caption."""

    kind: str
    title: str
    path: Path | None
    sheets: tuple[str, ...]
    rows: int
    responses: int
    suppressed: int
    period: tuple[date, date]
    notes: tuple[str, ...] = ()

    def describe(self, note: str = "") -> str:
        """One Russian line for the command line: which months, how many answers, where."""
        line = f"{self.title} за {month_range_ru(*self.period)}{note}: "
        line += f"{self.period[0]:%d.%m.%Y}–{self.period[1]:%d.%m.%Y}, ответов {self.responses}"
        if self.suppressed:
            line += f", скрыто малых ячеек {self.suppressed}"
        if self.path is not None:
            line += f"; файл {self.path}"
        return line + "."


def suppressed_marker(min_cell: int) -> str:
    """The text written instead of a figure built from too few internal respondents."""
    return f"<{min_cell}"


@dataclass
class _Guard:
    """Decides suppression of internal cells and counts how many figures it hid."""

    min_cell: int
    hidden: int = 0

    @property
    def marker(self) -> str:
        return suppressed_marker(self.min_cell)

    def hides(self, internal: bool, respondents: int) -> bool:
        return internal and 0 < respondents < self.min_cell

    def show(self, value: Any, hidden: bool) -> Any:
        if not hidden or value is None:
            return value
        self.hidden += 1
        return self.marker


# ----------------------------------------------------------------------------- helpers


def _check_min_cell(min_cell: int) -> None:
    if min_cell < 1:
        raise ReportError("Порог скрытия малых ячеек (min_cell) должен быть не меньше 1.")


def _check_period(since: date, until: date) -> None:
    if since > until:
        raise ReportError(f"Начало периода {since:%d.%m.%Y} позже его окончания {until:%d.%m.%Y}.")


def _first_of_month(day: date) -> date:
    return date(day.year, day.month, 1)


def _month_label(month: date) -> str:
    """Column header of a month, e.g. «янв 2025»."""
    return f"{MONTHS_SHORT[month.month - 1]} {month.year}"


def _path_of(out: Output) -> Path | None:
    return Path(out) if isinstance(out, str | Path) else None


async def _write(out: Output, sheets: Sequence[Sheet]) -> None:
    """Write in the drawing worker process: a big workbook must not stall the bot's loop."""
    await render(write_workbook, OUT, sheets, out=out)


def _frame(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> pd.DataFrame:
    """A table with the given column order even when there are no rows."""
    return pd.DataFrame([[row.get(c) for c in columns] for row in rows], columns=list(columns))


def _info_sheet(pairs: Sequence[tuple[str, Any]]) -> Sheet:
    frame = pd.DataFrame(
        [[key, value] for key, value in pairs], columns=[INFO_KEY, INFO_VALUE], dtype=object
    )
    return Sheet("Сведения", frame, wrap=(INFO_VALUE,))


def _difference(current: float | None, previous: float | None) -> float | None:
    if current is None or previous is None:
        return None
    return current - previous


async def find_process(session: AsyncSession, code: str) -> Process:
    """The process with this registry code, for `otklik report KIND --process CODE`."""
    process = await session.scalar(sa.select(Process).where(Process.code == code))
    if process is None:
        raise ReportError(f"Процесс с кодом «{code}» не найден в реестре.")
    return process


async def _process(session: AsyncSession, process_id: int) -> tuple[Process, str]:
    row = (
        await session.execute(
            sa.select(Process, ActivityDirection.name)
            .join(ActivityDirection, ActivityDirection.id == Process.direction_id)
            .where(Process.id == process_id)
        )
    ).first()
    if row is None:
        raise ReportError(f"Процесс № {process_id} не найден в реестре.")
    return row[0], row[1]


async def _questionnaires(session: AsyncSession) -> dict[int, Questionnaire]:
    return {q.id: q for q in await session.scalars(sa.select(Questionnaire))}


def _option_labels(questionnaires: Iterable[Questionnaire], question_id: str) -> dict[str, str]:
    """Russian labels of a question's options, newest version first, in questionnaire order."""
    labels: dict[str, str] = {}
    for questionnaire in sorted(questionnaires, key=lambda q: -q.version):
        for question in questionnaire.definition.get("questions", []):
            if question.get("id") != question_id:
                continue
            for option in question.get("options", []):
                labels.setdefault(str(option["id"]), str(option["ru"]))
    return labels


def _version_text(questionnaire: Questionnaire | None) -> str:
    if questionnaire is None:
        return "нет данных"
    return f"«{questionnaire.title}», версия {questionnaire.version}"


def _cell_of(rows: Iterable[IndexRow]) -> RollupCell:
    cell = RollupCell()
    for row in rows:
        cell = cell.merge(row.cell)
    return cell


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
    _check_min_cell(min_cell)
    if months < 1:
        raise ReportError("Число месяцев отчёта должно быть не меньше 1.")
    window = months_back(_first_of_month(until), months)
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
    questionnaires = await _questionnaires(session)

    chosen: dict[int, int] = {}
    for process_id, process_rows in rows_of.items():
        version = latest_version(process_rows)
        if version is not None:
            chosen[process_id] = version
    respondents = await _distinct_by_month(session, rows_of, chosen, min_cell)

    guard = _Guard(min_cell)
    labels = [_month_label(m) for m in window]
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
            cell = _cell_of(r for r in process_rows if r.month == month)
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
            _frame(means, columns),
            {label: MEAN_FORMAT for label in labels},
            freeze="B2",
        ),
        Sheet(
            "CSAT", _frame(shares, columns), {label: SHARE_FORMAT for label in labels}, freeze="B2"
        ),
        Sheet("Число ответов", _frame(counts, columns), counts_formats, freeze="B2"),
        Sheet(
            "Сводка",
            _frame(summary, summary_columns),
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
        _info_sheet(
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
    await _write(out, sheets)
    return ReportSummary(
        kind="dynamics",
        title=REPORT_KINDS["dynamics"],
        path=_path_of(out),
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
    guard: _Guard,
    all_rows: Sequence[IndexRow],
    version_id: int | None,
    questionnaires: Mapping[int, Questionnaire],
) -> dict[str, Any]:
    last = window[-1]
    cell = cells[last]
    hide = hidden[last]
    previous = cells.get(window[-2]) if len(window) > 1 else None
    hide_change = hide or (len(window) > 1 and hidden[window[-2]])
    change = _difference(cell.mean, previous.mean if previous else None)
    questionnaire = questionnaires.get(version_id) if version_id is not None else None
    ci = cell.interval_95(questionnaire.scale_max if questionnaire else 5)
    notes: list[str] = []
    if cell.n == 0:
        notes.append(f"Нет ответов за {_month_label(last)}.")
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
        "Месяц": _month_label(last),
        "Средняя оценка": guard.show(cell.mean, hide),
        "Изменение к предыдущему месяцу": guard.show(change, hide_change),
        "CSAT": guard.show(cell.csat, hide),
        "Число ответов": guard.show(cell.n if cell.n else None, hide),
        "95% ДИ: нижняя граница": guard.show(ci[0] if ci else None, hide),
        "95% ДИ: верхняя граница": guard.show(ci[1] if ci else None, hide),
        "Примечание": " ".join(notes) or None,
    }


# ----------------------------------------------------------------------------- answers


@dataclass
class _Answered:
    """One response with the answers the pain map reads."""

    key: str
    internal: bool
    day: date
    submitted: datetime
    order: int
    rating: int | None
    questionnaire_id: int
    stage: str | None = None
    criticality: str | None = None
    problems: list[str] = field(default_factory=list)
    comment: str | None = None


async def _answered(
    session: AsyncSession, process_id: int, since: date, until: date
) -> list[_Answered]:
    responses = await session.execute(
        sa.select(
            Response.id,
            Response.respondent_key,
            Response.client_type,
            Response.local_day,
            Response.submitted_at,
            Response.rating,
            Response.questionnaire_id,
        ).where(
            Response.process_id == process_id,
            Response.local_day >= since,
            Response.local_day <= until,
        )
    )
    by_id = {
        rid: _Answered(key, kind == ClientType.INTERNAL, day, at, rid, rating, qid)
        for rid, key, kind, day, at, rating, qid in responses
    }
    if not by_id:
        return []
    answers = await session.execute(
        sa.select(
            ResponseAnswer.response_id,
            ResponseAnswer.question,
            ResponseAnswer.value_text,
            ResponseAnswer.choices,
        )
        .join(Response, Response.id == ResponseAnswer.response_id)
        .where(
            Response.process_id == process_id,
            Response.local_day >= since,
            Response.local_day <= until,
            ResponseAnswer.question.in_(["stage", "criticality", "problems", "comment"]),
        )
    )
    for rid, question, text, choices in answers:
        item = by_id.get(rid)
        if item is None:
            continue
        if question == "stage":
            item.stage = text
        elif question == "criticality":
            item.criticality = text
        elif question == "problems":
            item.problems = [str(c) for c in choices or []]
        elif question == "comment":
            item.comment = text
    return list(by_id.values())


def _cut(text: str, limit: int = COMMENT_LIMIT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# ----------------------------------------------------------------------------- 2. pain map


async def pain_map(
    session: AsyncSession,
    out: Output,
    *,
    process_id: int,
    since: date,
    until: date,
    min_cell: int = 5,
) -> ReportSummary:
    """Difficulties by stage and criticality, what went wrong, and example comments.

    The period is made of whole months: from the first day of ``since``'s month to the last
    day of ``until``'s, so a month passed as its first day is counted to its end.

    Rows follow the stages of the process in registry order, then any other stage named in
    answers (a stage renamed since), so the map reads along the client's journey. Counts are
    responses; "Всего" counts every response that named the stage, also without criticality.
    """
    _check_min_cell(min_cell)
    since, until = _first_of_month(since), month_end(until)
    _check_period(since, until)
    process, direction = await _process(session, process_id)
    items = await _answered(session, process_id, since, until)
    questionnaires = await _questionnaires(session)
    used = [q for q in questionnaires.values() if q.id in {i.questionnaire_id for i in items}]
    problem_labels = _option_labels(used or questionnaires.values(), "problems")
    for item in items:
        for problem in item.problems:
            problem_labels.setdefault(problem, problem)

    named = [i for i in items if i.stage]
    stages = list(dict.fromkeys(process.stages or []))
    stages += sorted({str(i.stage) for i in named} - set(stages))
    guard = _Guard(min_cell)

    def count(group: Sequence[_Answered]) -> Any:
        people = len({i.key for i in group})
        return guard.show(len(group), guard.hides(any(i.internal for i in group), people))

    pains: list[dict[str, Any]] = []
    for stage in stages:
        at_stage = [i for i in named if i.stage == stage]
        row: dict[str, Any] = {"Этап": stage}
        for level, label in CRITICALITY_LABELS.items():
            row[label] = count([i for i in at_stage if i.criticality == level])
        row["Всего"] = count(at_stage)
        pains.append(row)

    problem_rows: list[dict[str, Any]] = []
    with_problems = [i for i in items if i.problems]
    groups: list[tuple[str, list[_Answered]]] = [
        (stage, [i for i in with_problems if i.stage == stage]) for stage in stages
    ]
    unstaged = [i for i in with_problems if not i.stage]
    if unstaged:
        groups.append((NO_STAGE, unstaged))
    groups.append((ALL_STAGES, with_problems))
    for stage, group in groups:
        row = {"Этап": stage, "Ответов с указанием проблем": count(group)}
        for problem, label in problem_labels.items():
            row[label] = count([i for i in group if problem in i.problems])
        problem_rows.append(row)

    comments: list[dict[str, Any]] = []
    for stage in stages:
        said = sorted(
            (i for i in named if i.stage == stage and i.comment),
            key=lambda i: (i.submitted, i.order),
            reverse=True,
        )
        people = len({i.key for i in said})
        if guard.hides(any(i.internal for i in said), people):
            guard.hidden += 1
            comments.append({"Этап": stage, "Комментарий": f"скрыто (менее {min_cell} ответов)"})
            continue
        for item in said[:COMMENTS_PER_STAGE]:
            comments.append(
                {
                    "Этап": stage,
                    "Дата": item.day,
                    "Оценка": item.rating,
                    "Критичность": CRITICALITY_LABELS.get(item.criticality or "", None),
                    "Комментарий": _cut(str(item.comment)),
                }
            )

    pain_columns = ["Этап", *CRITICALITY_LABELS.values(), "Всего"]
    problem_columns = ["Этап", "Ответов с указанием проблем", *problem_labels.values()]
    sheets = [
        Sheet(
            "Карта болей", _frame(pains, pain_columns), {c: COUNT_FORMAT for c in pain_columns[1:]}
        ),
        Sheet(
            "Что пошло не так",
            _frame(problem_rows, problem_columns),
            {c: COUNT_FORMAT for c in problem_columns[1:]},
        ),
        Sheet(
            "Комментарии",
            _frame(comments, ["Этап", "Дата", "Оценка", "Критичность", "Комментарий"]),
            {"Оценка": COUNT_FORMAT},
            wrap=("Комментарий",),
        ),
        _info_sheet(
            [
                ("Отчёт", REPORT_KINDS["pain-map"]),
                ("Процесс", f"{process.code} — {process.name}"),
                ("Направление деятельности", direction),
                ("Начало периода", since),
                ("Конец периода", until),
                ("Число ответов", len(items)),
                ("Ответов с указанием этапа", len(named)),
                (
                    "Как читать",
                    "Число ответов, в которых клиент назвал этап, где возникла "
                    "трудность, и её критичность; «Всего» — все ответы с этим этапом. "
                    f"Комментарии — до {COMMENTS_PER_STAGE} последних по каждому этапу.",
                ),
            ]
        ),
    ]
    await _write(out, sheets)
    return ReportSummary(
        kind="pain-map",
        title=REPORT_KINDS["pain-map"],
        path=_path_of(out),
        sheets=tuple(s.name for s in sheets),
        rows=len(pains),
        responses=len(items),
        suppressed=guard.hidden,
        period=(since, until),
    )


# ----------------------------------------------------------------------------- 3. segments


async def _distinct(
    session: AsyncSession,
    columns: Sequence[Any],
    *conditions: sa.ColumnElement[bool],
) -> dict[tuple[Any, ...], int]:
    """COUNT(DISTINCT respondent_key) of internal rated responses per group of ``columns``."""
    result = await session.execute(
        sa.select(*columns, sa.func.count(sa.distinct(Response.respondent_key)))
        .where(
            Response.client_type == ClientType.INTERNAL, Response.rating.is_not(None), *conditions
        )
        .group_by(*columns)
    )
    return {tuple(row[:-1]): int(row[-1]) for row in result}


async def segment_profile(
    session: AsyncSession,
    out: Output,
    *,
    process_id: int,
    until: date,
    min_cell: int = 5,
) -> ReportSummary:
    """The client segment profile of a process from the feedback of the last 24 months.

    Seed 003 §2.2 asks for segmentation attributes, journey specifics and preferred channels
    from two years of data, or hypotheses when the process did not run. Counts and channel
    shares use every response of the period; the mean score and CSAT only the questionnaire
    version with the latest data, since versions are not averaged together.
    """
    _check_min_cell(min_cell)
    process, direction = await _process(session, process_id)
    window = months_back(_first_of_month(until), 24)
    until = month_end(until)
    rows = await monthly_index(
        session,
        by=("segment", "channel", "touchpoint", "client_type"),
        process_ids=[process_id],
        since=window[0],
        until=window[-1],
    )
    questionnaires = await _questionnaires(session)
    version_id = latest_version(rows)
    questionnaire = questionnaires.get(version_id) if version_id is not None else None
    segment_labels = _option_labels(
        [q for q in questionnaires.values() if q.audience == process.client_type]
        or questionnaires.values(),
        "segment",
    )
    internal = any(r.keys["client_type"] == ClientType.INTERNAL for r in rows)
    people: dict[str, dict[tuple[Any, ...], int]] = {}
    if internal:
        scope = (
            Response.process_id == process_id,
            Response.month >= window[0],
            Response.month <= window[-1],
        )
        people = {
            "segment": await _distinct(session, [Response.segment], *scope),
            "version": await _distinct(
                session, [Response.segment], Response.questionnaire_id == version_id, *scope
            ),
            "channel": await _distinct(session, [Response.segment, Response.channel], *scope),
            "touchpoint": await _distinct(
                session, [Response.segment, Response.touchpoint_id], *scope
            ),
            "all": await _distinct(session, [], *scope),
            "all_version": await _distinct(
                session, [], Response.questionnaire_id == version_id, *scope
            ),
            "all_channel": await _distinct(session, [Response.channel], *scope),
            "all_touchpoint": await _distinct(session, [Response.touchpoint_id], *scope),
        }

    guard = _Guard(min_cell)

    def hide(kind: str, key: tuple[Any, ...]) -> bool:
        return internal and guard.hides(True, people.get(kind, {}).get(key, 0))

    seen = {r.keys["segment"] for r in rows}
    order: list[str | None] = [s for s in segment_labels if s in seen]
    order += sorted(str(s) for s in seen if s is not None and s not in segment_labels)
    if None in seen:
        order.append(None)
    if not rows:
        order = list(segment_labels)  # an empty template to fill with hypotheses

    total = sum(r.n for r in rows)
    touchpoints = await _touchpoints(session, process_id, {r.keys["touchpoint"] for r in rows})
    profile: list[dict[str, Any]] = []
    channels: list[dict[str, Any]] = []
    groups: list[tuple[str, list[IndexRow], tuple[Any, ...], str, str]] = [
        (
            segment_labels.get(s, s) if s is not None else NO_SEGMENT,
            [r for r in rows if r.keys["segment"] == s],
            (s,),
            "segment",
            "version",
        )
        for s in order
    ]
    if rows:
        groups.append((ALL_SEGMENTS, list(rows), (), "all", "all_version"))
    for label, group, key, kind, version_kind in groups:
        every = _cell_of(group)
        scored = _cell_of(r for r in group if r.questionnaire_id == version_id)
        hidden = hide(kind, key)
        hidden_score = hidden or hide(version_kind, key)
        profile.append(
            {
                "Сегмент": label,
                "Число ответов": guard.show(every.n, hidden),
                "Доля ответов": guard.show(every.n / total if total else None, hidden),
                "Средняя оценка": guard.show(scored.mean, hidden_score),
                "CSAT": guard.show(scored.csat, hidden_score),
            }
        )
        channels.append(_channel_row(label, group, key, touchpoints, guard, hide, key == ()))

    profile_columns = ["Сегмент", "Число ответов", "Доля ответов", "Средняя оценка", "CSAT"]
    digital, offline = CHANNEL_LABELS["digital"], CHANNEL_LABELS["offline"]
    channel_columns = [
        "Сегмент",
        f"{digital}: ответов",
        f"{offline}: ответов",
        f"{digital}: доля",
        f"{offline}: доля",
        "Предпочтительный канал",
        *touchpoints.values(),
    ]
    period = month_range_ru(window[0], window[-1])
    if rows:
        source = (
            "Профиль сформирован по данным обратной связи клиентов процесса (ответы на анкеты "
            f"в точках взаимодействия) за два года: {period} (п. 2.2 Порядка проведения "
            "реинжиниринга)."
        )
    else:
        source = (
            f"За два года ({period}) данных обратной связи по процессу нет. Профиль клиентского "
            "сегмента формируется на основании гипотез о потенциальном клиенте, в интересах "
            "которого осуществляется процесс (п. 2.2 Порядка): сформулируйте гипотезы о "
            "признаках сегментов, особенностях клиентского пути и предпочтительных каналах "
            "взаимодействия."
        )
    info = [
        ("Отчёт", REPORT_KINDS["segments"]),
        ("Процесс", f"{process.code} — {process.name}"),
        ("Направление деятельности", direction),
        ("Клиенты", CLIENT_LABELS[process.client_type]),
        ("Период", period),
        ("Начало периода", window[0]),
        ("Конец периода", until),
        ("Число ответов", total),
        ("Основание", source),
        ("Признак сегментации", "Категория клиента: ответ на вопрос анкеты «Кем вы обратились?»."),
        (
            "Предпочтительные каналы",
            "Доли ответов, полученных в цифровых и офлайн-точках взаимодействия (лист «Каналы»).",
        ),
        (
            "Средняя оценка и CSAT",
            f"По анкете: {_version_text(questionnaire)}; CSAT — доля "
            "оценок двух высших баллов шкалы.",
        ),
    ]
    if internal:
        info.append(
            (
                "Защита данных",
                f"Значения, рассчитанные менее чем по {min_cell} "
                f"респондентам-сотрудникам, скрыты («{guard.marker}»).",
            )
        )
    sheets = [
        Sheet(
            "Профиль сегментов",
            _frame(profile, profile_columns),
            {
                "Число ответов": COUNT_FORMAT,
                "Доля ответов": SHARE_FORMAT,
                "Средняя оценка": MEAN_FORMAT,
                "CSAT": SHARE_FORMAT,
            },
        ),
        Sheet(
            "Каналы",
            _frame(channels, channel_columns),
            {c: COUNT_FORMAT for c in channel_columns if c.endswith("ответов")}
            | {c: SHARE_FORMAT for c in channel_columns if c.endswith("доля")}
            | {c: COUNT_FORMAT for c in touchpoints.values()},
        ),
        _info_sheet(info),
    ]
    await _write(out, sheets)
    return ReportSummary(
        kind="segments",
        title=REPORT_KINDS["segments"],
        path=_path_of(out),
        sheets=tuple(s.name for s in sheets),
        rows=len(profile),
        responses=total,
        suppressed=guard.hidden,
        period=(window[0], until),
        notes=(source,),
    )


async def _touchpoints(session: AsyncSession, process_id: int, seen: set[Any]) -> dict[int, str]:
    """Column header per touchpoint: the process's active ones and any with answers."""
    found = await session.scalars(
        sa.select(Touchpoint)
        .where(
            sa.or_(
                sa.and_(Touchpoint.process_id == process_id, Touchpoint.active),
                Touchpoint.id.in_([t for t in seen if t is not None]),
            )
        )
        .order_by(Touchpoint.code)
    )
    return {t.id: f"{t.name} ({t.code})" for t in found}


def _channel_row(
    label: str,
    group: Sequence[IndexRow],
    key: tuple[Any, ...],
    touchpoints: Mapping[int, str],
    guard: _Guard,
    hide: Callable[[str, tuple[Any, ...]], bool],
    everyone: bool,
) -> dict[str, Any]:
    """Preferred channels of one segment: digital vs offline counts, shares and touchpoints."""
    digital, offline = CHANNEL_LABELS["digital"], CHANNEL_LABELS["offline"]
    n = {
        channel: sum(r.n for r in group if r.keys["channel"] == channel)
        for channel in CHANNEL_LABELS
    }
    both = sum(n.values())
    row: dict[str, Any] = {"Сегмент": label}
    hidden_any = False
    for channel, name in CHANNEL_LABELS.items():
        hidden = hide("all_channel" if everyone else "channel", (*key, channel))
        hidden_any = hidden_any or hidden
        row[f"{name}: ответов"] = guard.show(n[channel], hidden)
        row[f"{name}: доля"] = guard.show(n[channel] / both if both else None, hidden)
    if both and not hidden_any:
        if n["digital"] == n["offline"]:
            row["Предпочтительный канал"] = "Поровну"
        else:
            row["Предпочтительный канал"] = digital if n["digital"] > n["offline"] else offline
    for touchpoint_id, name in touchpoints.items():
        count = sum(r.n for r in group if r.keys["touchpoint"] == touchpoint_id)
        hidden = hide("all_touchpoint" if everyone else "touchpoint", (*key, touchpoint_id))
        row[name] = guard.show(count, hidden)
    return row


# ----------------------------------------------------------------------------- 4. internal


async def internal_comparison(
    session: AsyncSession,
    out: Output,
    *,
    period: tuple[date, date],
    previous: tuple[date, date],
    department_id: int | None = None,
    min_cell: int = 5,
) -> ReportSummary:
    """Internal-service survey results of a period next to the previous survey (seed 004 §14).

    Per internal service and question (satisfaction, speed, clarity): mean and n in each
    period and the change. Values are read from the answers, grouped by questionnaire
    version, so a new version is compared only with itself. ``department_id`` narrows to
    the employees of one department (the respondents' department, not the service's).
    Periods are inclusive ranges of local days.
    """
    _check_min_cell(min_cell)
    _check_period(*period)
    _check_period(*previous)
    department = await session.get(Department, department_id) if department_id else None
    if department_id is not None and department is None:
        raise ReportError(f"Подразделение № {department_id} не найдено.")

    async def figures(span: tuple[date, date]) -> dict[tuple[int, int, str], tuple[int, int, int]]:
        conditions = [
            Response.client_type == ClientType.INTERNAL,
            Response.local_day >= span[0],
            Response.local_day <= span[1],
            Response.process_id.is_not(None),
            ResponseAnswer.question.in_(list(INTERNAL_QUESTIONS)),
            ResponseAnswer.value_int.is_not(None),
        ]
        if department_id is not None:
            conditions.append(Response.department_id == department_id)
        result = await session.execute(
            sa.select(
                Response.process_id,
                Response.questionnaire_id,
                ResponseAnswer.question,
                sa.func.count(),
                sa.func.sum(ResponseAnswer.value_int),
                sa.func.count(sa.distinct(Response.respondent_key)),
            )
            .join(Response, Response.id == ResponseAnswer.response_id)
            .where(*conditions)
            .group_by(Response.process_id, Response.questionnaire_id, ResponseAnswer.question)
        )
        return {
            (pid, qid, question): (n, int(total or 0), people)
            for pid, qid, question, n, total, people in result
            if pid is not None
        }

    current, earlier = await figures(period), await figures(previous)
    with_data = {pid for pid, _q, _k in current | earlier}
    processes = await session.execute(
        sa.select(Process, ActivityDirection.name)
        .join(ActivityDirection, ActivityDirection.id == Process.direction_id)
        .where(
            sa.or_(
                sa.and_(Process.client_type == ClientType.INTERNAL, Process.active),
                Process.id.in_(sorted(with_data)),
            )
        )
        .order_by(Process.code)
    )
    questionnaires = await _questionnaires(session)
    guard = _Guard(min_cell)
    rows: list[dict[str, Any]] = []
    responses = 0
    columns = [
        CODE,
        "Внутренний сервис",
        DIRECTION,
        VERSION,
        "Вопрос",
        "Средняя оценка: текущий период",
        "Число ответов: текущий период",
        "Средняя оценка: предыдущий период",
        "Число ответов: предыдущий период",
        "Изменение средней оценки",
    ]
    for process, direction in processes:
        found = {qid for pid, qid, _k in current | earlier if pid == process.id}
        versions: list[int | None] = [
            *sorted(found, key=lambda qid: (questionnaires[qid].version, qid))
        ]
        for version_id in versions or [None]:  # a service without answers still gets its rows
            for question, label in INTERNAL_QUESTIONS.items():
                now = before = None
                if version_id is not None:
                    now = current.get((process.id, version_id, question))
                    before = earlier.get((process.id, version_id, question))
                    if now is None and before is None:
                        continue
                if question == "satisfaction" and now:
                    responses += now[0]
                hide_now = now is not None and guard.hides(True, now[2])
                hide_before = before is not None and guard.hides(True, before[2])
                mean_now = now[1] / now[0] if now else None
                mean_before = before[1] / before[0] if before else None
                questionnaire = questionnaires.get(version_id) if version_id else None
                rows.append(
                    {
                        CODE: process.code,
                        "Внутренний сервис": process.name,
                        DIRECTION: direction,
                        VERSION: questionnaire.version if questionnaire else None,
                        "Вопрос": label,
                        columns[5]: guard.show(mean_now, hide_now),
                        columns[6]: guard.show(now[0] if now else None, hide_now),
                        columns[7]: guard.show(mean_before, hide_before),
                        columns[8]: guard.show(before[0] if before else None, hide_before),
                        columns[9]: guard.show(
                            _difference(mean_now, mean_before), hide_now or hide_before
                        ),
                    }
                )

    def span_text(span: tuple[date, date]) -> str:
        return f"{span[0]:%d.%m.%Y} – {span[1]:%d.%m.%Y}"

    sheets = [
        Sheet(
            "Сравнение с предыдущим",
            _frame(rows, columns),
            {
                VERSION: COUNT_FORMAT,
                columns[5]: MEAN_FORMAT,
                columns[6]: COUNT_FORMAT,
                columns[7]: MEAN_FORMAT,
                columns[8]: COUNT_FORMAT,
                columns[9]: "+0.00;-0.00;0.00",
            },
        ),
        _info_sheet(
            [
                ("Отчёт", REPORT_KINDS["internal"]),
                ("Текущий период", span_text(period)),
                ("Предыдущий период", span_text(previous)),
                ("Подразделение", department.name if department else "все подразделения"),
                ("Число ответов в текущем периоде", responses),
                (
                    "Основание",
                    "Результаты опросов внутренних клиентов фиксируются, "
                    "анализируются и сравниваются с предыдущими результатами опросов (п. 14 "
                    "Порядка взаимодействия с внутренним клиентом).",
                ),
                (
                    "Защита данных",
                    f"Значения, рассчитанные менее чем по {min_cell} "
                    f"респондентам, скрыты («{guard.marker}»), чтобы нельзя было узнать "
                    "ответы отдельного сотрудника.",
                ),
            ]
        ),
    ]
    await _write(out, sheets)
    return ReportSummary(
        kind="internal",
        title=REPORT_KINDS["internal"],
        path=_path_of(out),
        sheets=tuple(s.name for s in sheets),
        rows=len(rows),
        responses=responses,
        suppressed=guard.hidden,
        period=period,
    )
