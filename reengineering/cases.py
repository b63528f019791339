"""Reengineering cases: opening on a ground, moving through the template's steps, closing.

A case is the research → design → implementation workflow of one process (seed 003). Its
steps are the rows of a workflow template; due dates come from the production calendar
through :func:`reengineering.templates.plan_steps` and are recomputed after every event,
so a late completion, a return for revision or a granted extension moves what follows.

Service functions take an :class:`AsyncSession` and never commit: the caller's unit of
work does, and every message they cause is queued through the transactional outbox in the
same transaction (a rolled-back event tells nobody anything). Time is always given by the
caller (``on`` — the business day; ``at`` — the moment, for the audit trail).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, tzinfo
from functools import lru_cache
from html import escape
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from reengineering.calendar import WorkingCalendar, default_calendar
from reengineering.reminders import due_phrase, format_date
from reengineering.templates import (
    ACTOR_TITLES,
    OUTCOME_TITLES,
    STAGE_TITLES,
    StageTemplate,
    StepTemplate,
    load_template,
    plan_steps,
)
from storage.cases_models import (
    CaseDocument,
    CaseEvent,
    CaseExtension,
    CaseGround,
    CaseStatus,
    CaseStep,
    ExtensionStatus,
    Ground,
    PlanItem,
    PlanItemStatus,
    ReengineeringCase,
    StepStatus,
)
from storage.catalog import REVIEW_PERIOD_YEARS, add_years
from storage.models import DeclineDetection, OutboxLane, Person, Process
from storage.outbox import enqueue
from storage.recipients import Recipient, officer_recipients, person_recipient, recipient_of
from surveys.text import is_blank, visible

__all__ = [
    "DEFAULT_TEMPLATE",
    "GROUND_TITLES",
    "IMPL_STEP",
    "MEETING_STEP",
    "PLAN_STEP",
    "SECTION_TITLES",
    "STATUS_TITLES",
    "SURVEY_LIST_STEP",
    "SURVEY_STEP",
    "AuditEntry",
    "CaseError",
    "CaseSummary",
    "CaseView",
    "DocumentView",
    "ExtensionView",
    "GroundView",
    "OpenResult",
    "PlanItemView",
    "StepView",
    "Transition",
    "acting",
    "attach_document",
    "case_number",
    "case_view",
    "cases_for_officer",
    "cases_for_owner",
    "complete_step",
    "decide_extension",
    "officer_chats",
    "open_case",
    "open_cases_from_detections",
    "owner_chat",
    "record_decision",
    "refresh_case",
    "request_extension",
    "schedule_meeting",
    "template_of",
]

DEFAULT_TEMPLATE = "seed003"
# Steps of seed 003 that other features hang on (the template may name them differently;
# features that need one check that it exists).
SURVEY_STEP = "R3"  # п. 2.2.2: survey of clients and performers
SURVEY_LIST_STEP = "R4"  # п. 2.2.3: lists of difficulties, needs, best practices
PLAN_STEP = "D4"  # п. 3.4: the action plan
MEETING_STEP = "D5"  # п. 3.6: the plan at the next working-group meeting
IMPL_STEP = "IMPL"  # п. 4.1: implementation of the plan

GROUND_TITLES: dict[str, str] = {
    Ground.INSTRUCTION: "поручение Главы или ответственного по клиентоцентричности",
    Ground.DECLINE: (
        "устойчивое снижение удовлетворённости клиентов процессом более трёх месяцев подряд"
    ),
    Ground.REVIEW_DUE: "наступление срока пересмотра процесса",
}
STATUS_TITLES: dict[str, str] = {
    StepStatus.PENDING: "ожидает",
    StepStatus.ACTIVE: "в работе",
    StepStatus.DONE: "выполнен",
    StepStatus.SKIPPED: "не требуется",
}
SECTION_TITLES: dict[int, str] = {
    1: "Организационные мероприятия",
    2: "Изменение нормативных правовых актов",
    3: "Информационные системы и инфраструктура",
    4: "Иные мероприятия",
}

# Templates passed as objects (tests, organisations' own files) are remembered by id so a
# case can find its template again within the process.
_KNOWN_TEMPLATES: dict[str, StageTemplate] = {}


class CaseError(Exception):
    """A request the case cannot accept; the message is Russian, for the person."""


# ------------------------------------------------------------------------------- views


@dataclass(frozen=True)
class OpenResult:
    """What opening did: a new case, or the ground linked to the process's open case."""

    case_id: int
    created: bool
    linked: bool = False


@dataclass(frozen=True)
class Transition:
    """What an event changed: steps that became active, and the outcome when the case ended."""

    case_id: int
    activated: tuple[str, ...] = ()
    outcome: str | None = None


@dataclass(frozen=True)
class StepView:
    """One step as the UI shows it."""

    step_id: str
    title: str
    stage: str
    stage_title: str
    clause: str | None
    produces: str
    actor: str
    actor_title: str
    status: str
    status_title: str
    started_on: date | None
    due_on: date | None
    due_note: str | None
    done_on: date | None
    done_by: str | None
    decision: str | None
    decision_title: str | None
    options: tuple[tuple[str, str, bool], ...]
    revision_due: date | None
    reopened: bool
    acting: str
    acting_title: str
    extended: bool
    overdue: bool
    data_warning: str | None


@dataclass(frozen=True)
class DocumentView:
    id: int
    step_id: str
    original_name: str
    telegram_file_id: str | None
    file_path: str | None
    uploaded_by: str | None
    uploaded_at: datetime


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    on_day: date
    actor_id: int | None
    actor: str | None
    action: str
    step_id: str | None
    details: dict[str, Any]


@dataclass(frozen=True)
class GroundView:
    ground: str
    title: str
    arose_on: date
    opened: bool
    detection_id: int | None


@dataclass(frozen=True)
class ExtensionView:
    id: int
    step_id: str
    reason: str
    proposed_due: date | None
    status: str
    requested_by: str | None
    new_due: date | None
    comment: str | None


@dataclass(frozen=True)
class PlanItemView:
    """A measure of the action plan with its annex number (1.1, 1.2, 2.1 …)."""

    id: int
    number: str
    section: int
    section_title: str
    measure: str
    due_on: date
    responsible_name: str
    responsible_id: int | None
    expected_result: str
    report_document: str
    status: str
    done_on: date | None
    prototype_step: int | None
    overdue: bool


@dataclass(frozen=True)
class CaseView:
    """Everything the UI shows about a case."""

    id: int
    number: str
    process_id: int
    process_name: str
    owner_id: int | None
    owner_name: str | None
    ground: str
    ground_title: str
    arose_on: date
    status: str
    outcome: str | None
    outcome_title: str | None
    closed_on: date | None
    uses_digital_service: bool
    steps: tuple[StepView, ...]
    grounds: tuple[GroundView, ...]
    documents: tuple[DocumentView, ...]
    audit: tuple[AuditEntry, ...]
    plan_items: tuple[PlanItemView, ...]
    extensions: tuple[ExtensionView, ...]

    @property
    def active_steps(self) -> tuple[StepView, ...]:
        return tuple(step for step in self.steps if step.status == StepStatus.ACTIVE)

    @property
    def overdue(self) -> bool:
        return any(step.overdue for step in self.steps) or any(
            item.overdue for item in self.plan_items
        )

    def step(self, step_id: str) -> StepView:
        """The step with this id (KeyError if none)."""
        for step in self.steps:
            if step.step_id == step_id:
                return step
        raise KeyError(step_id)


@dataclass(frozen=True)
class CaseSummary:
    """A line of a case list."""

    id: int
    number: str
    process_id: int
    process_name: str
    ground: str
    status: str
    outcome: str | None
    active_steps: tuple[str, ...]
    next_due: date | None
    overdue: bool
    overdue_steps: tuple[str, ...] = field(default=())


# ----------------------------------------------------------------------------- helpers


def case_number(case_id: int) -> str:
    """How a case is named to people."""
    return f"№ {case_id}"


@lru_cache(maxsize=16)
def _load_shipped(template_id: str) -> StageTemplate:
    return load_template(template_id)


def template_of(template_id: str) -> StageTemplate:
    """The template a case follows, by its stored id."""
    known = _KNOWN_TEMPLATES.get(template_id)
    return known if known is not None else _load_shipped(template_id)


def _calendar(calendar: WorkingCalendar | None) -> WorkingCalendar:
    return calendar if calendar is not None else default_calendar()


def _moment(on: date, at: datetime | None) -> datetime:
    """The audit moment: the caller's, or midnight UTC of the business day."""
    return at if at is not None else datetime.combine(on, time.min, tzinfo=UTC)


def _data_warning(day: date | None) -> str | None:
    return WorkingCalendar.data_warning(day.year) if day is not None else None


async def _case(session: AsyncSession, case_id: int) -> ReengineeringCase:
    case = await session.get(ReengineeringCase, case_id)
    if case is None:
        raise CaseError(f"Реинжиниринг {case_number(case_id)} не найден.")
    return case


async def _open_case(session: AsyncSession, case_id: int) -> ReengineeringCase:
    case = await _case(session, case_id)
    if case.status != CaseStatus.OPEN:
        raise CaseError(f"Реинжиниринг {case_number(case_id)} уже завершён.")
    return case


async def _process(session: AsyncSession, process_id: int) -> Process:
    process = await session.get(Process, process_id)
    if process is None:
        raise CaseError("Процесс не найден в реестре.")
    return process


async def _steps(session: AsyncSession, case_id: int) -> dict[str, CaseStep]:
    rows = await session.scalars(
        sa.select(CaseStep).where(CaseStep.case_id == case_id).order_by(CaseStep.position)
    )
    return {row.step_code: row for row in rows}


def _template_step(template: StageTemplate, step_id: str) -> StepTemplate:
    try:
        return template.step(step_id)
    except KeyError:
        raise CaseError(f"В порядке реинжиниринга нет шага {step_id}.") from None


async def _person(session: AsyncSession, person_id: int | None) -> Person | None:
    return await session.get(Person, person_id) if person_id is not None else None


def _name(person: Person | None) -> str | None:
    if person is None:
        return None
    if person.full_name:
        return person.full_name
    if person.username:
        return f"@{person.username}"
    return f"сотрудник id {person.id}"


async def officer_chats(session: AsyncSession) -> list[Recipient]:
    """The client-centricity officers; messages to those not reachable yet wait for them."""
    return await officer_recipients(session)


async def owner_chat(session: AsyncSession, process: Process) -> Recipient | None:
    """The process owner, reachable or not (`held` says why not); None without an owner."""
    return await person_recipient(session, process.owner_id)


async def _audit(
    session: AsyncSession,
    case_id: int,
    action: str,
    *,
    on: date,
    at: datetime | None,
    actor_id: int | None = None,
    step_id: str | None = None,
    **details: Any,
) -> None:
    session.add(
        CaseEvent(
            case_id=case_id,
            step_code=step_id,
            actor_id=actor_id,
            action=action,
            details={key: _jsonable(value) for key, value in details.items()},
            on_day=on,
            at=_moment(on, at),
        )
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    return value


async def _notify(
    session: AsyncSession,
    chats: Iterable[Recipient],
    text: str,
    *,
    kind: str,
    key: str,
    lane: OutboxLane = OutboxLane.ALERT,
) -> int:
    """Queue one message per distinct recipient; ``key`` gets the chat (or person) appended."""
    queued = 0
    for chat in dict.fromkeys(chats):
        if await enqueue(
            session, chat_id=chat, text=text, kind=kind, lane=lane, dedupe_key=f"{key}:{chat}"
        ):
            queued += 1
    return queued


def acting(step: StepTemplate, row: CaseStep) -> str:
    """Who acts on a step now: a step returned for revision is the owner's to redo (§3.4)."""
    return "owner" if row.reopened else step.actor


def _may_act(step: StepTemplate, row: CaseStep, person: Person | None, process: Process) -> bool:
    """Officers act on every step (they record working-group decisions); owners on theirs."""
    if person is None:
        return False
    if person.is_officer:
        return True
    return acting(step, row) == "owner" and process.owner_id == person.id


async def _actor_for(
    session: AsyncSession, step: StepTemplate, row: CaseStep, actor_id: int, process: Process
) -> Person:
    person = await _person(session, actor_id)
    if person is None or not _may_act(step, row, person, process):
        who = ACTOR_TITLES[step.actor]
        raise CaseError(
            f"Шаг {step.id} «{step.title}» отмечает {who}"
            + (
                " (решения рабочей группы вносит ответственный по клиентоцентричности)."
                if step.actor == "working_group"
                else "."
            )
        )
    return person


def _plan_end(items: Sequence[PlanItem]) -> date | None:
    dates = [item.due_on for item in items if item.status != PlanItemStatus.CANCELLED]
    return max(dates) if dates else None


async def _plan_items(session: AsyncSession, case_id: int) -> list[PlanItem]:
    rows = await session.scalars(
        sa.select(PlanItem)
        .where(PlanItem.case_id == case_id)
        .order_by(PlanItem.section, PlanItem.position, PlanItem.id)
    )
    return list(rows)


# ------------------------------------------------------------------------ recomputation


async def refresh_case(
    session: AsyncSession,
    case: ReengineeringCase,
    *,
    on: date,
    at: datetime | None = None,
    calendar: WorkingCalendar | None = None,
) -> tuple[str, ...]:
    """Recompute every step's status and due date; tell people about newly active steps.

    Returns the ids of the steps that became active. Called after each event; safe to call
    any time (nothing changes when nothing happened).
    """
    cal = _calendar(calendar)
    template = template_of(case.template_id)
    rows = await _steps(session, case.id)
    plan_end = _plan_end(await _plan_items(session, case.id))
    done = {code: row.done_on for code, row in rows.items() if row.done_on is not None}
    decisions = {code: row.decision for code, row in rows.items() if row.decision}
    revisions = {code: row.revision_due for code, row in rows.items() if row.revision_due}
    entered: dict[str, date] = {}
    for step in template.steps:
        row = rows[step.id]
        if step.deadline_days is not None:
            continue
        if step.clock.event == "meeting":
            if row.entered_due is not None:
                entered[step.id] = row.entered_due
        elif (value := row.entered_due or plan_end) is not None:
            entered[step.id] = value
    plans = plan_steps(
        template,
        case.arose_on,
        done,
        decisions,
        cal,
        entered_dates=entered,
        revision_deadlines=revisions,
    )
    activated: list[str] = []
    closed = case.status == CaseStatus.CLOSED
    for step in template.steps:
        row = rows[step.id]
        plan = plans[step.id]
        if plan.done is not None:
            status = StepStatus.DONE
        elif closed:
            status = StepStatus.SKIPPED
        elif plan.started is not None:
            status = StepStatus.ACTIVE
        else:
            status = StepStatus.PENDING
        due = plan.due
        if status == StepStatus.ACTIVE and row.status != StepStatus.ACTIVE:
            row.activation += 1
            row.activated_on = on
            row.extended_due = None
            activated.append(step.id)
            meeting = row.entered_due if step.clock.event == "meeting" else None
            if meeting is not None and plan.started is not None and meeting < plan.started:
                # The meeting of an earlier pass (before a return for revision) is over.
                row.entered_due = None
                due = None
        row.status = status
        row.reopened = status == StepStatus.ACTIVE and plan.reopened
        row.started_on = plan.started
        row.due_on = row.extended_due if status == StepStatus.ACTIVE and row.extended_due else due
    await session.flush()
    if activated:
        process = await _process(session, case.process_id)
        for step_id in activated:
            row = rows[step_id]
            await _audit(
                session, case.id, "step_activated", on=on, at=at, step_id=step_id,
                due=row.due_on, reopened=plans[step_id].reopened,
            )  # fmt: skip
            await _announce_step(session, case, process, template.step(step_id), row, cal)
    return tuple(activated)


def _step_text(
    case: ReengineeringCase,
    process: Process,
    step: StepTemplate,
    row: CaseStep,
    calendar: WorkingCalendar,
    *,
    recipient: str,
) -> str:
    """What is expected now: step title, what it produces, the due date with its length."""
    doer = acting(step, row)
    if doer == recipient:
        who = "от вас"
    elif doer == "working_group" and recipient == "officer":
        who = "(рабочая группа; решение вносите вы)"
    else:
        who = f"({ACTOR_TITLES[doer]})"
    clause = f" ({step.clause})" if step.clause else ""
    lines = [
        f"📌 Реинжиниринг {case_number(case.id)}: «{escape(process.name)}».",
        f"Этап «{STAGE_TITLES[step.stage]}», шаг {step.id}{clause}: {escape(step.title)}.",
    ]
    if row.reopened:
        lines.append(
            "Материалы возвращены на доработку: ответственный за процесс дорабатывает их "
            "и направляет повторно в срок, установленный решением."
        )
    lines.append(f"Ожидается {who}: {escape(step.produces)}.")
    if row.due_on is not None:
        lines.append(f"Срок: {due_phrase(row.due_on, row.started_on, calendar)}.")
        if warning := _data_warning(row.due_on):
            lines.append(warning)
    elif step.due_note:
        lines.append(f"Срок: {step.due_note} (дата будет указана).")
    if step.decision is not None:
        options = "; ".join(option.title for option in step.decision.options)
        lines.append(f"Варианты решения: {options}.")
    return "\n".join(lines)


async def _announce_step(
    session: AsyncSession,
    case: ReengineeringCase,
    process: Process,
    step: StepTemplate,
    row: CaseStep,
    calendar: WorkingCalendar,
) -> None:
    """The owner hears about every step; officers about the steps they or the group take.

    While Telegram cannot reach the owner, their message waits for them and the officers
    hear about the owner's steps.
    """
    key = f"case:{case.id}:{step.id}:{row.activation}"
    owner = await owner_chat(session, process)
    to_officers = step.actor != "owner" or owner is None or owner.held is not None
    officers = await officer_chats(session) if to_officers else []
    if owner is not None:
        text = _step_text(case, process, step, row, calendar, recipient="owner")
        await _notify(session, [owner], text, kind="case_step", key=key)
    if officers:
        text = _step_text(case, process, step, row, calendar, recipient="officer")
        await _notify(session, [c for c in officers if c != owner], text, kind="case_step", key=key)


# ------------------------------------------------------------------------------ opening


async def open_case(
    session: AsyncSession,
    process_id: int,
    ground: Ground | str,
    *,
    arose_on: date,
    actor_id: int | None = None,
    detection_id: int | None = None,
    template: StageTemplate | str | None = None,
    on: date | None = None,
    at: datetime | None = None,
    calendar: WorkingCalendar | None = None,
) -> OpenResult:
    """Open a case on a ground, or link the ground to the process's open case.

    At most one case per process is open; a second ground is recorded on the open case
    (audit trail and its grounds) instead. A decline detection is consumed once: passing the
    same ``detection_id`` again changes nothing. ``on`` is the day of opening (default: the
    day the ground arose).
    """
    ground = Ground(ground)
    day = on or arose_on
    process = await _process(session, process_id)
    if detection_id is not None:
        seen = await session.scalar(
            sa.select(CaseGround.case_id).where(CaseGround.detection_id == detection_id)
        )
        if seen is not None:
            return OpenResult(seen, created=False, linked=False)
    existing = await _open_case_of(session, process_id)
    if existing is not None:
        return await _link_ground(
            session, existing, process, ground, arose_on, actor_id, detection_id, day, at
        )
    if not process.active:
        raise CaseError(f"Процесс «{process.name}» исключён из реестра: реинжиниринг не открыт.")
    if isinstance(template, StageTemplate):
        _KNOWN_TEMPLATES[template.id] = template
        stage_template = template
    else:
        stage_template = template_of(template or DEFAULT_TEMPLATE)
    case = ReengineeringCase(
        process_id=process_id,
        template_id=stage_template.id,
        ground=ground,
        arose_on=arose_on,
        status=CaseStatus.OPEN,
        opened_at=_moment(day, at),
        opened_by_id=actor_id,
        detection_id=detection_id,
    )
    try:
        async with session.begin_nested():
            session.add(case)
            await session.flush()
    except IntegrityError:
        # Another transaction opened a case for this process meanwhile: link to it.
        existing = await _open_case_of(session, process_id)
        if existing is None:
            raise
        return await _link_ground(
            session, existing, process, ground, arose_on, actor_id, detection_id, day, at
        )
    for position, step in enumerate(stage_template.steps):
        session.add(
            CaseStep(
                case_id=case.id,
                step_code=step.id,
                position=position,
                status=StepStatus.PENDING,
                activation=0,
            )
        )
    session.add(
        CaseGround(
            case_id=case.id,
            ground=ground,
            arose_on=arose_on,
            opened=True,
            detection_id=detection_id,
            actor_id=actor_id,
            recorded_at=_moment(day, at),
        )
    )
    await _audit(
        session, case.id, "opened", on=day, at=at, actor_id=actor_id,
        ground=ground.value, arose_on=arose_on, detection_id=detection_id,
        template=stage_template.id,
    )  # fmt: skip
    await session.flush()
    text = "\n".join(
        [
            f"🆕 Открыт реинжиниринг {case_number(case.id)}: «{escape(process.name)}».",
            f"Основание: {GROUND_TITLES[ground]} (возникло {format_date(arose_on)}).",
            f"Порядок: {escape(stage_template.title)}.",
        ]
    )
    owner = await owner_chat(session, process)
    chats = [*([owner] if owner is not None else []), *await officer_chats(session)]
    await _notify(session, chats, text, kind="case_opened", key=f"case:{case.id}:opened")
    await refresh_case(session, case, on=day, at=at, calendar=calendar)
    return OpenResult(case.id, created=True)


async def _open_case_of(session: AsyncSession, process_id: int) -> ReengineeringCase | None:
    return await session.scalar(
        sa.select(ReengineeringCase).where(
            ReengineeringCase.process_id == process_id,
            ReengineeringCase.status == CaseStatus.OPEN,
        )
    )


async def _link_ground(
    session: AsyncSession,
    case: ReengineeringCase,
    process: Process,
    ground: Ground,
    arose_on: date,
    actor_id: int | None,
    detection_id: int | None,
    on: date,
    at: datetime | None,
) -> OpenResult:
    """Record a further ground on the open case (once per ground and date)."""
    duplicate = await session.scalar(
        sa.select(CaseGround.id).where(
            CaseGround.case_id == case.id,
            CaseGround.ground == ground,
            CaseGround.arose_on == arose_on,
            CaseGround.detection_id.is_(None) if detection_id is None else sa.false(),
        )
    )
    if duplicate is not None:
        return OpenResult(case.id, created=False, linked=False)
    session.add(
        CaseGround(
            case_id=case.id,
            ground=ground,
            arose_on=arose_on,
            opened=False,
            detection_id=detection_id,
            actor_id=actor_id,
            recorded_at=_moment(on, at),
        )
    )
    await _audit(
        session, case.id, "ground_linked", on=on, at=at, actor_id=actor_id,
        ground=ground.value, arose_on=arose_on, detection_id=detection_id,
    )  # fmt: skip
    await session.flush()
    text = (
        f"К открытому реинжинирингу {case_number(case.id)} «{escape(process.name)}» добавлено "
        f"основание: {GROUND_TITLES[ground]} (возникло {format_date(arose_on)}). "
        "Новый реинжиниринг не открывается."
    )
    await _notify(
        session,
        await officer_chats(session),
        text,
        kind="case_ground_linked",
        key=f"case:{case.id}:ground:{ground.value}:{arose_on.isoformat()}:{detection_id or 0}",
    )
    return OpenResult(case.id, created=False, linked=True)


async def open_cases_from_detections(
    session: AsyncSession,
    now: datetime,
    *,
    tz: tzinfo = UTC,
    calendar: WorkingCalendar | None = None,
) -> list[OpenResult]:
    """Open (or link) a case for every process-level decline detection not yet consumed.

    The ground arose on the day of detection (local date in ``tz``); inactive processes
    are left alone.
    """
    consumed = sa.select(CaseGround.detection_id).where(CaseGround.detection_id.is_not(None))
    rows = await session.scalars(
        sa.select(DeclineDetection)
        .join(Process, Process.id == DeclineDetection.process_id)
        .where(
            DeclineDetection.level == "process",
            Process.active,
            DeclineDetection.id.not_in(consumed),
        )
        .order_by(DeclineDetection.detected_at, DeclineDetection.id)
    )
    today = now.astimezone(tz).date()
    results: list[OpenResult] = []
    for detection in list(rows):
        arose = detection.detected_at.astimezone(tz).date()
        results.append(
            await open_case(
                session,
                detection.process_id,
                Ground.DECLINE,
                arose_on=min(arose, today),
                detection_id=detection.id,
                on=today,
                at=now,
                calendar=calendar,
            )
        )
    return results


# ------------------------------------------------------------------------------- events


async def _close(
    session: AsyncSession,
    case: ReengineeringCase,
    process: Process,
    outcome: str,
    *,
    on: date,
    at: datetime | None,
    actor_id: int | None,
) -> None:
    """End the case; the registry follows (review date moves, or the process is excluded)."""
    case.status = CaseStatus.CLOSED
    case.outcome = outcome
    case.closed_on = on
    if outcome == "excluded":
        process.active = False
    else:
        # The procedure was carried out (with or without changes): the three-year review
        # period starts again, so the review-date trigger does not reopen it at once.
        process.last_reengineering = on
        process.review_due = add_years(on, REVIEW_PERIOD_YEARS)
    await _audit(
        session, case.id, "closed", on=on, at=at, actor_id=actor_id, outcome=outcome,
        review_due=process.review_due if outcome != "excluded" else None,
    )  # fmt: skip
    lines = [
        f"🏁 Реинжиниринг {case_number(case.id)} «{escape(process.name)}»: "
        f"{OUTCOME_TITLES[outcome]}.",
    ]
    if outcome == "excluded":
        lines.append(
            "Процесс отмечен как исключённый; ответственный за процесс выполняет действия по "
            "исключению его из Реестра процессов."
        )
    elif process.review_due is not None:
        lines.append(
            f"Следующий пересмотр процесса — не позднее {format_date(process.review_due)}."
        )
    owner = await owner_chat(session, process)
    chats = [*([owner] if owner is not None else []), *await officer_chats(session)]
    await _notify(
        session, chats, "\n".join(lines), kind="case_closed", key=f"case:{case.id}:closed"
    )


async def _active_row(
    session: AsyncSession, case: ReengineeringCase, step: StepTemplate
) -> CaseStep:
    rows = await _steps(session, case.id)
    row = rows.get(step.id)
    if row is None or row.status != StepStatus.ACTIVE:
        raise CaseError(f"Шаг {step.id} «{step.title}» сейчас не ожидается.")
    return row


async def complete_step(
    session: AsyncSession,
    case_id: int,
    step_id: str,
    actor_id: int,
    *,
    on: date,
    at: datetime | None = None,
    comment: str | None = None,
    calendar: WorkingCalendar | None = None,
) -> Transition:
    """Mark an active step without a decision as done on ``on``; the plan follows."""
    case = await _open_case(session, case_id)
    template = template_of(case.template_id)
    step = _template_step(template, step_id)
    if step.decision is not None:
        raise CaseError(f"Шаг {step.id} завершается решением: выберите один из вариантов.")
    process = await _process(session, case.process_id)
    row = await _active_row(session, case, step)
    await _actor_for(session, step, row, actor_id, process)
    if row.started_on is not None and on < row.started_on:
        raise CaseError(
            f"Дата выполнения {format_date(on)} раньше начала шага ({format_date(row.started_on)})."
        )
    if step.id == IMPL_STEP:
        items = await _plan_items(session, case.id)
        open_items = [
            item for item in items
            if item.status not in (PlanItemStatus.DONE, PlanItemStatus.CANCELLED)
        ]  # fmt: skip
        if not items or open_items:
            raise CaseError(
                "Отчёт о реализации направляется после выполнения плана мероприятий: "
                f"не выполнено мероприятий — {len(open_items)}."
                if items
                else "В плане мероприятий нет ни одного мероприятия."
            )
    row.done_on = on
    row.done_by_id = actor_id
    await _audit(
        session, case.id, "step_done", on=on, at=at, actor_id=actor_id, step_id=step.id,
        comment=comment,
    )  # fmt: skip
    outcome = step.outcome
    if outcome is not None:
        await _close(session, case, process, outcome, on=on, at=at, actor_id=actor_id)
    activated = await refresh_case(session, case, on=on, at=at, calendar=calendar)
    return Transition(case.id, activated, outcome)


async def record_decision(
    session: AsyncSession,
    case_id: int,
    step_id: str,
    option: str,
    actor_id: int,
    *,
    on: date,
    revision_due: date | None = None,
    meeting_on: date | None = None,
    at: datetime | None = None,
    comment: str | None = None,
    calendar: WorkingCalendar | None = None,
) -> Transition:
    """Complete a deciding step with one of its template options.

    A return for revision needs ``revision_due`` (the date set in the decision); the step it
    returns to becomes active again with that deadline. ``meeting_on`` is the date of the
    working-group meeting that took the decision (default: ``on``) for working-group steps.
    An option with an outcome ends the case: "no_change" and "exclude" at R8C, and
    exclusion deactivates the process.
    """
    case = await _open_case(session, case_id)
    template = template_of(case.template_id)
    step = _template_step(template, step_id)
    if step.decision is None:
        raise CaseError(f"Шаг {step.id} не предполагает решения: отметьте его выполненным.")
    chosen = step.decision.option(option)
    if chosen is None:
        known = ", ".join(o.id for o in step.decision.options)
        raise CaseError(f"У шага {step.id} нет варианта решения «{option}» (варианты: {known}).")
    process = await _process(session, case.process_id)
    row = await _active_row(session, case, step)
    await _actor_for(session, step, row, actor_id, process)
    if row.started_on is not None and on < row.started_on:
        raise CaseError(
            f"Дата решения {format_date(on)} раньше начала шага ({format_date(row.started_on)})."
        )
    if chosen.revision:
        if revision_due is None:
            raise CaseError("Укажите срок доработки, установленный решением.")
        if revision_due < on:
            raise CaseError("Срок доработки не может быть раньше даты решения.")
    elif revision_due is not None:
        raise CaseError("Срок доработки указывается только при направлении на доработку.")
    row.done_on = on
    row.done_by_id = actor_id
    row.decision = chosen.id
    row.revision_due = revision_due
    row.meeting_on = (meeting_on or on) if step.actor == "working_group" else meeting_on
    await _audit(
        session, case.id, "decision", on=on, at=at, actor_id=actor_id, step_id=step.id,
        option=chosen.id, title=chosen.title, revision_due=revision_due,
        meeting_on=row.meeting_on, comment=comment,
    )  # fmt: skip
    if chosen.outcome is not None:
        await _close(session, case, process, chosen.outcome, on=on, at=at, actor_id=actor_id)
    activated = await refresh_case(session, case, on=on, at=at, calendar=calendar)
    if chosen.next == IMPL_STEP and not chosen.revision:
        await _send_approved_plan(session, case, process, on)
    return Transition(case.id, activated, chosen.outcome)


async def _send_approved_plan(
    session: AsyncSession, case: ReengineeringCase, process: Process, on: date
) -> None:
    """Seed 003 §3.8: the approved plan goes to every executor named in it."""
    from reengineering.plan import numbered_items  # plan imports this module

    views = numbered_items(await _plan_items(session, case.id), today=None)
    by_person: dict[int, list[PlanItemView]] = {}
    for view in views:
        if view.responsible_id is not None:
            by_person.setdefault(view.responsible_id, []).append(view)
    for person_id, items in by_person.items():
        person = await _person(session, person_id)
        if person is None:
            continue
        lines = [
            f"📋 Утверждён план мероприятий реинжиниринга {case_number(case.id)} "
            f"«{escape(process.name)}».",
            "Вам поручено:",
            *(f"{v.number} {escape(v.measure)} — до {format_date(v.due_on)}" for v in items),
        ]
        await _notify(
            session,
            [recipient_of(person)],
            "\n".join(lines),
            kind="plan_approved",
            key=f"plan:{case.id}:{on.isoformat()}",
        )


async def schedule_meeting(
    session: AsyncSession,
    case_id: int,
    meeting_on: date,
    actor_id: int,
    *,
    on: date,
    at: datetime | None = None,
    calendar: WorkingCalendar | None = None,
) -> None:
    """Enter the date of the working-group meeting that will consider the plan (step D5)."""
    case = await _open_case(session, case_id)
    template = template_of(case.template_id)
    person = await _person(session, actor_id)
    if person is None or not person.is_officer:
        raise CaseError(
            "Дату заседания рабочей группы вносит ответственный по клиентоцентричности."
        )
    meeting_steps = [s for s in template.steps if s.clock.event == "meeting"]
    if not meeting_steps:
        raise CaseError("В порядке реинжиниринга нет шага, приуроченного к заседанию.")
    step = meeting_steps[0]
    if meeting_on < on:
        raise CaseError("Дата заседания не может быть в прошлом.")
    rows = await _steps(session, case.id)
    row = rows[step.id]
    if row.status == StepStatus.DONE:
        raise CaseError(f"Шаг {step.id} уже выполнен.")
    row.entered_due = meeting_on
    await _audit(
        session, case.id, "meeting_scheduled", on=on, at=at, actor_id=actor_id,
        step_id=step.id, meeting_on=meeting_on,
    )  # fmt: skip
    await refresh_case(session, case, on=on, at=at, calendar=calendar)
    process = await _process(session, case.process_id)
    owner = await owner_chat(session, process)
    if owner is not None:
        text = (
            f"🗓 Реинжиниринг {case_number(case.id)} «{escape(process.name)}»: план мероприятий "
            f"рассматривается на заседании рабочей группы {format_date(meeting_on)}."
        )
        await _notify(
            session, [owner], text, kind="case_meeting",
            key=f"case:{case.id}:meeting:{meeting_on.isoformat()}",
        )  # fmt: skip


async def request_extension(
    session: AsyncSession,
    case_id: int,
    step_id: str,
    actor_id: int,
    *,
    reason: str,
    on: date,
    proposed_due: date | None = None,
    at: datetime | None = None,
) -> int:
    """The owner asks for more time on an active step; officers are told. Returns its id."""
    case = await _open_case(session, case_id)
    template = template_of(case.template_id)
    step = _template_step(template, step_id)
    process = await _process(session, case.process_id)
    person = await _person(session, actor_id)
    if person is None or not (person.is_officer or process.owner_id == person.id):
        raise CaseError("Продление срока запрашивает ответственный за процесс.")
    row = await _active_row(session, case, step)
    if is_blank(reason):
        raise CaseError("Укажите причину, по которой нужен дополнительный срок.")
    if proposed_due is not None and proposed_due < on:
        raise CaseError("Предлагаемый срок не может быть в прошлом.")
    pending = await session.scalar(
        sa.select(CaseExtension.id).where(
            CaseExtension.case_id == case.id,
            CaseExtension.step_code == step.id,
            CaseExtension.status == ExtensionStatus.PENDING,
        )
    )
    if pending is not None:
        raise CaseError("Запрос на продление этого шага уже ожидает решения.")
    extension = CaseExtension(
        case_id=case.id,
        step_code=step.id,
        activation=row.activation,
        requested_by_id=actor_id,
        reason=visible(reason),
        proposed_due=proposed_due,
        requested_at=_moment(on, at),
        status=ExtensionStatus.PENDING,
    )
    session.add(extension)
    await session.flush()
    await _audit(
        session, case.id, "extension_requested", on=on, at=at, actor_id=actor_id,
        step_id=step.id, extension_id=extension.id, reason=extension.reason,
        proposed_due=proposed_due,
    )  # fmt: skip
    current = f"до {format_date(row.due_on)}" if row.due_on else "не установлен"
    lines = [
        f"⏳ Запрос продления срока: реинжиниринг {case_number(case.id)} «{escape(process.name)}».",
        f"Шаг {step.id} «{escape(step.title)}», текущий срок {current}.",
        f"Причина: {escape(extension.reason)}",
    ]
    if proposed_due is not None:
        lines.append(f"Предлагаемый срок: {format_date(proposed_due)}.")
    await _notify(
        session, await officer_chats(session), "\n".join(lines),
        kind="case_extension_request", key=f"ext:{extension.id}:req",
    )  # fmt: skip
    return extension.id


async def decide_extension(
    session: AsyncSession,
    extension_id: int,
    actor_id: int,
    *,
    granted: bool,
    on: date,
    new_due: date | None = None,
    comment: str | None = None,
    at: datetime | None = None,
    calendar: WorkingCalendar | None = None,
) -> None:
    """The officer grants a new due date for the step, or refuses; the owner is told."""
    extension = await session.get(CaseExtension, extension_id)
    if extension is None:
        raise CaseError("Запрос на продление не найден.")
    if extension.status != ExtensionStatus.PENDING:
        raise CaseError("По этому запросу решение уже принято.")
    person = await _person(session, actor_id)
    if person is None or not person.is_officer:
        raise CaseError("Решение о продлении срока принимает ответственный по клиентоцентричности.")
    case = await _open_case(session, extension.case_id)
    rows = await _steps(session, case.id)
    row = rows[extension.step_code]
    if row.status != StepStatus.ACTIVE or row.activation != extension.activation:
        raise CaseError("Шаг, по которому запрошено продление, уже не в работе.")
    if granted:
        if new_due is None:
            raise CaseError("Укажите новый срок.")
        if new_due < on:
            raise CaseError("Новый срок не может быть в прошлом.")
        row.extended_due = new_due
    extension.status = ExtensionStatus.GRANTED if granted else ExtensionStatus.REFUSED
    extension.decided_by_id = actor_id
    extension.decided_at = _moment(on, at)
    extension.new_due = new_due if granted else None
    extension.comment = comment
    await _audit(
        session, case.id, "extension_granted" if granted else "extension_refused", on=on,
        at=at, actor_id=actor_id, step_id=extension.step_code, extension_id=extension.id,
        new_due=new_due if granted else None, comment=comment,
    )  # fmt: skip
    await refresh_case(session, case, on=on, at=at, calendar=calendar)
    process = await _process(session, case.process_id)
    step = template_of(case.template_id).step(extension.step_code)
    if granted and new_due is not None:
        text = (
            f"✅ Срок шага {step.id} «{escape(step.title)}» реинжиниринга {case_number(case.id)} "
            f"«{escape(process.name)}» продлён до {format_date(new_due)}."
        )
    else:
        text = (
            f"✖️ В продлении срока шага {step.id} «{escape(step.title)}» реинжиниринга "
            f"{case_number(case.id)} «{escape(process.name)}» отказано"
            + (f": {escape(comment)}." if comment else ".")
        )
    requester = await _person(session, extension.requested_by_id)
    chats = [recipient_of(requester)] if requester else []
    owner = await owner_chat(session, process)
    if owner is not None:
        chats.append(owner)
    await _notify(
        session, chats, text, kind="case_extension_decision", key=f"ext:{extension.id}:dec"
    )


async def attach_document(
    session: AsyncSession,
    case_id: int,
    step_id: str,
    actor_id: int | None,
    *,
    original_name: str,
    on: date,
    telegram_file_id: str | None = None,
    file_path: str | None = None,
    at: datetime | None = None,
) -> int:
    """Attach a document to a step (a Telegram file, a local copy, or both). Returns its id."""
    case = await _case(session, case_id)
    template = template_of(case.template_id)
    step = _template_step(template, step_id)
    if telegram_file_id is None and file_path is None:
        raise CaseError("Документ не передан.")
    if actor_id is not None:
        process = await _process(session, case.process_id)
        person = await _person(session, actor_id)
        if person is None or not (person.is_officer or process.owner_id == person.id):
            raise CaseError(
                "Документы прикладывают ответственный за процесс и ответственный по "
                "клиентоцентричности."
            )
    document = CaseDocument(
        case_id=case.id,
        step_code=step.id,
        telegram_file_id=telegram_file_id,
        file_path=file_path,
        original_name=visible(original_name) or "документ",
        uploaded_by_id=actor_id,
        uploaded_at=_moment(on, at),
    )
    session.add(document)
    await session.flush()
    await _audit(
        session, case.id, "document_attached", on=on, at=at, actor_id=actor_id,
        step_id=step.id, document_id=document.id, name=document.original_name,
    )  # fmt: skip
    return document.id


# -------------------------------------------------------------------------------- views


def _overdue(status: str, due: date | None, today: date | None) -> bool:
    return status == StepStatus.ACTIVE and due is not None and today is not None and due < today


async def case_view(session: AsyncSession, case_id: int, *, today: date | None = None) -> CaseView:
    """Everything the UI shows about a case; overdue flags need ``today`` (the local date)."""
    from reengineering.plan import numbered_items  # plan imports this module

    case = await _case(session, case_id)
    template = template_of(case.template_id)
    process = await _process(session, case.process_id)
    owner = await _person(session, process.owner_id)
    rows = await _steps(session, case.id)
    people: dict[int, str | None] = {}

    async def name_of(person_id: int | None) -> str | None:
        if person_id is None:
            return None
        if person_id not in people:
            people[person_id] = _name(await _person(session, person_id))
        return people[person_id]

    steps: list[StepView] = []
    for step in template.steps:
        row = rows[step.id]
        decision = step.decision.option(row.decision) if step.decision and row.decision else None
        done_on = row.done_on if row.status == StepStatus.DONE else None
        steps.append(
            StepView(
                step_id=step.id,
                title=step.title,
                stage=step.stage,
                stage_title=STAGE_TITLES[step.stage],
                clause=step.clause,
                produces=step.produces,
                actor=step.actor,
                actor_title=ACTOR_TITLES[step.actor],
                status=row.status.value,
                status_title=STATUS_TITLES[row.status],
                started_on=row.started_on,
                due_on=row.due_on,
                due_note=step.due_note,
                done_on=done_on,
                done_by=await name_of(row.done_by_id) if done_on else None,
                decision=decision.id if decision and done_on else None,
                decision_title=decision.title if decision and done_on else None,
                options=tuple(
                    (o.id, o.title, o.revision)
                    for o in (step.decision.options if step.decision else ())
                ),
                revision_due=row.revision_due if done_on else None,
                reopened=row.reopened,
                acting=acting(step, row),
                acting_title=ACTOR_TITLES[acting(step, row)],
                extended=row.extended_due is not None and row.status == StepStatus.ACTIVE,
                overdue=_overdue(row.status, row.due_on, today),
                data_warning=_data_warning(row.due_on),
            )
        )
    grounds = await session.scalars(
        sa.select(CaseGround).where(CaseGround.case_id == case.id).order_by(CaseGround.id)
    )
    documents = await session.scalars(
        sa.select(CaseDocument).where(CaseDocument.case_id == case.id).order_by(CaseDocument.id)
    )
    events = await session.scalars(
        sa.select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
    )
    extensions = await session.scalars(
        sa.select(CaseExtension).where(CaseExtension.case_id == case.id).order_by(CaseExtension.id)
    )
    return CaseView(
        id=case.id,
        number=case_number(case.id),
        process_id=process.id,
        process_name=process.name,
        owner_id=process.owner_id,
        owner_name=_name(owner),
        ground=case.ground.value,
        ground_title=GROUND_TITLES[case.ground],
        arose_on=case.arose_on,
        status=case.status.value,
        outcome=case.outcome,
        outcome_title=OUTCOME_TITLES.get(case.outcome or ""),
        closed_on=case.closed_on,
        uses_digital_service=case.uses_digital_service,
        steps=tuple(steps),
        grounds=tuple(
            GroundView(
                g.ground.value, GROUND_TITLES[g.ground], g.arose_on, g.opened, g.detection_id
            )
            for g in grounds
        ),
        documents=tuple(
            [
                DocumentView(
                    d.id,
                    d.step_code,
                    d.original_name,
                    d.telegram_file_id,
                    d.file_path,
                    await name_of(d.uploaded_by_id),
                    d.uploaded_at,
                )
                for d in documents
            ]
        ),
        audit=tuple(
            [
                AuditEntry(
                    e.at,
                    e.on_day,
                    e.actor_id,
                    await name_of(e.actor_id),
                    e.action,
                    e.step_code,
                    dict(e.details or {}),
                )
                for e in events
            ]
        ),
        plan_items=tuple(
            numbered_items(
                await _plan_items(session, case.id),
                today=today
                if rows.get(IMPL_STEP) and rows[IMPL_STEP].status == StepStatus.ACTIVE
                else None,
            )
        ),
        extensions=tuple(
            [
                ExtensionView(
                    x.id,
                    x.step_code,
                    x.reason,
                    x.proposed_due,
                    x.status.value,
                    await name_of(x.requested_by_id),
                    x.new_due,
                    x.comment,
                )
                for x in extensions
            ]
        ),
    )


async def _summaries(
    session: AsyncSession, cases: Sequence[ReengineeringCase], today: date | None
) -> list[CaseSummary]:
    summaries: list[CaseSummary] = []
    for case in cases:
        process = await _process(session, case.process_id)
        rows = await _steps(session, case.id)
        active = [row for row in rows.values() if row.status == StepStatus.ACTIVE]
        dues = [row.due_on for row in active if row.due_on is not None]
        late = tuple(row.step_code for row in active if _overdue(row.status, row.due_on, today))
        summaries.append(
            CaseSummary(
                id=case.id,
                number=case_number(case.id),
                process_id=process.id,
                process_name=process.name,
                ground=case.ground.value,
                status=case.status.value,
                outcome=case.outcome,
                active_steps=tuple(row.step_code for row in active),
                next_due=min(dues) if dues else None,
                overdue=bool(late),
                overdue_steps=late,
            )
        )
    return summaries


def _order(summary: CaseSummary) -> tuple[int, int, date, int]:
    """Open before closed, overdue first, then the nearest deadline."""
    return (
        0 if summary.status == CaseStatus.OPEN else 1,
        0 if summary.overdue else 1,
        summary.next_due or date.max,
        summary.id,
    )


async def cases_for_owner(
    session: AsyncSession,
    person_id: int,
    *,
    today: date | None = None,
    include_closed: bool = False,
) -> list[CaseSummary]:
    """Cases of the processes a person owns."""
    query = (
        sa.select(ReengineeringCase)
        .join(Process, Process.id == ReengineeringCase.process_id)
        .where(Process.owner_id == person_id)
    )
    if not include_closed:
        query = query.where(ReengineeringCase.status == CaseStatus.OPEN)
    cases = list(await session.scalars(query.order_by(ReengineeringCase.id)))
    return sorted(await _summaries(session, cases, today), key=_order)


async def cases_for_officer(
    session: AsyncSession, *, today: date | None = None, include_closed: bool = False
) -> list[CaseSummary]:
    """All cases for the officer, overdue first (``today`` decides what is overdue)."""
    query = sa.select(ReengineeringCase)
    if not include_closed:
        query = query.where(ReengineeringCase.status == CaseStatus.OPEN)
    cases = list(await session.scalars(query.order_by(ReengineeringCase.id)))
    return sorted(await _summaries(session, cases, today), key=_order)
