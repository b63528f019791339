"""Storing a completed questionnaire: the response, its answers, the rollup, the alert hook.

Statements built once (storage.statements), in the transaction that completed the attempt, so a
response is never half stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.rollup import count_in_rollup
from storage.models import ClientType, Response, ResponseAnswer
from storage.statements import binds, run_many, scalar
from surveys import profiles
from surveys.attempts import Attempt
from surveys.questionnaire import Question, QuestionKind, QuestionnaireDefinition
from surveys.views import REMEMBERED, QuestionView, channel_of


@dataclass
class StoredResponse:
    """A completed questionnaire as stored: what the rollup and the feedback loop need."""

    id: int
    questionnaire_id: int
    respondent_key: str
    process_id: int | None
    touchpoint_id: int | None
    client_type: ClientType
    channel: str
    segment: str | None
    department_id: int | None
    rating: int | None
    month: date
    collected_via: str = "telegram"  # where the answers were given: telegram, max, web


async def _segment_after(
    session: AsyncSession,
    definition: QuestionnaireDefinition,
    key: str,
    answers: dict[str, Any],
    now: datetime,
) -> str | None:
    """The respondent's segment for the response: the one told now, else the one known.

    Telling it is one statement that returns what is stored; only a questionnaire that did
    not ask it reads the row.
    """
    told = [
        answers[q.id] for q in definition.questions if q.remember == "segment" and q.id in answers
    ]
    if not told:
        known = await profiles.segment_of(session, key)
        if known is None:
            await profiles.ensure(session, key, now)
        return known[0] if known else None
    session.info.pop(REMEMBERED, None)
    stored: tuple[str | None] | None = None
    for segment in told:
        stored = await profiles.segment_told(session, key, segment)
        if stored is None:  # never seen before (no consent row): the row first
            await profiles.ensure(session, key, now)
            stored = await profiles.segment_told(session, key, segment)
    return stored[0] if stored else None


class ClientResponseHook(Protocol):
    async def __call__(
        self,
        session: AsyncSession,
        response: StoredResponse,
        answers: dict[str, Any],
        now: datetime,
    ) -> object: ...


_responses = cast(sa.Table, Response.__table__).c
_INSERT_RESPONSE = (
    sa.insert(cast(sa.Table, Response.__table__))
    .values(
        binds(
            "session_id",
            "questionnaire_id",
            "respondent_key",
            "process_id",
            "touchpoint_id",
            "client_type",
            "channel",
            "collected_via",
            "segment",
            "department_id",
            "rating",
            "month",
            "local_day",
            "submitted_at",
        )
    )
    .returning(_responses.id)
)
_INSERT_ANSWER = sa.insert(cast(sa.Table, ResponseAnswer.__table__)).values(
    binds("response_id", "question", "value_int", "value_text", "choices")
)


async def store_response(
    session: AsyncSession,
    attempt: Attempt,
    view: QuestionView,
    answers: dict[str, Any],
    *,
    now: datetime,
    day: date,
    hook: ClientResponseHook | None,
    collected_via: str = "telegram",
) -> int:
    """The completed attempt as a response with its answers, counted in the rollup; a
    client's response goes to ``hook`` (the closed loop) in the same transaction.
    ``collected_via``: the channel the person answered in (telegram, max, web)."""
    definition = view.definition
    key = attempt.respondent_key
    segment = await _segment_after(session, definition, key, answers, now)
    rating = answers.get(definition.primary.id)
    stored = StoredResponse(
        id=0,
        questionnaire_id=attempt.questionnaire_id,
        respondent_key=key,
        process_id=attempt.process_id,
        touchpoint_id=attempt.touchpoint_id,
        client_type=ClientType(definition.audience),
        channel=await channel_of(session, attempt.touchpoint_id),
        segment=segment,
        department_id=attempt.department_id,
        rating=rating if isinstance(rating, int) else None,
        month=day.replace(day=1),
        collected_via=collected_via,
    )
    stored.id = int(
        await scalar(
            session,
            _INSERT_RESPONSE,
            {
                "session_id": attempt.id,
                "questionnaire_id": stored.questionnaire_id,
                "respondent_key": key,
                "process_id": stored.process_id,
                "touchpoint_id": stored.touchpoint_id,
                "client_type": stored.client_type,
                "channel": stored.channel,
                "collected_via": stored.collected_via,
                "segment": stored.segment,
                "department_id": stored.department_id,
                "rating": stored.rating,
                "month": stored.month,
                "local_day": day,
                "submitted_at": now,
            },
        )
    )
    await run_many(
        session,
        _INSERT_ANSWER,
        [
            _answer_row(stored.id, question, answers[question.id])
            for question in definition.questions
            if answers.get(question.id) is not None
        ],
    )
    if definition.indexed:
        await count_in_rollup(session, stored, definition.scale.max)
    # The closed loop takes internal clients' low scores as it takes external ones': seed 004
    # §3 «реагирование: обеспечение своевременного предоставления обратной связи на обращения
    # внутренних клиентов»; an internal research questionnaire (not indexed) is no client's.
    internal_client = definition.audience == ClientType.INTERNAL and definition.indexed
    if hook is not None and (definition.audience == ClientType.EXTERNAL or internal_client):
        await hook(session, stored, answers, now)
    return stored.id


def _answer_row(response_id: int, question: Question, value: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "response_id": response_id,
        "question": question.id,
        "value_int": None,
        "value_text": None,
        "choices": None,
    }
    if question.kind == QuestionKind.RATING:
        row["value_int"] = int(value)
    elif question.kind == QuestionKind.MULTI:
        row["choices"] = list(value)
    else:
        row["value_text"] = str(value)
    return row
