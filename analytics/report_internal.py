"""Internal-client survey results compared with the previous survey (seed 004 §14)."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.report_common import (
    CODE,
    DIRECTION,
    INTERNAL_QUESTIONS,
    VERSION,
    CellGuard,
    ReportError,
    ReportSummary,
    check_min_cell,
    check_period,
    difference,
    frame_of,
    info_sheet,
    path_of,
    questionnaires_of,
    write_sheets,
)
from analytics.report_kinds import REPORT_KINDS
from analytics.report_xlsx import (
    COUNT_FORMAT,
    MEAN_FORMAT,
    Output,
    Sheet,
)
from storage.models import (
    ActivityDirection,
    ClientType,
    Department,
    Process,
    Response,
    ResponseAnswer,
)

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
    check_min_cell(min_cell)
    check_period(*period)
    check_period(*previous)
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
    questionnaires = await questionnaires_of(session)
    guard = CellGuard(min_cell)
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
                            difference(mean_now, mean_before), hide_now or hide_before
                        ),
                    }
                )

    def span_text(span: tuple[date, date]) -> str:
        return f"{span[0]:%d.%m.%Y} – {span[1]:%d.%m.%Y}"

    sheets = [
        Sheet(
            "Сравнение с предыдущим",
            frame_of(rows, columns),
            {
                VERSION: COUNT_FORMAT,
                columns[5]: MEAN_FORMAT,
                columns[6]: COUNT_FORMAT,
                columns[7]: MEAN_FORMAT,
                columns[8]: COUNT_FORMAT,
                columns[9]: "+0.00;-0.00;0.00",
            },
        ),
        info_sheet(
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
    await write_sheets(out, sheets)
    return ReportSummary(
        kind="internal",
        title=REPORT_KINDS["internal"],
        path=path_of(out),
        sheets=tuple(s.name for s in sheets),
        rows=len(rows),
        responses=responses,
        suppressed=guard.hidden,
        period=period,
    )
