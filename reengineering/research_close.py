"""R4: the research survey of a case closed into its lists (seed 003 п. 2.2.3).

The answers of both questionnaires about the case's process, from the launch to the close,
become one workbook of difficulties by stage and criticality, needs and best practices,
attached to step R4 for the department head's signature (п. 2.2.6).
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from core.i18n import Translator
from reengineering.cases import (
    SURVEY_LIST_STEP,
    SURVEY_STEP,
    CaseError,
    attach_document,
    case_number,
)
from reengineering.cases.audit import audit_event
from reengineering.cases.records import load_open_case, load_process
from reengineering.research import RESEARCH_CODES, campaign_of
from reengineering.research_lists import NO_STAGE, ResearchLists
from reengineering.signers import signers_of
from storage.cases_models import ReengineeringCase
from storage.models import Questionnaire, Response
from surveys.questionnaire import CRITICALITY_LEVELS

__all__ = ["close_research", "collect_research"]


async def collect_research(
    session: AsyncSession, case: ReengineeringCase, since: datetime, until: datetime
) -> ResearchLists:
    """Gather the research responses of a case's process submitted in [since, until]."""
    process = await load_process(session, case.process_id)
    lists = ResearchLists(stages=list(process.stages or []))
    responses = await session.scalars(
        sa.select(Response)
        .join(Questionnaire, Questionnaire.id == Response.questionnaire_id)
        .where(
            Questionnaire.code.in_(RESEARCH_CODES),
            Response.process_id == process.id,
            Response.submitted_at >= since,
            Response.submitted_at <= until,
        )
        .options(selectinload(Response.answers))
        .order_by(Response.submitted_at, Response.id)
    )
    for response in responses:
        who = str(response.client_type)
        lists.responses[who] += 1
        if response.rating is not None:
            lists.rating_sum[who] += response.rating
            lists.rated[who] += 1
        answers = {
            answer.question: answer.value_text
            for answer in response.answers
            if answer.value_text is not None
        }
        stage = answers.get("difficulty_stage") or NO_STAGE
        level = answers.get("criticality") or ""
        text = answers.get("difficulty") or ""
        if level not in CRITICALITY_LEVELS:
            level = ""
        if "difficulty_stage" in answers or level or text:
            lists.criticality[stage][level] += 1
            lists.difficulties.append((stage, level, who, text))
        if expectation := answers.get("expectation"):
            lists.needs.append((answers.get("expectation_stage") or NO_STAGE, who, expectation))
        if practice := answers.get("best_practice"):
            lists.practices.append((who, practice))
    return lists


async def close_research(
    session: AsyncSession,
    case_id: int,
    *,
    now: datetime,
    folder: Path,
    tz: tzinfo = UTC,
    _: Translator,
) -> Path:
    """Close the survey and attach the R4 workbook to step R4; returns the file's path.

    ``folder`` is the case's folder (see :func:`case_dir`). Responses counted are research
    answers about the case's process submitted from the launch until ``now``.
    """
    case = await load_open_case(session, case_id)
    campaign = await campaign_of(session, case.id)
    if campaign is None:
        raise CaseError(_("No survey was launched for this reengineering."))
    if campaign.closed_at is not None:
        raise CaseError(_("The survey is already closed; the lists are made."))
    process = await load_process(session, case.process_id)
    lists = await collect_research(session, case, campaign.launched_at, now)
    on = now.astimezone(tz).date()
    out = folder / f"case{case.id}_R4_research_{campaign.id}.xlsx"
    from reengineering.research_xlsx import write_research_xlsx  # openpyxl: loaded on demand

    write_research_xlsx(
        lists,
        out,
        process_name=process.name,
        number=case_number(case.id),
        period=(campaign.launched_at.astimezone(tz).date(), on),
        signers=await signers_of(session, process.id),  # §2.2.6: the head signs
        prepared_on=on,
    )
    document_id = await attach_document(
        session,
        case.id,
        SURVEY_LIST_STEP,
        None,
        original_name=_("List of difficulties, needs and best practices ({number}).xlsx").format(
            number=case_number(case.id)
        ),
        on=on,
        file_path=str(out),
        at=now,
    )
    campaign.closed_at = now
    campaign.document_id = document_id
    await audit_event(
        session, case.id, "research_closed", on=on, at=now, step_id=SURVEY_STEP,
        campaign_id=campaign.id, responses=sum(lists.responses.values()),
        difficulties=len(lists.difficulties), needs=len(lists.needs),
        practices=len(lists.practices), document_id=document_id,
    )  # fmt: skip
    await session.flush()
    return out
