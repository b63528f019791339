"""One entry point for every report, shared by `otklik report` and the bot's /stats."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import BinaryIO

from sqlalchemy.ext.asyncio import AsyncSession

from analytics.report_common import ReportError, find_process
from analytics.report_dynamics import satisfaction_dynamics
from analytics.report_internal import internal_comparison, previous_survey_month
from analytics.report_kinds import REPORT_CHOICES
from analytics.report_pain_map import pain_map
from analytics.report_segments import segment_profile
from analytics.scan import rules_from
from core.i18n import Translator
from core.periods import PAIN_MAP_MONTHS, month_add, month_end
from core.settings import Settings
from reengineering.cases import CaseError
from reengineering.plan_xlsx import write_action_plan_xlsx

NEEDS_PROCESS = {"pain-map", "segments"}


async def build_report(
    session: AsyncSession,
    kind: str,
    out: Path | BinaryIO,
    _: Translator,
    *,
    process_code: str | None,
    case_id: int | None,
    month: date,
    settings: Settings,
) -> object:
    """Build the report `kind` for the whole months ending with `month`'s (local days).

    The action plan is reengineering's document, so this use case sits above both domain
    packages (reengineering's effect check reads analytics: one of them cannot import the other).
    """
    min_cell = settings.min_cell_respondents
    process_id: int | None = None
    if kind in NEEDS_PROCESS:
        if not process_code:
            raise ReportError(
                _("For the report «{report}» give --process CODE.").format(
                    report=_(REPORT_CHOICES[kind])
                )
            )
        process_id = (await find_process(session, process_code, _)).id
    if kind == "action-plan":
        if case_id is None:
            raise ReportError(_("For the action plan give --case NUMBER of the case."))
        if not isinstance(out, Path):
            raise ReportError(_("The action plan is written to a file."))
        try:
            return await write_action_plan_xlsx(session, case_id, out)
        except CaseError as error:
            raise ReportError(str(error)) from error
    if kind == "dynamics":
        return await satisfaction_dynamics(
            session, out, _, until=month, min_cell=min_cell, rules=rules_from(settings)
        )
    if kind == "pain-map":
        assert process_id is not None
        return await pain_map(
            session,
            out,
            _,
            process_id=process_id,
            since=month_add(month, 1 - PAIN_MAP_MONTHS),
            until=month_end(month),
            min_cell=min_cell,
        )
    if kind == "segments":
        assert process_id is not None
        return await segment_profile(
            session, out, _, process_id=process_id, until=month, min_cell=min_cell
        )
    if kind == "internal":
        # compared with the previous survey, however many months back it was (seed 004 §14)
        previous = await previous_survey_month(session, month) or month_add(month, -1)
        return await internal_comparison(
            session,
            out,
            _,
            period=(month, month_end(month)),
            previous=(previous, month_end(previous)),
            min_cell=min_cell,
        )
    raise ReportError(_("Unknown kind of report: {kind}").format(kind=kind))
