"""Asking: one questionnaire attempt from its opening to its last answer.

Functions take an open `AsyncSession` and never commit: the caller's unit of work does,
before anything is said to the person. Progress lives in `survey_sessions`; every change
is a compare-and-set on `step`, so a double tap, a duplicate update or a late tap on an
old keyboard changes nothing. What the person sees is read by surveys.views; a completed
attempt is stored by surveys.storing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, cast
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from core.text import visible
from storage.models import Questionnaire, Response, SessionStatus
from storage.statements import first, scalar
from surveys import attempts, profiles
from surveys.attempts import Attempt
from surveys.questionnaire import (
    AnswerRejected,
    QuestionKind,
    next_question,
    toggle_choice,
    validate_button_value,
)
from surveys.storing import ClientResponseHook, store_response
from surveys.views import (
    PROCESS_ROW,
    TOUCHPOINT_TARGET,
    QuestionView,
    context_of,
    definition_of,
    remember,
    view_of,
)

BACK, SKIP, DONE, TOGGLE = "<", "-", "ok", "t."


@dataclass(frozen=True)
class SurveyPolicy:
    """The knobs of asking, from settings."""

    tz: ZoneInfo
    daily_limit: int = 1
    ttl: timedelta = timedelta(hours=24)
    # Called in a client's response's own transaction: the closed loop (outreach.loop) alerts
    # the owner about a low score. Wired by bot.factory; surveys know nothing of it.
    after_client_response: ClientResponseHook | None = None
    # The channel the answers are collected through, stored on each response.
    collected_via: str = "telegram"


class Outcome(StrEnum):
    QUESTION = "question"
    COMPLETED = "completed"
    STALE = "stale"
    ALREADY_DONE = "already_done"
    REJECTED = "rejected"
    EXPIRED = "expired"
    LIMIT = "limit"
    NO_SESSION = "no_session"
    EXPECTS_BUTTON = "expects_button"
    TOO_LONG = "too_long"
    UNAVAILABLE = "unavailable"
    EMPLOYEES_ONLY = "employees_only"  # an internal service asked for by someone else


@dataclass(frozen=True)
class StepResult:
    outcome: Outcome
    view: QuestionView | None = None
    response_id: int | None = None
    resumed: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def local_day(moment: datetime, tz: ZoneInfo) -> date:
    return moment.astimezone(tz).date()


async def give_consent(session: AsyncSession, key: str, now: datetime) -> None:
    """Record the consent; the questionnaire opened next in this transaction knows from it
    whether the segment was asked before, without reading the row again."""
    remember(session, key, segment_asked=await profiles.give_consent(session, key, now))


_questionnaires = cast(sa.Table, Questionnaire.__table__).c

_responses = cast(sa.Table, Response.__table__).c

_CURRENT_VERSION = sa.select(_questionnaires.id).where(
    _questionnaires.code == sa.bindparam("code"), _questionnaires.is_current
)

_SAME_DAY = (
    _responses.respondent_key == sa.bindparam("key"),
    _responses.local_day == sa.bindparam("day"),
)

_DONE_AT_TOUCHPOINT = sa.select(sa.func.count()).where(
    *_SAME_DAY, _responses.touchpoint_id == sa.bindparam("target")
)

_DONE_FOR_PROCESS = sa.select(sa.func.count()).where(
    *_SAME_DAY,
    _responses.process_id == sa.bindparam("target"),
    _responses.touchpoint_id.is_(None),
)


async def responses_today(
    session: AsyncSession, key: str, *, touchpoint_id: int | None, process_id: int | None, day: date
) -> int:
    statement = _DONE_AT_TOUCHPOINT if touchpoint_id is not None else _DONE_FOR_PROCESS
    target = touchpoint_id if touchpoint_id is not None else process_id
    return int(await scalar(session, statement, {"key": key, "day": day, "target": target}) or 0)


async def open_session_of(session: AsyncSession, key: str) -> Attempt | None:
    return await attempts.open_of(session, key)


async def _target(
    session: AsyncSession, touchpoint_id: int | None, process_id: int | None
) -> tuple[int | None, int] | None:
    """(touchpoint, process) when the service is being rated now, else None."""
    if touchpoint_id:  # the touchpoint decides the process; both must be rated now
        row = await first(session, TOUCHPOINT_TARGET, {"touchpoint_id": touchpoint_id})
        if row is None or not (row[1] and row[2]):
            return None
        return touchpoint_id, int(row[0])
    process = await first(session, PROCESS_ROW, {"process_id": process_id}) if process_id else None
    if process is None or not process[2] or process_id is None:
        return None
    return None, process_id


async def start_survey(
    session: AsyncSession,
    policy: SurveyPolicy,
    key: str,
    *,
    questionnaire_code: str,
    now: datetime,
    touchpoint_id: int | None = None,
    process_id: int | None = None,
    department_id: int | None = None,
    message_id: int | None = None,
) -> StepResult:
    """Open an attempt, or resume the unfinished one for the same service.

    A touchpoint decides the process. ``message_id``: the message the new attempt's first
    question will be shown in, when known now (an edited consent note), so it needs no
    second write after the send.
    """
    target = await _target(session, touchpoint_id, process_id)
    if target is None:
        return StepResult(Outcome.UNAVAILABLE)
    touchpoint_id, process_id = target
    questionnaire_id = await scalar(session, _CURRENT_VERSION, {"code": questionnaire_code})
    if questionnaire_id is None:
        return StepResult(Outcome.UNAVAILABLE)

    existing = await attempts.open_of(session, key)
    if existing is not None:
        same_target = (
            existing.questionnaire_id == questionnaire_id
            and existing.touchpoint_id == touchpoint_id
            and existing.process_id == process_id
        )
        if same_target and existing.expires_at > now:
            return StepResult(Outcome.QUESTION, await view_of(session, existing), resumed=True)
        await attempts.abandon(session, existing, now)

    done_today = await responses_today(
        session,
        key,
        touchpoint_id=touchpoint_id,
        process_id=process_id,
        day=local_day(now, policy.tz),
    )
    if done_today >= policy.daily_limit:
        return StepResult(Outcome.LIMIT)

    definition = await definition_of(session, questionnaire_id)
    context = await context_of(session, key, process_id)
    first = next_question(definition, {}, -1, context)
    assert first is not None, "a questionnaire always has its primary question"
    attempt = await attempts.create(
        session,
        key=key,
        questionnaire_id=questionnaire_id,
        touchpoint_id=touchpoint_id,
        process_id=process_id,
        department_id=department_id,
        first=first,
        now=now,
        expires_at=now + policy.ttl,
        message_id=message_id,
    )
    return StepResult(Outcome.QUESTION, await view_of(session, attempt))


async def _load_open(
    session: AsyncSession, key: str, attempt_id: int, now: datetime
) -> Attempt | StepResult:
    flagged = await attempts.load_flagged(session, attempt_id)
    if flagged is None or flagged[0].respondent_key != key:
        return StepResult(Outcome.STALE)
    remember(session, key, segment_asked=flagged[1])
    return await _still_open(session, flagged[0], now)


async def _still_open(
    session: AsyncSession, attempt: Attempt, now: datetime
) -> Attempt | StepResult:
    """The attempt if it may still be answered, else what to say instead."""
    if attempt.status == SessionStatus.COMPLETED:
        # A tap on the keyboard of a finished questionnaire: a double tap on the last
        # answer, or a retry after the thanks was lost in a crash. Say it is saved.
        flags = await profiles.opt_ins(session, attempt.respondent_key)
        definition = await definition_of(session, attempt.questionnaire_id)
        extra = {
            "session_id": attempt.id,
            "opt_in": flags,
            "commented": definition.commented(attempt.answers),
        }
        return StepResult(Outcome.ALREADY_DONE, extra=extra)
    if attempt.status != SessionStatus.OPEN:
        return StepResult(Outcome.STALE)
    if attempt.expires_at <= now:
        await attempts.abandon(session, attempt, now)
        return StepResult(Outcome.EXPIRED)
    return attempt


async def press_button(
    session: AsyncSession,
    policy: SurveyPolicy,
    key: str,
    *,
    session_id: int,
    version: int,
    raw: str,
    now: datetime,
) -> StepResult:
    """Apply one button press: an answer, a toggle, back, skip or done."""
    loaded = await _load_open(session, key, session_id, now)
    if isinstance(loaded, StepResult):
        return loaded
    attempt = loaded
    view = await view_of(session, attempt)
    if attempt.step != version:
        # An old keyboard: a double tap, or one whose edit was lost in a crash after the
        # step was committed. The current question goes with it, so nobody is stuck.
        return StepResult(Outcome.STALE, view)
    question = view.question
    answers = {k: v for k, v in attempt.answers.items() if k != "_selected"}
    selected = list(view.selected)
    path = list(attempt.path)

    try:
        if raw == BACK:
            if len(path) < 2:
                raise AnswerRejected(raw)
            path.pop()
            answers.pop(question.id, None)
            answers.pop(definition_id(view, path[-1]), None)
            return await _advance(session, attempt, version, path, answers, [])
        if raw.startswith(TOGGLE):
            selected = toggle_choice(question, selected, raw[len(TOGGLE) :])
            return await _advance(session, attempt, version, path, answers, selected)
        if raw == SKIP:
            if not question.optional:
                raise AnswerRejected(raw)
            value: Any = None
        elif raw == DONE:
            if question.kind != QuestionKind.MULTI or (not selected and not question.optional):
                raise AnswerRejected(raw)
            value = selected or None
        elif question.kind in (QuestionKind.TEXT, QuestionKind.MULTI):
            raise AnswerRejected(raw)
        else:
            value = validate_button_value(view.definition, question, raw, view.context)
    except AnswerRejected:
        return StepResult(Outcome.REJECTED, view)
    return await _record(session, policy, attempt, view, version, answers, value, now)


def definition_id(view: QuestionView, index: int) -> str:
    return view.definition.questions[index].id


async def answer_text(
    session: AsyncSession, policy: SurveyPolicy, key: str, *, text: str, now: datetime
) -> StepResult:
    """A typed message: the answer to a free-text question, or a hint to use the buttons."""
    found = await attempts.open_flagged(session, key)
    if found is None:
        return StepResult(Outcome.NO_SESSION)
    remember(session, key, segment_asked=found[1])
    loaded = await _still_open(session, found[0], now)
    if isinstance(loaded, StepResult):
        return loaded
    attempt = loaded
    view = await view_of(session, attempt)
    if view.question.kind != QuestionKind.TEXT:
        return StepResult(Outcome.EXPECTS_BUTTON, view)
    cleaned = visible(text)
    if len(cleaned) > view.question.max_length:
        return StepResult(Outcome.TOO_LONG, view, extra={"limit": view.question.max_length})
    if not cleaned:
        return StepResult(Outcome.REJECTED, view)
    answers = {k: v for k, v in attempt.answers.items() if k != "_selected"}
    result = await _record(session, policy, attempt, view, attempt.step, answers, cleaned, now)
    if view.question.optional or view.can_go_back:  # the typed question showed buttons
        result.extra["answered_message_id"] = attempt.message_id
    return result


async def answer_form(
    session: AsyncSession,
    policy: SurveyPolicy,
    key: str,
    *,
    session_id: int,
    version: int,
    values: Sequence[str],
    now: datetime,
) -> StepResult:
    """A whole answer at once, as a form sends it (the web): a button's value, every option
    chosen in a multiple choice, or a typed text, checked by the same rules as the buttons.
    An optional question left empty is skipped."""
    loaded = await _load_open(session, key, session_id, now)
    if isinstance(loaded, StepResult):
        return loaded
    attempt = loaded
    view = await view_of(session, attempt)
    if attempt.step != version:
        return StepResult(Outcome.STALE, view)
    question = view.question
    value: Any = ""
    try:
        if question.kind == QuestionKind.TEXT:
            value = visible(values[0]) if values else ""
            if len(value) > question.max_length:
                return StepResult(Outcome.TOO_LONG, view, extra={"limit": question.max_length})
        elif question.kind == QuestionKind.MULTI:
            selected: list[str] = []
            for raw in dict.fromkeys(values):
                selected = toggle_choice(question, selected, raw)
            value = selected
        elif values:
            if len(values) != 1:
                raise AnswerRejected(",".join(values))
            value = validate_button_value(view.definition, question, values[0], view.context)
        if value in ("", []):
            if not question.optional:
                raise AnswerRejected("")
            value = None
    except AnswerRejected:
        return StepResult(Outcome.REJECTED, view)
    answers = {k: v for k, v in attempt.answers.items() if k != "_selected"}
    return await _record(session, policy, attempt, view, version, answers, value, now)


async def _advance(
    session: AsyncSession,
    attempt: Attempt,
    version: int,
    path: list[int],
    answers: dict[str, Any],
    selected: list[str],
) -> StepResult:
    stored = {**answers, "_selected": selected} if selected else answers
    if not await attempts.claim_next(session, attempt, version, path, stored):
        return StepResult(Outcome.STALE)
    return StepResult(Outcome.QUESTION, await view_of(session, attempt))


async def _record(
    session: AsyncSession,
    policy: SurveyPolicy,
    attempt: Attempt,
    view: QuestionView,
    version: int,
    answers: dict[str, Any],
    value: Any,
    now: datetime,
) -> StepResult:
    question = view.question
    answers[question.id] = value
    following = next_question(view.definition, answers, view.index, view.context)
    if following is not None:
        return await _advance(session, attempt, version, [*attempt.path, following], answers, [])
    if not await attempts.claim_finish(session, attempt, version, answers, now):
        return StepResult(Outcome.STALE)
    response_id = await store_response(
        session,
        attempt,
        view,
        answers,
        now=now,
        day=local_day(now, policy.tz),
        hook=policy.after_client_response,
        collected_via=policy.collected_via,
    )
    extra = {
        "session_id": attempt.id,
        "commented": view.definition.commented(answers),
    }
    return StepResult(Outcome.COMPLETED, response_id=response_id, extra=extra)


async def set_message(session: AsyncSession, session_id: int, message_id: int) -> None:
    await attempts.set_message(session, session_id, message_id)
