"""Internal-client survey results compared with the previous survey (seed 004 §14)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.report_common import (
    INTERNAL_QUESTION_IDS,
    CellGuard,
    ReportError,
    ReportSummary,
    check_min_cell,
    check_period,
    difference,
    frame_of,
    info_sheet,
    internal_questions,
    path_of,
    questionnaires_of,
    report_head,
    write_sheets,
)
from analytics.report_kinds import REPORT_KINDS
from analytics.report_xlsx import COUNT_FORMAT, MEAN_FORMAT, Output, Sheet
from core.i18n import Translator
from storage.models import (
    ActivityDirection,
    ClientType,
    Department,
    Process,
    Questionnaire,
    Response,
    ResponseAnswer,
)

# The title is looked up by name: a literal inside `_()` is what gettext extracts.
_TITLE = REPORT_KINDS["internal"]

CHANGE_FORMAT = "+0.00;-0.00;0.00"

# (process, questionnaire, question) → (answers, sum of scores, distinct respondents)
Figures = dict[tuple[int, int, str], tuple[int, int, int]]


@dataclass(frozen=True)
class _Columns:
    code: str
    service: str
    direction: str
    version: str
    question: str
    mean_now: str
    n_now: str
    mean_before: str
    n_before: str
    change: str

    @classmethod
    def of(cls, _: Translator) -> _Columns:
        return cls(
            code=_("Process code"),
            service=_("Internal service"),
            direction=_("Line of activity"),
            version=_("Questionnaire version"),
            question=_("Question"),
            mean_now=_("Mean score: current period"),
            n_now=_("Number of responses: current period"),
            mean_before=_("Mean score: previous period"),
            n_before=_("Number of responses: previous period"),
            change=_("Change of the mean score"),
        )

    def ordered(self) -> list[str]:
        return list(vars(self).values())


@dataclass
class _Comparison:
    """Both periods' figures, the questionnaires and the guard every row reads."""

    translate: Translator
    current: Figures
    earlier: Figures
    questionnaires: Mapping[int, Questionnaire]
    guard: CellGuard
    columns: _Columns
    responses: int = 0


async def internal_comparison(
    session: AsyncSession,
    out: Output,
    _: Translator,
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
    check_min_cell(min_cell, _)
    check_period(*period, _)
    check_period(*previous, _)
    department = await session.get(Department, department_id) if department_id else None
    if department_id is not None and department is None:
        raise ReportError(_("Department No. {number} not found.").format(number=department_id))
    compared = _Comparison(
        _,
        await _figures(session, period, department_id),
        await _figures(session, previous, department_id),
        await questionnaires_of(session),
        CellGuard(min_cell),
        _Columns.of(_),
    )
    rows: list[dict[str, Any]] = []
    for process, direction in await _services(session, compared):
        rows += _service_rows(compared, process, direction)
    columns = compared.columns
    sheets = [
        Sheet(
            _("Comparison with the previous"),
            frame_of(rows, columns.ordered()),
            {
                columns.version: COUNT_FORMAT,
                columns.mean_now: MEAN_FORMAT,
                columns.n_now: COUNT_FORMAT,
                columns.mean_before: MEAN_FORMAT,
                columns.n_before: COUNT_FORMAT,
                columns.change: CHANGE_FORMAT,
            },
        ),
        info_sheet(_info(compared, period, previous, department), _),
    ]
    await write_sheets(out, sheets, await report_head(session, _(_TITLE), period, _))
    return ReportSummary(
        kind="internal",
        title=REPORT_KINDS["internal"],
        path=path_of(out),
        sheets=tuple(s.name for s in sheets),
        rows=len(rows),
        responses=compared.responses,
        suppressed=compared.guard.hidden,
        period=period,
    )


async def previous_survey_month(session: AsyncSession, month: date) -> date | None:
    """The latest month before ``month`` with internal answers: the previous survey (§14
    «сравниваются с предыдущими результатами опросов»), however long ago it was."""
    return await session.scalar(
        sa.select(sa.func.max(Response.month)).where(
            Response.client_type == ClientType.INTERNAL,
            Response.month < month,
            Response.rating.is_not(None),
        )
    )


async def _figures(
    session: AsyncSession, span: tuple[date, date], department_id: int | None
) -> Figures:
    conditions = [
        Response.client_type == ClientType.INTERNAL,
        Response.local_day >= span[0],
        Response.local_day <= span[1],
        Response.process_id.is_not(None),
        ResponseAnswer.question.in_(list(INTERNAL_QUESTION_IDS)),
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


async def _services(session: AsyncSession, compared: _Comparison) -> Sequence[Any]:
    """The active internal services and any with answers, with their direction's name."""
    with_data = {pid for pid, _q, _k in compared.current | compared.earlier}
    result = await session.execute(
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
    return list(result)


def _service_rows(compared: _Comparison, process: Process, direction: str) -> list[dict[str, Any]]:
    """One row per questionnaire version and question of one service."""
    current, earlier, questionnaires = compared.current, compared.earlier, compared.questionnaires
    found = {qid for pid, qid, _k in current | earlier if pid == process.id}
    versions: list[int | None] = [
        *sorted(found, key=lambda qid: (questionnaires[qid].version, qid))
    ]
    rows: list[dict[str, Any]] = []
    for version_id in versions or [None]:  # a service without answers still gets its rows
        for question, label in internal_questions(compared.translate).items():
            now = before = None
            if version_id is not None:
                now = current.get((process.id, version_id, question))
                before = earlier.get((process.id, version_id, question))
                if now is None and before is None:
                    continue
            if question == "satisfaction" and now:
                compared.responses += now[0]
            questionnaire = questionnaires.get(version_id) if version_id else None
            head = (process, direction, questionnaire, label)
            rows.append(_row(compared, head, now, before))
    return rows


def _row(
    compared: _Comparison,
    head: tuple[Process, str, Questionnaire | None, str],
    now: tuple[int, int, int] | None,
    before: tuple[int, int, int] | None,
) -> dict[str, Any]:
    process, direction, questionnaire, label = head
    guard, columns = compared.guard, compared.columns
    hide_now = now is not None and guard.hides(True, now[2])
    hide_before = before is not None and guard.hides(True, before[2])
    mean_now = now[1] / now[0] if now else None
    mean_before = before[1] / before[0] if before else None
    return {
        columns.code: process.code,
        columns.service: process.name,
        columns.direction: direction,
        columns.version: questionnaire.version if questionnaire else None,
        columns.question: label,
        columns.mean_now: guard.show(mean_now, hide_now),
        columns.n_now: guard.show(now[0] if now else None, hide_now),
        columns.mean_before: guard.show(mean_before, hide_before),
        columns.n_before: guard.show(before[0] if before else None, hide_before),
        columns.change: guard.show(difference(mean_now, mean_before), hide_now or hide_before),
    }


def _span_text(span: tuple[date, date]) -> str:
    return f"{span[0]:%d.%m.%Y} – {span[1]:%d.%m.%Y}"


def _info(
    compared: _Comparison,
    period: tuple[date, date],
    previous: tuple[date, date],
    department: Department | None,
) -> list[tuple[str, Any]]:
    _, guard = compared.translate, compared.guard
    return [
        (_("Report"), _(_TITLE)),
        (_("Current period"), _span_text(period)),
        (_("Previous period"), _span_text(previous)),
        (_("Department"), department.name if department else _("all departments")),
        (_("Number of responses in the current period"), compared.responses),
        (
            _("Basis"),
            _(
                "The results of internal client surveys are recorded, analysed and compared "
                "with the previous survey results (clause 14 of the Procedure for interaction "
                "with the internal client)."
            ),
        ),
        (
            _("Data protection"),
            _(
                "Values computed from fewer than {count} respondents are hidden («{marker}»), "
                "so that the answers of a single employee cannot be recognised."
            ).format(count=guard.min_cell, marker=guard.marker),
        ),
    ]
