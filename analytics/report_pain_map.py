"""The pain map: difficulties by process stage and criticality, what went wrong and example
comments (seed 003 §2.2.2–2.2.3)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.report_common import (
    ALL_STAGES,
    COMMENT_LIMIT,
    COMMENTS_PER_STAGE,
    CRITICALITY_LABELS,
    NO_STAGE,
    CellGuard,
    ReportSummary,
    check_min_cell,
    check_period,
    first_of_month,
    frame_of,
    info_sheet,
    option_labels,
    path_of,
    process_of,
    questionnaires_of,
    write_sheets,
)
from analytics.report_kinds import REPORT_KINDS
from analytics.report_xlsx import (
    COUNT_FORMAT,
    Output,
    Sheet,
)
from core.periods import month_end
from storage.models import (
    ClientType,
    Response,
    ResponseAnswer,
)

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
    check_min_cell(min_cell)
    since, until = first_of_month(since), month_end(until)
    check_period(since, until)
    process, direction = await process_of(session, process_id)
    items = await _answered(session, process_id, since, until)
    questionnaires = await questionnaires_of(session)
    used = [q for q in questionnaires.values() if q.id in {i.questionnaire_id for i in items}]
    problem_labels = option_labels(used or questionnaires.values(), "problems")
    for item in items:
        for problem in item.problems:
            problem_labels.setdefault(problem, problem)

    named = [i for i in items if i.stage]
    stages = list(dict.fromkeys(process.stages or []))
    stages += sorted({str(i.stage) for i in named} - set(stages))
    guard = CellGuard(min_cell)

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
            "Карта болей",
            frame_of(pains, pain_columns),
            {c: COUNT_FORMAT for c in pain_columns[1:]},
        ),
        Sheet(
            "Что пошло не так",
            frame_of(problem_rows, problem_columns),
            {c: COUNT_FORMAT for c in problem_columns[1:]},
        ),
        Sheet(
            "Комментарии",
            frame_of(comments, ["Этап", "Дата", "Оценка", "Критичность", "Комментарий"]),
            {"Оценка": COUNT_FORMAT},
            wrap=("Комментарий",),
        ),
        info_sheet(
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
    await write_sheets(out, sheets)
    return ReportSummary(
        kind="pain-map",
        title=REPORT_KINDS["pain-map"],
        path=path_of(out),
        sheets=tuple(s.name for s in sheets),
        rows=len(pains),
        responses=len(items),
        suppressed=guard.hidden,
        period=(since, until),
    )
