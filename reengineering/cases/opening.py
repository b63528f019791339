"""Opening a case on a ground, or linking the ground to the process's open case.

At most one case per process is open; a decline detection is consumed once.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, tzinfo

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.calendar import WorkingCalendar, default_calendar
from core.i18n import Translator
from core.wording import __, speaking
from reengineering.cases.audit import audit_event, moment
from reengineering.cases.choice import current_regulation, due_defaults
from reengineering.cases.errors import CaseError
from reengineering.cases.notices import notify_ground_linked, notify_opened
from reengineering.cases.records import load_process, step_rows
from reengineering.cases.steps import remember_template, template_of
from reengineering.cases.views import OpenResult
from reengineering.cases.workflow import refresh_case
from reengineering.templates import StageTemplate
from storage.cases_models import (
    CaseGround,
    CaseStatus,
    CaseStep,
    Ground,
    ReengineeringCase,
    StepStatus,
)
from storage.models import DeclineDetection, Process

__all__ = ["open_case", "open_cases_from_detections", "open_on_due_ground"]


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
    due_dates: Mapping[str, date] | None = None,
    _: Translator | None = None,
) -> OpenResult:
    """Open a case on a ground, or link the ground to the process's open case.

    At most one case per process is open; a second ground is recorded on the open case
    (audit trail and its grounds) instead. A decline detection is consumed once: passing the
    same ``detection_id`` again changes nothing. ``on`` is the day of opening (default: the
    day the ground arose). Without ``template`` the case opens under the organisation's
    regulation and keeps it (and its revision) whatever is chosen later. Where the regulation
    counts no deadline, the officer sets the due dates when the case opens: ``due_dates``
    (step id → date), else the defaults (:func:`reengineering.cases.choice.due_defaults`).
    """
    _ = speaking(_)
    ground = Ground(ground)
    day = on or arose_on
    process = await load_process(session, process_id)
    if detection_id is not None:
        seen = await session.scalar(
            sa.select(CaseGround.case_id).where(CaseGround.detection_id == detection_id)
        )
        if seen is not None:
            return OpenResult(seen, created=False, linked=False)
    existing = await _open_case_of(session, process_id)
    if existing is not None:
        return await _link_ground(
            session, existing, process, ground, arose_on, actor_id, detection_id, day, at, _
        )
    if not process.active:
        raise CaseError(
            __("The process «{process}» is excluded from the registry: no reengineering opened."),
            process=process.name,
        )
    if isinstance(template, StageTemplate):
        remember_template(template)
        stage_template = template
    else:
        stage_template = template_of(template or await current_regulation(session))
    case = _new_case(process, stage_template, ground, arose_on, actor_id, detection_id, day, at)
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
            session, existing, process, ground, arose_on, actor_id, detection_id, day, at, _
        )
    await _record_opening(session, case, stage_template, actor_id, day, at)
    set_dates = await _set_due_dates(
        session, case, stage_template, due_dates, calendar, day=day, at=at
    )
    await notify_opened(session, case, process, stage_template, ground, arose_on, _, set_dates)
    await refresh_case(session, case, on=day, at=at, calendar=calendar, _=_)
    return OpenResult(case.id, created=True)


def _new_case(
    process: Process,
    template: StageTemplate,
    ground: Ground,
    arose_on: date,
    actor_id: int | None,
    detection_id: int | None,
    day: date,
    at: datetime | None,
) -> ReengineeringCase:
    return ReengineeringCase(
        process_id=process.id,
        template_id=template.id,
        template_version=template.revision,
        ground=ground,
        arose_on=arose_on,
        status=CaseStatus.OPEN,
        opened_at=moment(day, at),
        opened_by_id=actor_id,
        detection_id=detection_id,
    )


async def _record_opening(
    session: AsyncSession,
    case: ReengineeringCase,
    template: StageTemplate,
    actor_id: int | None,
    day: date,
    at: datetime | None,
) -> None:
    """The new case's steps (all pending), its opening ground and the audit entry."""
    for position, step in enumerate(template.steps):
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
            ground=case.ground,
            arose_on=case.arose_on,
            opened=True,
            detection_id=case.detection_id,
            actor_id=actor_id,
            recorded_at=moment(day, at),
        )
    )
    await audit_event(
        session, case.id, "opened", on=day, at=at, actor_id=actor_id,
        ground=case.ground.value, arose_on=case.arose_on, detection_id=case.detection_id,
        template=template.id,
    )  # fmt: skip
    await session.flush()


async def _set_due_dates(
    session: AsyncSession,
    case: ReengineeringCase,
    template: StageTemplate,
    given: Mapping[str, date] | None,
    calendar: WorkingCalendar | None,
    *,
    day: date,
    at: datetime | None,
) -> dict[str, date]:
    """The due dates the officer sets where the regulation counts none (seed 000, 001):
    those given, else the default number of working days after the ground arose."""
    defaults = await due_defaults(session, template)
    given = dict(given or {})
    if unknown := sorted(set(given) - set(defaults)):
        raise CaseError(
            __("The regulation does not let the officer set the due date of step {step}."),
            step=", ".join(unknown),
        )
    if not defaults:
        return {}
    cal = calendar if calendar is not None else default_calendar()
    rows = await step_rows(session, case.id)
    dates: dict[str, date] = {}
    for step_id, days in defaults.items():
        dates[step_id] = given.get(step_id) or cal.add_working_days(case.arose_on, days)
        rows[step_id].entered_due = dates[step_id]
    await audit_event(
        session, case.id, "due_dates_set", on=day, at=at, actor_id=case.opened_by_id,
        due={step_id: day.isoformat() for step_id, day in dates.items()},
    )  # fmt: skip
    return dates


async def open_on_due_ground(
    session: AsyncSession,
    process_id: int,
    ground: Ground,
    due: date,
    *,
    today: date,
    now: datetime,
    calendar: WorkingCalendar,
    _: Translator | None = None,
) -> OpenResult | None:
    """Open a case on a ground that falls due by the calendar (a review date, the period of the
    journey analysis), or link it to the process's open case; None when that case has it.

    A date already past when a case opens counts from today, so the case does not start with
    every deadline already missed; a linked ground keeps its own date.
    """
    existing = await _open_case_of(session, process_id)
    if existing is not None:
        covered = await session.scalar(
            sa.select(CaseGround.id).where(
                CaseGround.case_id == existing.id, CaseGround.ground == ground
            )
        )
        if covered is not None:
            return None
    return await open_case(
        session, process_id, ground,
        arose_on=due if existing is not None else max(due, today),
        on=today, at=now, calendar=calendar, _=_,
    )  # fmt: skip


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
    _: Translator,
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
            recorded_at=moment(on, at),
        )
    )
    await audit_event(
        session, case.id, "ground_linked", on=on, at=at, actor_id=actor_id,
        ground=ground.value, arose_on=arose_on, detection_id=detection_id,
    )  # fmt: skip
    await session.flush()
    await notify_ground_linked(session, case, process, ground, arose_on, detection_id, _)
    return OpenResult(case.id, created=False, linked=True)


async def open_cases_from_detections(
    session: AsyncSession,
    now: datetime,
    *,
    tz: tzinfo = UTC,
    calendar: WorkingCalendar | None = None,
    _: Translator | None = None,
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
                _=_,
            )
        )
    return results
