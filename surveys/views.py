"""What the person sees: the question in its context, read with as few statements as can be.

A stored questionnaire version never changes, so it is parsed once; a service's name,
stages and channel change only on a registry import, so they are reused for a minute; what
the person has told once and for all is read once per transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from storage.memo import engine_memo, reused
from storage.models import Process, Questionnaire, Touchpoint
from storage.statements import first
from surveys import profiles
from surveys.attempts import Attempt
from surveys.questionnaire import (
    AskingContext,
    Question,
    QuestionnaireDefinition,
    questions_in_all,
)

REMEMBERED = "remembered"
"""The session's `info` key of what people have told once and for all (see `remembered_of`)."""


@dataclass(frozen=True)
class QuestionView:
    """What the person sees now: enough to render the message and its keyboard."""

    session_id: int
    version: int
    index: int
    number: int
    definition: QuestionnaireDefinition
    context: AskingContext
    selected: tuple[str, ...] = ()
    message_id: int | None = None
    target_name: str = ""
    total: int = 0  # questions in all, as far as the answers so far tell (0: not known)

    @property
    def question(self) -> Question:
        return self.definition.questions[self.index]

    @property
    def can_go_back(self) -> bool:
        return self.number > 1


_DEFINITIONS: dict[tuple[int, str], QuestionnaireDefinition] = {}


LABELS_TTL = 60.0
"""Seconds a service's name and stages are reused: they change only on a registry import."""

_questionnaires = cast(sa.Table, Questionnaire.__table__).c
_processes = cast(sa.Table, Process.__table__).c
_touchpoints = cast(sa.Table, Touchpoint.__table__).c
_VERSION = sa.select(
    _questionnaires.id, _questionnaires.checksum, _questionnaires.definition
).where(_questionnaires.id == sa.bindparam("questionnaire_id"))
PROCESS_ROW = sa.select(_processes.name, _processes.stages, _processes.active).where(
    _processes.id == sa.bindparam("process_id")
)
TOUCHPOINT_ROW = sa.select(
    _touchpoints.name, _touchpoints.process_id, _touchpoints.kind, _touchpoints.active
).where(_touchpoints.id == sa.bindparam("touchpoint_id"))

# A touchpoint's process and whether both are active, in one statement (rated now or not).
TOUCHPOINT_TARGET = (
    sa.select(_touchpoints.process_id, _touchpoints.active, _processes.active)
    .select_from(Touchpoint.__table__)
    .join(Process.__table__, _touchpoints.process_id == _processes.id)
    .where(_touchpoints.id == sa.bindparam("touchpoint_id"))
)


async def definition_of(session: AsyncSession, questionnaire_id: int) -> QuestionnaireDefinition:
    """Each stored version is read once per database: its rows never change."""
    memo = engine_memo(session, "questionnaire_definitions")
    definition = memo.get(questionnaire_id)
    if definition is None:
        row = await first(session, _VERSION, {"questionnaire_id": questionnaire_id})
        assert row is not None, f"questionnaire version {questionnaire_id} is gone"
        definition = memo[questionnaire_id] = _parsed(row[0], row[1], row[2])
    return cast(QuestionnaireDefinition, definition)


def _parsed(questionnaire_id: int, checksum: str, raw: dict[str, Any]) -> QuestionnaireDefinition:
    """Parsed once per version: a stored version never changes (its checksum guards that)."""
    key = (questionnaire_id, checksum)
    definition = _DEFINITIONS.get(key)
    if definition is None:
        definition = _DEFINITIONS[key] = QuestionnaireDefinition.model_validate(raw)
    return definition


async def labels_of(
    session: AsyncSession, touchpoint_id: int | None, process_id: int | None
) -> tuple[str, tuple[str, ...]]:
    """The name shown above each question and the process stages, reused for a minute."""

    async def load() -> tuple[str, tuple[str, ...]]:
        name, stages = "", cast(tuple[str, ...], ())
        process = (
            await first(session, PROCESS_ROW, {"process_id": process_id}) if process_id else None
        )
        if process is not None:
            name, stages = process[0], tuple(process[1] or [])
        if touchpoint_id is not None and process is not None:
            touchpoint = await first(session, TOUCHPOINT_ROW, {"touchpoint_id": touchpoint_id})
            if touchpoint is not None and touchpoint[1] == process_id:
                name = f"{process[0]} — {touchpoint[0]}"
        return name, stages

    return await reused(session, "service_labels", (touchpoint_id, process_id), LABELS_TTL, load)


async def remembered_of(session: AsyncSession, key: str) -> frozenset[str]:
    """What the person has told once and for all, read once per transaction."""
    memo: dict[str, frozenset[str]] = session.info.setdefault(REMEMBERED, {})
    if key not in memo:
        known = await profiles.segment_of(session, key)
        remember(session, key, segment_asked=bool(known and known[1]))
    return memo[key]


def remember(session: AsyncSession, key: str, *, segment_asked: bool) -> None:
    """What `remembered_of` would read, when it came with another statement's row."""
    memo: dict[str, frozenset[str]] = session.info.setdefault(REMEMBERED, {})
    memo[key] = frozenset({"segment"}) if segment_asked else frozenset()


async def channel_of(session: AsyncSession, touchpoint_id: int | None) -> str:
    """The touchpoint's channel (its kind) for the response row, reused like the labels."""
    if touchpoint_id is None:
        return "none"

    async def load() -> str:
        touchpoint = await first(session, TOUCHPOINT_ROW, {"touchpoint_id": touchpoint_id})
        return str(touchpoint[2].value) if touchpoint is not None else "none"

    return await reused(session, "touchpoint_channels", touchpoint_id, LABELS_TTL, load)


async def context_of(session: AsyncSession, key: str, process_id: int | None) -> AskingContext:
    remembered = await remembered_of(session, key)
    _name, stages = await labels_of(session, None, process_id)
    return AskingContext(stages=stages, remembered=remembered)


async def view_of(session: AsyncSession, attempt: Attempt) -> QuestionView:
    definition = await definition_of(session, attempt.questionnaire_id)
    name, _stages = await labels_of(session, attempt.touchpoint_id, attempt.process_id)
    context = await context_of(session, attempt.respondent_key, attempt.process_id)
    index, number = attempt.path[-1], len(attempt.path)
    return QuestionView(
        session_id=attempt.id,
        version=attempt.step,
        index=index,
        number=number,
        definition=definition,
        context=context,
        selected=tuple(attempt.answers.get("_selected", [])),
        message_id=attempt.message_id,
        target_name=name,
        total=questions_in_all(definition, attempt.answers, index, number, context),
    )
