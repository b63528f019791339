"""Asking and storing: one questionnaire attempt from start to a stored response.

Functions take an open `AsyncSession` and never commit: the caller's unit of work does,
before anything is said to the person. Progress lives in `survey_sessions`; every change
is a compare-and-set on `step`, so a double tap, a duplicate update or a late tap on an
old keyboard changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, cast
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from storage.memo import engine_memo, reused
from storage.models import (
    ClientType,
    Process,
    Questionnaire,
    Respondent,
    RespondentContact,
    Response,
    ResponseAnswer,
    SessionStatus,
    SurveySession,
    Touchpoint,
)
from surveys.feedback import LoopPolicy, forget_links, raise_alert_if_low
from surveys.questionnaire import (
    AnswerRejected,
    AskingContext,
    Question,
    QuestionKind,
    QuestionnaireDefinition,
    next_question,
    toggle_choice,
    validate_button_value,
)
from surveys.respondents import tombstone_key
from surveys.rollup import add_to_rollup

BACK, SKIP, DONE, TOGGLE = "<", "-", "ok", "t."


@dataclass(frozen=True)
class SurveyPolicy:
    """The knobs of asking, from settings."""

    tz: ZoneInfo
    daily_limit: int = 1
    ttl: timedelta = timedelta(hours=24)
    loop: LoopPolicy = field(default_factory=LoopPolicy)


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

    @property
    def question(self) -> Question:
        return self.definition.questions[self.index]

    @property
    def can_go_back(self) -> bool:
        return self.number > 1


@dataclass(frozen=True)
class StepResult:
    outcome: Outcome
    view: QuestionView | None = None
    response_id: int | None = None
    resumed: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


_DEFINITIONS: dict[tuple[int, str], QuestionnaireDefinition] = {}


def definition_of(questionnaire: Questionnaire) -> QuestionnaireDefinition:
    """Parsed once per version: a stored version never changes (its checksum guards that)."""
    key = (questionnaire.id, questionnaire.checksum)
    definition = _DEFINITIONS.get(key)
    if definition is None:
        definition = QuestionnaireDefinition.model_validate(questionnaire.definition)
        _DEFINITIONS[key] = definition
    return definition


def local_day(moment: datetime, tz: ZoneInfo) -> date:
    return moment.astimezone(tz).date()


async def current_questionnaire(session: AsyncSession, code: str) -> Questionnaire | None:
    return await session.scalar(
        sa.select(Questionnaire).where(Questionnaire.code == code, Questionnaire.is_current)
    )


async def get_respondent(session: AsyncSession, key: str) -> Respondent | None:
    return await session.get(Respondent, key)


async def give_consent(session: AsyncSession, key: str, now: datetime) -> Respondent:
    respondent = await session.get(Respondent, key)
    if respondent is None:
        respondent = Respondent(key=key, created_at=now)
        session.add(respondent)
    if respondent.consent_at is None:
        respondent.consent_at = now
    await session.flush()
    return respondent


LABELS_TTL = 60.0
"""Seconds a service's name and stages are reused: they change only on a registry import."""


async def _definition(session: AsyncSession, questionnaire_id: int) -> QuestionnaireDefinition:
    """Each stored version is read once per database: its rows never change."""
    memo = engine_memo(session, "questionnaire_definitions")
    definition = memo.get(questionnaire_id)
    if definition is None:
        questionnaire = await session.get(Questionnaire, questionnaire_id)
        assert questionnaire is not None
        definition = memo[questionnaire_id] = definition_of(questionnaire)
    return cast(QuestionnaireDefinition, definition)


async def _labels(
    session: AsyncSession, touchpoint_id: int | None, process_id: int | None
) -> tuple[str, tuple[str, ...]]:
    """The name shown above each question and the process stages, reused for a minute."""

    async def load() -> tuple[str, tuple[str, ...]]:
        name, stages = "", cast(tuple[str, ...], ())
        process = await session.get(Process, process_id) if process_id is not None else None
        if process is not None:
            name, stages = process.name, tuple(process.stages or [])
        if touchpoint_id is not None:
            touchpoint = await session.get(Touchpoint, touchpoint_id)
            if touchpoint is not None and process is not None:
                if touchpoint.process_id == process.id:
                    name = f"{process.name} — {touchpoint.name}"
        return name, stages

    return await reused(session, "service_labels", (touchpoint_id, process_id), LABELS_TTL, load)


async def _remembered(session: AsyncSession, key: str) -> frozenset[str]:
    """What the person has told once and for all, read once per transaction.

    The session's identity map keeps objects only while referenced, so a bare
    `session.get` here would read the row again for every question shown.
    """
    transaction = session.sync_session.get_transaction()
    held = session.info.get("remembered")
    if held is None or held[0] is not transaction:
        held = session.info["remembered"] = (transaction, {})
    memo: dict[str, frozenset[str]] = held[1]
    if key not in memo:
        asked = await session.scalar(_SEGMENT_ASKED, {"asked_key": key})
        memo[key] = frozenset({"segment"}) if asked else frozenset()
    return memo[key]


_respondents = cast(sa.Table, Respondent.__table__).c
_SEGMENT_ASKED = sa.select(_respondents.segment_asked).where(
    _respondents.key == sa.bindparam("asked_key")
)


async def _channel(session: AsyncSession, touchpoint_id: int | None) -> str:
    """The touchpoint's channel (its kind) for the response row, reused like the labels."""
    if touchpoint_id is None:
        return "none"

    async def load() -> str:
        touchpoint = await session.get(Touchpoint, touchpoint_id)
        return touchpoint.kind.value if touchpoint is not None else "none"

    return await reused(session, "touchpoint_channels", touchpoint_id, LABELS_TTL, load)


async def _context(session: AsyncSession, key: str, process_id: int | None) -> AskingContext:
    remembered = await _remembered(session, key)
    _name, stages = await _labels(session, None, process_id)
    return AskingContext(stages=stages, remembered=remembered)


async def _view(session: AsyncSession, survey: SurveySession) -> QuestionView:
    definition = await _definition(session, survey.questionnaire_id)
    name, _stages = await _labels(session, survey.touchpoint_id, survey.process_id)
    return QuestionView(
        session_id=survey.id,
        version=survey.step,
        index=survey.path[-1],
        number=len(survey.path),
        definition=definition,
        context=await _context(session, survey.respondent_key, survey.process_id),
        selected=tuple(survey.answers.get("_selected", [])),
        message_id=survey.message_id,
        target_name=name,
    )


async def responses_today(
    session: AsyncSession,
    key: str,
    *,
    touchpoint_id: int | None,
    process_id: int | None,
    day: date,
) -> int:
    query = sa.select(sa.func.count(Response.id)).where(
        Response.respondent_key == key, Response.local_day == day
    )
    if touchpoint_id is not None:
        query = query.where(Response.touchpoint_id == touchpoint_id)
    else:
        query = query.where(Response.process_id == process_id, Response.touchpoint_id.is_(None))
    return int(await session.scalar(query) or 0)


async def open_session_of(session: AsyncSession, key: str) -> SurveySession | None:
    return await session.scalar(
        sa.select(SurveySession)
        .where(SurveySession.respondent_key == key, SurveySession.status == SessionStatus.OPEN)
        .order_by(SurveySession.id.desc())
        .limit(1)
    )


async def start_survey(
    session: AsyncSession,
    policy: SurveyPolicy,
    key: str,
    *,
    questionnaire_code: str,
    now: datetime,
    touchpoint: Touchpoint | None = None,
    process: Process | None = None,
    department_id: int | None = None,
    message_id: int | None = None,
) -> StepResult:
    """Open an attempt, or resume the unfinished one for the same service.

    ``message_id``: the message the new attempt's first question will be shown in, when
    known now (an edited consent note), so it needs no second write after the send.
    """
    if touchpoint is not None:
        process = await session.get(Process, touchpoint.process_id)
    if process is None or not process.active or (touchpoint is not None and not touchpoint.active):
        return StepResult(Outcome.UNAVAILABLE)
    questionnaire = await current_questionnaire(session, questionnaire_code)
    if questionnaire is None:
        return StepResult(Outcome.UNAVAILABLE)
    touchpoint_id = touchpoint.id if touchpoint else None

    existing = await open_session_of(session, key)
    if existing is not None:
        same_target = (
            existing.questionnaire_id == questionnaire.id
            and existing.touchpoint_id == touchpoint_id
            and existing.process_id == process.id
        )
        if same_target and existing.expires_at > now:
            return StepResult(Outcome.QUESTION, await _view(session, existing), resumed=True)
        existing.status = SessionStatus.ABANDONED
        existing.finished_at = now

    done_today = await responses_today(
        session,
        key,
        touchpoint_id=touchpoint_id,
        process_id=process.id,
        day=local_day(now, policy.tz),
    )
    if done_today >= policy.daily_limit:
        return StepResult(Outcome.LIMIT)

    definition = definition_of(questionnaire)
    context = await _context(session, key, process.id)
    first = next_question(definition, {}, -1, context)
    assert first is not None, "a questionnaire always has its primary question"
    survey = SurveySession(
        respondent_key=key,
        questionnaire_id=questionnaire.id,
        touchpoint_id=touchpoint_id,
        process_id=process.id,
        department_id=department_id,
        status=SessionStatus.OPEN,
        step=0,
        path=[first],
        answers={},
        started_at=now,
        expires_at=now + policy.ttl,
        message_id=message_id,
    )
    session.add(survey)
    await session.flush()
    return StepResult(Outcome.QUESTION, await _view(session, survey))


async def _load_open(
    session: AsyncSession, key: str, session_id: int, now: datetime
) -> SurveySession | StepResult:
    survey = await session.get(SurveySession, session_id)
    if survey is not None and survey.respondent_key == key:
        if survey.status == SessionStatus.COMPLETED:
            # A tap on the keyboard of a finished questionnaire: a double tap on the last
            # answer, or a retry after the thanks was lost in a crash. Say it is saved.
            respondent = await session.get(Respondent, key)
            flags = (
                (respondent.recontact_ok, respondent.answer_ok) if respondent else (False, False)
            )
            return StepResult(
                Outcome.ALREADY_DONE, extra={"session_id": survey.id, "opt_in": flags}
            )
    if survey is None or survey.respondent_key != key or survey.status != SessionStatus.OPEN:
        return StepResult(Outcome.STALE)
    if survey.expires_at <= now:
        survey.status = SessionStatus.ABANDONED
        survey.finished_at = now
        return StepResult(Outcome.EXPIRED)
    return survey


_SURVEYS = cast(sa.Table, SurveySession.__table__)
_surveys = _SURVEYS.c
# Built once (it runs for every answer); the columns to set come with the parameters.
_CLAIM = sa.update(_SURVEYS).where(
    _surveys.id == sa.bindparam("claim_id"),
    _surveys.step == sa.bindparam("claim_step"),
    _surveys.status == SessionStatus.OPEN,
)


async def _claim(session: AsyncSession, survey: SurveySession, version: int, **values: Any) -> bool:
    """Compare-and-set on the step counter: only one tap per step ever wins.

    `values` (path, answers, status...) are written by the same statement, and copied onto
    the loaded object without a re-read.
    """
    parameters = {"claim_id": survey.id, "claim_step": version, "step": version + 1, **values}
    result = await session.execute(_CLAIM, parameters)
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    for name, value in {"step": version + 1, **values}.items():
        set_committed_value(survey, name, value)
    return True


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
    survey = loaded
    if survey.step != version:
        return StepResult(Outcome.STALE)
    view = await _view(session, survey)
    question = view.question
    answers = {k: v for k, v in survey.answers.items() if k != "_selected"}
    selected = list(view.selected)
    path = list(survey.path)

    try:
        if raw == BACK:
            if len(path) < 2:
                raise AnswerRejected(raw)
            path.pop()
            answers.pop(question.id, None)
            answers.pop(definition_id(view, path[-1]), None)
            return await _advance(session, survey, version, path, answers, [])
        if raw.startswith(TOGGLE):
            selected = toggle_choice(question, selected, raw[len(TOGGLE) :])
            return await _advance(session, survey, version, path, answers, selected)
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
    return await _record(session, policy, survey, view, version, answers, value, now)


def definition_id(view: QuestionView, index: int) -> str:
    return view.definition.questions[index].id


async def answer_text(
    session: AsyncSession, policy: SurveyPolicy, key: str, *, text: str, now: datetime
) -> StepResult:
    """A typed message: the answer to a free-text question, or a hint to use the buttons."""
    survey = await open_session_of(session, key)
    if survey is None:
        return StepResult(Outcome.NO_SESSION)
    loaded = await _load_open(session, key, survey.id, now)
    if isinstance(loaded, StepResult):
        return loaded
    view = await _view(session, survey)
    if view.question.kind != QuestionKind.TEXT:
        return StepResult(Outcome.EXPECTS_BUTTON, view)
    cleaned = text.strip()
    if len(cleaned) > view.question.max_length:
        return StepResult(Outcome.TOO_LONG, view, extra={"limit": view.question.max_length})
    if not cleaned:
        return StepResult(Outcome.REJECTED, view)
    answers = {k: v for k, v in survey.answers.items() if k != "_selected"}
    return await _record(session, policy, survey, view, survey.step, answers, cleaned, now)


async def _advance(
    session: AsyncSession,
    survey: SurveySession,
    version: int,
    path: list[int],
    answers: dict[str, Any],
    selected: list[str],
) -> StepResult:
    stored = {**answers, "_selected": selected} if selected else answers
    if not await _claim(session, survey, version, path=path, answers=stored):
        return StepResult(Outcome.STALE)
    return StepResult(Outcome.QUESTION, await _view(session, survey))


async def _record(
    session: AsyncSession,
    policy: SurveyPolicy,
    survey: SurveySession,
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
        return await _advance(session, survey, version, [*survey.path, following], answers, [])
    finished = {"status": SessionStatus.COMPLETED, "finished_at": now}
    if not await _claim(session, survey, version, answers=answers, **finished):
        return StepResult(Outcome.STALE)
    response = await _store_response(session, policy, survey, view, answers, now)
    return StepResult(Outcome.COMPLETED, response_id=response.id, extra={"session_id": survey.id})


async def _store_response(
    session: AsyncSession,
    policy: SurveyPolicy,
    survey: SurveySession,
    view: QuestionView,
    answers: dict[str, Any],
    now: datetime,
) -> Response:
    definition = view.definition
    respondent = await session.get(Respondent, survey.respondent_key)
    if respondent is None:
        respondent = Respondent(key=survey.respondent_key, created_at=now)
        session.add(respondent)
    for question in definition.questions:
        if question.remember == "segment" and question.id in answers:
            respondent.segment_asked = True
            session.info.pop("remembered", None)
            if answers[question.id] is not None:
                respondent.segment = answers[question.id]
    rating = answers.get(definition.primary.id)
    day = local_day(now, policy.tz)
    response = Response(
        session_id=survey.id,
        questionnaire_id=survey.questionnaire_id,
        respondent_key=survey.respondent_key,
        process_id=survey.process_id,
        touchpoint_id=survey.touchpoint_id,
        client_type=ClientType(definition.audience),
        channel=await _channel(session, survey.touchpoint_id),
        segment=respondent.segment,
        department_id=survey.department_id,
        rating=rating if isinstance(rating, int) else None,
        month=day.replace(day=1),
        local_day=day,
        submitted_at=now,
    )
    for question in definition.questions:
        if question.id not in answers or answers[question.id] is None:
            continue
        response.answers.append(_answer_row(question, answers[question.id]))
    session.add(response)  # the session was marked completed by its final _claim
    await session.flush()
    if definition.indexed:
        await add_to_rollup(session, response, definition.scale.max)
    if definition.audience == "external":
        await raise_alert_if_low(session, response, answers, policy.loop, now)
    return response


def _answer_row(question: Question, value: Any) -> ResponseAnswer:
    if question.kind == QuestionKind.RATING:
        return ResponseAnswer(question=question.id, value_int=int(value))
    if question.kind == QuestionKind.MULTI:
        return ResponseAnswer(question=question.id, choices=list(value))
    return ResponseAnswer(question=question.id, value_text=str(value))


async def set_message(session: AsyncSession, session_id: int, message_id: int) -> None:
    await session.execute(
        sa.update(SurveySession)
        .where(SurveySession.id == session_id)
        .values(message_id=message_id)
        .execution_options(synchronize_session=False)
    )


async def set_opt_in(
    session: AsyncSession,
    key: str,
    *,
    session_id: int,
    kind: str,
    chat_id: int,
    now: datetime,
) -> bool | None:
    """Keep the chat for contact only after an explicit opt-in; the new flag, or None if refused."""
    survey = await session.get(SurveySession, session_id)
    respondent = await session.get(Respondent, key)
    if survey is None or survey.respondent_key != key or respondent is None:
        return None
    if kind == "recontact":
        respondent.recontact_ok = not respondent.recontact_ok
        value = respondent.recontact_ok
    elif kind == "answer":
        respondent.answer_ok = not respondent.answer_ok
        value = respondent.answer_ok
    else:
        return None
    contact = await session.get(RespondentContact, key)
    if respondent.recontact_ok or respondent.answer_ok:
        if contact is None:
            contact = RespondentContact(respondent_key=key, chat_id=chat_id)
            session.add(contact)
        contact.chat_id = chat_id
        contact.touchpoint_id = survey.touchpoint_id
        contact.updated_at = now
    elif contact is not None:
        await session.delete(contact)
    await session.flush()
    return value


@dataclass(frozen=True)
class ForgetReport:
    responses: int
    sessions: int
    had_profile: bool


async def forget(session: AsyncSession, key: str) -> ForgetReport:
    """Unlink a person from everything they answered: past answers keep a random key."""
    tombstone = tombstone_key()
    responses = await session.execute(
        sa.update(Response).where(Response.respondent_key == key).values(respondent_key=tombstone)
    )
    sessions = await session.execute(
        sa.update(SurveySession)
        .where(SurveySession.respondent_key == key)
        .values(respondent_key=tombstone, message_id=None)
    )
    await forget_links(session, key)
    respondent = await session.get(Respondent, key)
    if respondent is not None:
        await session.delete(respondent)
    await session.flush()
    return ForgetReport(
        responses=int(responses.rowcount or 0),  # type: ignore[attr-defined]
        sessions=int(sessions.rowcount or 0),  # type: ignore[attr-defined]
        had_profile=respondent is not None,
    )


async def expire_sessions(session: AsyncSession, now: datetime) -> int:
    """Open attempts past their time become abandoned: the completion funnel counts them."""
    result = await session.execute(
        sa.update(SurveySession)
        .where(SurveySession.status == SessionStatus.OPEN, SurveySession.expires_at <= now)
        .values(status=SessionStatus.ABANDONED, finished_at=now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
