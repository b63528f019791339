"""Test data: stored responses written straight through the models, rollup kept right.

Going through the bot would take seconds per answer; reports only need what
`surveys.storing` stores, so this writes the same rows (a completed survey session, the
response, its answers) and counts each response into the monthly rollup exactly as the
service does.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.rollup import add_to_rollup
from storage.models import (
    ClientType,
    Questionnaire,
    Response,
    ResponseAnswer,
    SessionStatus,
    SurveySession,
    Touchpoint,
)
from surveys.questionnaire import QuestionKind, QuestionnaireDefinition


async def questionnaire(
    session: AsyncSession, code: str, version: int | None = None
) -> Questionnaire:
    """A stored questionnaire version, the current one by default (load them first with
    `sync_questionnaires`)."""
    which = Questionnaire.is_current if version is None else Questionnaire.version == version
    found = await session.scalar(sa.select(Questionnaire).where(Questionnaire.code == code, which))
    assert found is not None, f"questionnaire {code} v{version} is not loaded"
    return found


def new_key() -> str:
    """A fresh pseudonymous respondent key."""
    return f"r-{uuid.uuid4().hex[:16]}"


def _answer(kind: QuestionKind, question: str, value: Any) -> ResponseAnswer:
    if kind == QuestionKind.RATING:
        return ResponseAnswer(question=question, value_int=int(value))
    if kind == QuestionKind.MULTI:
        return ResponseAnswer(question=question, choices=list(value))
    return ResponseAnswer(question=question, value_text=str(value))


async def add_responses(
    session: AsyncSession,
    *,
    questionnaire: Questionnaire,
    process_id: int,
    ratings: Sequence[int],
    month: date,
    touchpoint_id: int | None = None,
    segment: str | None = None,
    department_id: int | None = None,
    answers: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
    respondents: Sequence[str] | None = None,
    first_day: int = 1,
    collected_via: str = "telegram",
) -> list[Response]:
    """Store one response per rating in ``month`` and count it into the rollup.

    ``answers`` is either one mapping used for every response or one mapping per rating
    (question id → value, as the service stores it: ints for ratings, option ids, stage
    names, lists for multi-choice). ``respondents`` gives the respondent keys (repeat a key
    for the same person on different days); by default every response is a new person.
    Response ``i`` falls on day ``first_day + i`` (capped at 28), so later ones are newer.
    ``collected_via``: the channel the answers came through (telegram, max, web).
    """
    definition = QuestionnaireDefinition.model_validate(questionnaire.definition)
    kinds = {q.id: q.kind for q in definition.questions}
    if respondents is not None:
        assert len(respondents) == len(ratings)
    per_response: Sequence[Mapping[str, Any]]
    if answers is None:
        per_response = [{}] * len(ratings)
    elif isinstance(answers, Mapping):
        per_response = [answers] * len(ratings)
    else:
        assert len(answers) == len(ratings)
        per_response = answers
    channel = "none"
    if touchpoint_id is not None:
        touchpoint = await session.get(Touchpoint, touchpoint_id)
        assert touchpoint is not None
        channel = touchpoint.kind.value
    stored: list[Response] = []
    for index, rating in enumerate(ratings):
        key = respondents[index] if respondents is not None else new_key()
        day = month.replace(day=min(first_day + index, 28))
        moment = datetime.combine(day, time(9, 0), UTC) + timedelta(minutes=index)
        survey = SurveySession(
            respondent_key=key,
            questionnaire_id=questionnaire.id,
            touchpoint_id=touchpoint_id,
            process_id=process_id,
            department_id=department_id,
            status=SessionStatus.COMPLETED,
            step=1,
            path=[0],
            answers={},
            started_at=moment,
            expires_at=moment + timedelta(hours=24),
            finished_at=moment,
        )
        session.add(survey)
        await session.flush()
        response = Response(
            session_id=survey.id,
            questionnaire_id=questionnaire.id,
            respondent_key=key,
            process_id=process_id,
            touchpoint_id=touchpoint_id,
            client_type=ClientType(questionnaire.audience),
            channel=channel,
            collected_via=collected_via,
            segment=segment,
            department_id=department_id,
            rating=rating,
            month=month.replace(day=1),
            local_day=day,
            submitted_at=moment,
        )
        response.answers.append(ResponseAnswer(question=definition.primary.id, value_int=rating))
        for question, value in per_response[index].items():
            if value is not None:
                response.answers.append(_answer(kinds[question], question, value))
        session.add(response)
        await session.flush()
        await add_to_rollup(session, response, questionnaire.scale_max)
        stored.append(response)
    return stored
