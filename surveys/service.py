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
from typing import Any, Protocol, cast
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.rollup import count_in_rollup
from core.text import visible
from storage.direct import Direct, Statement, as_direct, binds
from storage.erasure import forget_invites, forget_links
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
from storage.outbox import ANSWER_KINDS, INVITATION_KINDS, forget_chat
from surveys import attempts, profiles
from surveys.attempts import Attempt
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

BACK, SKIP, DONE, TOGGLE = "<", "-", "ok", "t."


class ClientResponseHook(Protocol):
    async def __call__(
        self, db: Direct, response: StoredResponse, answers: dict[str, Any], now: datetime
    ) -> object: ...


@dataclass(frozen=True)
class SurveyPolicy:
    """The knobs of asking, from settings."""

    tz: ZoneInfo
    daily_limit: int = 1
    ttl: timedelta = timedelta(hours=24)
    # Called in a client's response's own transaction: the closed loop (outreach.loop) alerts
    # the owner about a low score. Wired by bot.factory; surveys know nothing of it.
    after_client_response: ClientResponseHook | None = None


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


_DEFINITIONS: dict[tuple[int, str], QuestionnaireDefinition] = {}


def local_day(moment: datetime, tz: ZoneInfo) -> date:
    return moment.astimezone(tz).date()


async def get_respondent(session: AsyncSession, key: str) -> Respondent | None:
    return await session.get(Respondent, key)


async def give_consent(session: AsyncSession | Direct, key: str, now: datetime) -> None:
    await profiles.give_consent(as_direct(session), key, now)


LABELS_TTL = 60.0
"""Seconds a service's name and stages are reused: they change only on a registry import."""

_questionnaires = cast(sa.Table, Questionnaire.__table__).c
_processes = cast(sa.Table, Process.__table__).c
_touchpoints = cast(sa.Table, Touchpoint.__table__).c
_responses = cast(sa.Table, Response.__table__).c
_CURRENT_VERSION = Statement.of(
    sa.select(_questionnaires.id).where(
        _questionnaires.code == sa.bindparam("code"), _questionnaires.is_current
    )
)
_VERSION = Statement.of(
    sa.select(_questionnaires.id, _questionnaires.checksum, _questionnaires.definition).where(
        _questionnaires.id == sa.bindparam("questionnaire_id")
    )
)
_PROCESS = Statement.of(
    sa.select(_processes.name, _processes.stages, _processes.active).where(
        _processes.id == sa.bindparam("process_id")
    )
)
_TOUCHPOINT = Statement.of(
    sa.select(
        _touchpoints.name, _touchpoints.process_id, _touchpoints.kind, _touchpoints.active
    ).where(_touchpoints.id == sa.bindparam("touchpoint_id"))
)
_SAME_DAY = (
    _responses.respondent_key == sa.bindparam("key"),
    _responses.local_day == sa.bindparam("day"),
)
_DONE_AT_TOUCHPOINT = Statement.of(
    sa.select(sa.func.count()).where(*_SAME_DAY, _responses.touchpoint_id == sa.bindparam("target"))
)
_DONE_FOR_PROCESS = Statement.of(
    sa.select(sa.func.count()).where(
        *_SAME_DAY,
        _responses.process_id == sa.bindparam("target"),
        _responses.touchpoint_id.is_(None),
    )
)
_INSERT_RESPONSE = Statement.of(
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
_INSERT_ANSWER = Statement.of(
    sa.insert(cast(sa.Table, ResponseAnswer.__table__)).values(
        binds("response_id", "question", "value_int", "value_text", "choices")
    )
)


async def _definition(db: Direct, questionnaire_id: int) -> QuestionnaireDefinition:
    """Each stored version is read once per database: its rows never change."""
    memo = engine_memo(db, "questionnaire_definitions")
    definition = memo.get(questionnaire_id)
    if definition is None:
        row = await db.row(_VERSION, {"questionnaire_id": questionnaire_id})
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


async def _labels(
    db: Direct, touchpoint_id: int | None, process_id: int | None
) -> tuple[str, tuple[str, ...]]:
    """The name shown above each question and the process stages, reused for a minute."""

    async def load() -> tuple[str, tuple[str, ...]]:
        name, stages = "", cast(tuple[str, ...], ())
        process = await db.row(_PROCESS, {"process_id": process_id}) if process_id else None
        if process is not None:
            name, stages = process[0], tuple(process[1] or [])
        if touchpoint_id is not None and process is not None:
            touchpoint = await db.row(_TOUCHPOINT, {"touchpoint_id": touchpoint_id})
            if touchpoint is not None and touchpoint[1] == process_id:
                name = f"{process[0]} — {touchpoint[0]}"
        return name, stages

    return await reused(db, "service_labels", (touchpoint_id, process_id), LABELS_TTL, load)


async def _remembered(db: Direct, key: str) -> frozenset[str]:
    """What the person has told once and for all, read once per transaction."""
    memo: dict[str, frozenset[str]] = db.info.setdefault("remembered", {})
    if key not in memo:
        known = await profiles.segment_of(db, key)
        memo[key] = frozenset({"segment"}) if known and known[1] else frozenset()
    return memo[key]


async def _channel(db: Direct, touchpoint_id: int | None) -> str:
    """The touchpoint's channel (its kind) for the response row, reused like the labels."""
    if touchpoint_id is None:
        return "none"

    async def load() -> str:
        touchpoint = await db.row(_TOUCHPOINT, {"touchpoint_id": touchpoint_id})
        return str(touchpoint[2].value) if touchpoint is not None else "none"

    return await reused(db, "touchpoint_channels", touchpoint_id, LABELS_TTL, load)


async def _context(db: Direct, key: str, process_id: int | None) -> AskingContext:
    remembered = await _remembered(db, key)
    _name, stages = await _labels(db, None, process_id)
    return AskingContext(stages=stages, remembered=remembered)


async def _view(db: Direct, attempt: Attempt) -> QuestionView:
    definition = await _definition(db, attempt.questionnaire_id)
    name, _stages = await _labels(db, attempt.touchpoint_id, attempt.process_id)
    return QuestionView(
        session_id=attempt.id,
        version=attempt.step,
        index=attempt.path[-1],
        number=len(attempt.path),
        definition=definition,
        context=await _context(db, attempt.respondent_key, attempt.process_id),
        selected=tuple(attempt.answers.get("_selected", [])),
        message_id=attempt.message_id,
        target_name=name,
    )


async def responses_today(
    db: Direct, key: str, *, touchpoint_id: int | None, process_id: int | None, day: date
) -> int:
    statement = _DONE_AT_TOUCHPOINT if touchpoint_id is not None else _DONE_FOR_PROCESS
    target = touchpoint_id if touchpoint_id is not None else process_id
    return int(await db.scalar(statement, {"key": key, "day": day, "target": target}) or 0)


async def open_session_of(session: AsyncSession | Direct, key: str) -> Attempt | None:
    return await attempts.open_of(as_direct(session), key)


async def _target(
    db: Direct, touchpoint_id: int | None, process_id: int | None
) -> tuple[int | None, int] | None:
    """(touchpoint, process) when the service is being rated now, else None."""
    if touchpoint_id:
        touchpoint = await db.row(_TOUCHPOINT, {"touchpoint_id": touchpoint_id})
        if touchpoint is None or not touchpoint[3]:
            return None
        process_id = touchpoint[1]
    else:
        touchpoint_id = None
    process = await db.row(_PROCESS, {"process_id": process_id}) if process_id else None
    if process is None or not process[2] or process_id is None:
        return None
    return touchpoint_id, process_id


async def start_survey(
    session: AsyncSession | Direct,
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
    db = as_direct(session)
    target = await _target(db, touchpoint_id, process_id)
    if target is None:
        return StepResult(Outcome.UNAVAILABLE)
    touchpoint_id, process_id = target
    questionnaire_id = await db.scalar(_CURRENT_VERSION, {"code": questionnaire_code})
    if questionnaire_id is None:
        return StepResult(Outcome.UNAVAILABLE)

    existing = await attempts.open_of(db, key)
    if existing is not None:
        same_target = (
            existing.questionnaire_id == questionnaire_id
            and existing.touchpoint_id == touchpoint_id
            and existing.process_id == process_id
        )
        if same_target and existing.expires_at > now:
            return StepResult(Outcome.QUESTION, await _view(db, existing), resumed=True)
        await attempts.abandon(db, existing, now)

    done_today = await responses_today(
        db, key, touchpoint_id=touchpoint_id, process_id=process_id, day=local_day(now, policy.tz)
    )
    if done_today >= policy.daily_limit:
        return StepResult(Outcome.LIMIT)

    definition = await _definition(db, questionnaire_id)
    context = await _context(db, key, process_id)
    first = next_question(definition, {}, -1, context)
    assert first is not None, "a questionnaire always has its primary question"
    attempt = await attempts.create(
        db,
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
    return StepResult(Outcome.QUESTION, await _view(db, attempt))


async def _load_open(db: Direct, key: str, attempt_id: int, now: datetime) -> Attempt | StepResult:
    attempt = await attempts.load(db, attempt_id)
    if attempt is None or attempt.respondent_key != key:
        return StepResult(Outcome.STALE)
    if attempt.status == SessionStatus.COMPLETED:
        # A tap on the keyboard of a finished questionnaire: a double tap on the last
        # answer, or a retry after the thanks was lost in a crash. Say it is saved.
        flags = await profiles.opt_ins(db, key)
        return StepResult(Outcome.ALREADY_DONE, extra={"session_id": attempt.id, "opt_in": flags})
    if attempt.status != SessionStatus.OPEN:
        return StepResult(Outcome.STALE)
    if attempt.expires_at <= now:
        await attempts.abandon(db, attempt, now)
        return StepResult(Outcome.EXPIRED)
    return attempt


async def press_button(
    session: AsyncSession | Direct,
    policy: SurveyPolicy,
    key: str,
    *,
    session_id: int,
    version: int,
    raw: str,
    now: datetime,
) -> StepResult:
    """Apply one button press: an answer, a toggle, back, skip or done."""
    db = as_direct(session)
    loaded = await _load_open(db, key, session_id, now)
    if isinstance(loaded, StepResult):
        return loaded
    attempt = loaded
    view = await _view(db, attempt)
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
            return await _advance(db, attempt, version, path, answers, [])
        if raw.startswith(TOGGLE):
            selected = toggle_choice(question, selected, raw[len(TOGGLE) :])
            return await _advance(db, attempt, version, path, answers, selected)
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
    return await _record(db, policy, attempt, view, version, answers, value, now)


def definition_id(view: QuestionView, index: int) -> str:
    return view.definition.questions[index].id


async def answer_text(
    session: AsyncSession | Direct, policy: SurveyPolicy, key: str, *, text: str, now: datetime
) -> StepResult:
    """A typed message: the answer to a free-text question, or a hint to use the buttons."""
    db = as_direct(session)
    found = await attempts.open_of(db, key)
    if found is None:
        return StepResult(Outcome.NO_SESSION)
    loaded = await _load_open(db, key, found.id, now)
    if isinstance(loaded, StepResult):
        return loaded
    attempt = loaded
    view = await _view(db, attempt)
    if view.question.kind != QuestionKind.TEXT:
        return StepResult(Outcome.EXPECTS_BUTTON, view)
    cleaned = visible(text)
    if len(cleaned) > view.question.max_length:
        return StepResult(Outcome.TOO_LONG, view, extra={"limit": view.question.max_length})
    if not cleaned:
        return StepResult(Outcome.REJECTED, view)
    answers = {k: v for k, v in attempt.answers.items() if k != "_selected"}
    return await _record(db, policy, attempt, view, attempt.step, answers, cleaned, now)


async def _advance(
    db: Direct,
    attempt: Attempt,
    version: int,
    path: list[int],
    answers: dict[str, Any],
    selected: list[str],
) -> StepResult:
    stored = {**answers, "_selected": selected} if selected else answers
    if not await attempts.claim_next(db, attempt, version, path, stored):
        return StepResult(Outcome.STALE)
    return StepResult(Outcome.QUESTION, await _view(db, attempt))


async def _record(
    db: Direct,
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
        return await _advance(db, attempt, version, [*attempt.path, following], answers, [])
    if not await attempts.claim_finish(db, attempt, version, answers, now):
        return StepResult(Outcome.STALE)
    response_id = await _store_response(db, policy, attempt, view, answers, now)
    return StepResult(Outcome.COMPLETED, response_id=response_id, extra={"session_id": attempt.id})


async def _store_response(
    db: Direct,
    policy: SurveyPolicy,
    attempt: Attempt,
    view: QuestionView,
    answers: dict[str, Any],
    now: datetime,
) -> int:
    definition = view.definition
    key = attempt.respondent_key
    known = await profiles.segment_of(db, key)
    if known is None:
        await profiles.ensure(db, key, now)
    segment = known[0] if known else None
    for question in definition.questions:
        if question.remember == "segment" and question.id in answers:
            told = answers[question.id]
            await profiles.segment_told(db, key, told)
            db.info.pop("remembered", None)
            if told is not None:
                segment = told
    rating = answers.get(definition.primary.id)
    day = local_day(now, policy.tz)
    stored = StoredResponse(
        id=0,
        questionnaire_id=attempt.questionnaire_id,
        respondent_key=key,
        process_id=attempt.process_id,
        touchpoint_id=attempt.touchpoint_id,
        client_type=ClientType(definition.audience),
        channel=await _channel(db, attempt.touchpoint_id),
        segment=segment,
        department_id=attempt.department_id,
        rating=rating if isinstance(rating, int) else None,
        month=day.replace(day=1),
    )
    stored.id = int(
        await db.scalar(
            _INSERT_RESPONSE,
            {
                "session_id": attempt.id,
                "questionnaire_id": stored.questionnaire_id,
                "respondent_key": key,
                "process_id": stored.process_id,
                "touchpoint_id": stored.touchpoint_id,
                "client_type": stored.client_type,
                "channel": stored.channel,
                "segment": stored.segment,
                "department_id": stored.department_id,
                "rating": stored.rating,
                "month": stored.month,
                "local_day": day,
                "submitted_at": now,
            },
        )
    )
    for question in definition.questions:
        if answers.get(question.id) is not None:
            await db.run(_INSERT_ANSWER, _answer_row(stored.id, question, answers[question.id]))
    if definition.indexed:
        await count_in_rollup(db, stored, definition.scale.max)
    if definition.audience == "external":
        if policy.after_client_response is not None:
            await policy.after_client_response(db, stored, answers, now)
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


async def set_message(session: AsyncSession | Direct, session_id: int, message_id: int) -> None:
    await attempts.set_message(as_direct(session), session_id, message_id)


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
    if not value:  # withdrawn: what the consent allowed keeps the chat no longer
        await forget_chat(session, chat_id, ANSWER_KINDS if kind == "answer" else INVITATION_KINDS)
        if kind == "recontact":
            await forget_invites(session, chat_id, consented=True)
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
