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
    COMMENT_LIMIT,
    COMMENTS_PER_STAGE,
    CellGuard,
    ReportSummary,
    check_min_cell,
    check_period,
    criticality_labels,
    first_of_month,
    frame_of,
    info_sheet,
    option_labels,
    path_of,
    process_of,
    questionnaires_of,
    report_head,
    write_sheets,
)
from analytics.report_kinds import REPORT_KINDS
from analytics.report_xlsx import COUNT_FORMAT, Output, Sheet
from core.i18n import Translator
from core.periods import month_end
from storage.models import ClientType, Process, Response, ResponseAnswer

# The title is looked up by name: a literal inside `_()` is what gettext extracts.
_TITLE = REPORT_KINDS["pain-map"]


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


@dataclass(frozen=True)
class _Columns:
    stage: str
    total: str
    with_problems: str
    day: str
    score: str
    criticality: str
    comment: str

    @classmethod
    def of(cls, _: Translator) -> _Columns:
        return cls(
            stage=_("Stage"),
            total=_("Total"),
            with_problems=_("Responses naming problems"),
            day=_("Date"),
            score=_("Score"),
            criticality=_("Criticality"),
            comment=_("Comment"),
        )


@dataclass
class _Map:
    """The answers of the period, the stages in journey order and the small-cell guard."""

    translate: Translator
    items: list[_Answered]
    named: list[_Answered]
    stages: list[str]
    problem_labels: dict[str, str]
    guard: CellGuard
    columns: _Columns

    @property
    def criticality(self) -> dict[str, str]:
        return criticality_labels(self.translate)

    def count(self, group: Sequence[_Answered]) -> Any:
        people = len({i.key for i in group})
        hidden = self.guard.hides(any(i.internal for i in group), people)
        return self.guard.show(len(group), hidden)


async def pain_map(
    session: AsyncSession,
    out: Output,
    _: Translator,
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
    responses; the total counts every response that named the stage, also without criticality.
    """
    check_min_cell(min_cell, _)
    since, until = first_of_month(since), month_end(until)
    check_period(since, until, _)
    process, direction = await process_of(session, process_id, _)
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
    found = _Map(_, items, named, stages, problem_labels, CellGuard(min_cell), _Columns.of(_))
    pains = _pains(found)
    sheets = [
        *_sheets(found, pains, _problems(found), _comments(found)),
        info_sheet(_info(found, process, direction, since, until), _),
    ]
    head = await report_head(session, _(_TITLE), (since, until), _, process=process.name)
    await write_sheets(out, sheets, head)
    return ReportSummary(
        kind="pain-map",
        title=REPORT_KINDS["pain-map"],
        path=path_of(out),
        sheets=tuple(s.name for s in sheets),
        rows=len(pains),
        responses=len(items),
        suppressed=found.guard.hidden,
        period=(since, until),
    )


def _pains(found: _Map) -> list[dict[str, Any]]:
    """Per stage: the responses at each criticality and in all."""
    columns, pains = found.columns, []
    for stage in found.stages:
        at_stage = [i for i in found.named if i.stage == stage]
        row: dict[str, Any] = {columns.stage: stage}
        for level, label in found.criticality.items():
            row[label] = found.count([i for i in at_stage if i.criticality == level])
        row[columns.total] = found.count(at_stage)
        pains.append(row)
    return pains


def _problems(found: _Map) -> list[dict[str, Any]]:
    """Per stage, then unstaged and all: how often each problem was named."""
    _, columns = found.translate, found.columns
    with_problems = [i for i in found.items if i.problems]
    groups: list[tuple[str, list[_Answered]]] = [
        (stage, [i for i in with_problems if i.stage == stage]) for stage in found.stages
    ]
    unstaged = [i for i in with_problems if not i.stage]
    if unstaged:
        groups.append((_("Stage not specified"), unstaged))
    groups.append((_("All stages"), with_problems))
    rows: list[dict[str, Any]] = []
    for stage, group in groups:
        row = {columns.stage: stage, columns.with_problems: found.count(group)}
        for problem, label in found.problem_labels.items():
            row[label] = found.count([i for i in group if problem in i.problems])
        rows.append(row)
    return rows


def _comments(found: _Map) -> list[dict[str, Any]]:
    """The latest comments of each stage, or one line saying they are hidden."""
    _, columns, guard = found.translate, found.columns, found.guard
    comments: list[dict[str, Any]] = []
    for stage in found.stages:
        said = sorted(
            (i for i in found.named if i.stage == stage and i.comment),
            key=lambda i: (i.submitted, i.order),
            reverse=True,
        )
        people = len({i.key for i in said})
        if guard.hides(any(i.internal for i in said), people):
            guard.hidden += 1
            hidden = _("hidden (fewer than {count} responses)").format(count=guard.min_cell)
            comments.append({columns.stage: stage, columns.comment: hidden})
            continue
        for item in said[:COMMENTS_PER_STAGE]:
            comments.append(
                {
                    columns.stage: stage,
                    columns.day: item.day,
                    columns.score: item.rating,
                    columns.criticality: found.criticality.get(item.criticality or "", None),
                    columns.comment: _cut(str(item.comment)),
                }
            )
    return comments


def _sheets(
    found: _Map,
    pains: list[dict[str, Any]],
    problems: list[dict[str, Any]],
    comments: list[dict[str, Any]],
) -> list[Sheet]:
    _, columns = found.translate, found.columns
    pain_columns = [columns.stage, *found.criticality.values(), columns.total]
    problem_columns = [columns.stage, columns.with_problems, *found.problem_labels.values()]
    comment_columns = [
        columns.stage,
        columns.day,
        columns.score,
        columns.criticality,
        columns.comment,
    ]
    return [
        Sheet(
            _("Pain map"),
            frame_of(pains, pain_columns),
            {c: COUNT_FORMAT for c in pain_columns[1:]},
        ),
        Sheet(
            _("What went wrong"),
            frame_of(problems, problem_columns),
            {c: COUNT_FORMAT for c in problem_columns[1:]},
        ),
        Sheet(
            _("Comments"),
            frame_of(comments, comment_columns),
            {columns.score: COUNT_FORMAT},
            wrap=(columns.comment,),
        ),
    ]


def _info(
    found: _Map, process: Process, direction: str, since: date, until: date
) -> list[tuple[str, Any]]:
    _ = found.translate
    return [
        (_("Report"), _(_TITLE)),
        (_("Process"), process.name),
        (_("Line of activity"), direction),
        (_("Start of the period"), since),
        (_("End of the period"), until),
        (_("Number of responses"), len(found.items)),
        (_("Responses naming a stage"), len(found.named)),
        (
            _("How to read"),
            _(
                "The number of responses in which the client named the stage where a difficulty "
                "arose, and its criticality; «Total» is every response naming this stage. "
                "Comments: up to {count} latest for each stage."
            ).format(count=COMMENTS_PER_STAGE),
        ),
    ]
