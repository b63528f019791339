"""The case workflow: recomputing steps, completing them, decisions, the meeting, closing.

Due dates come from the production calendar through
:func:`reengineering.templates.plan_steps` and are recomputed after every event, so a late
completion, a return for revision or a granted extension moves what follows. Functions take
an :class:`AsyncSession` and never commit; time is given by the caller (``on`` — the
business day; ``at`` — the moment, for the audit trail).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core.calendar import WorkingCalendar, default_calendar
from core.i18n import Translator
from core.wording import __, speaking
from reengineering.cases.audit import audit_event
from reengineering.cases.conclusions import (
    notify_head_of_decision,
    notify_head_of_exclusion,
    signature_gate,
)
from reengineering.cases.errors import CaseError
from reengineering.cases.notices import (
    announce_step,
    notify_closed,
    notify_meeting,
    send_approved_plan,
)
from reengineering.cases.records import (
    active_row,
    case_owner_id,
    load_officer,
    load_open_case,
    load_person,
    load_process,
    plan_item_rows,
    step_rows,
)
from reengineering.cases.respondents import tell_respondents
from reengineering.cases.steps import IMPL_STEP, acting, template_of, template_step
from reengineering.cases.views import Transition
from reengineering.reminders import format_date
from reengineering.templates import ACTOR_TITLES, DecisionOption, StepTemplate, plan_steps
from registry.catalog import REVIEW_PERIOD_YEARS, add_years
from storage.cases_models import (
    CaseStatus,
    CaseStep,
    PlanItem,
    PlanItemStatus,
    ReengineeringCase,
    StepStatus,
)
from storage.models import Person, Process

__all__ = [
    "complete_step",
    "record_decision",
    "refresh_case",
    "schedule_meeting",
]


def _calendar(calendar: WorkingCalendar | None) -> WorkingCalendar:
    return calendar if calendar is not None else default_calendar()


def _may_act(
    step: StepTemplate, row: CaseStep, person: Person | None, owner_id: int | None
) -> bool:
    """Officers act on every step (they record working-group decisions); owners on theirs."""
    if person is None:
        return False
    if person.is_officer:
        return True
    return acting(step, row) == "owner" and owner_id == person.id


async def _actor_for(
    session: AsyncSession,
    step: StepTemplate,
    row: CaseStep,
    actor_id: int,
    owner_id: int | None,
) -> Person:
    person = await load_person(session, actor_id)
    if person is None or not _may_act(step, row, person, owner_id):
        who = ACTOR_TITLES[step.actor]
        message = (
            __(
                "Step {step} «{title}» is marked by the {who} (the client-centricity officer "
                "enters the working group's decisions)."
            )
            if step.actor == "working_group"
            else __("Step {step} «{title}» is marked by the {who}.")
        )
        raise CaseError(message, step=step.id, title=step.title, who=who)
    return person


def _plan_end(items: Sequence[PlanItem]) -> date | None:
    dates = [item.due_on for item in items if item.status != PlanItemStatus.CANCELLED]
    return max(dates) if dates else None


async def refresh_case(
    session: AsyncSession,
    case: ReengineeringCase,
    *,
    on: date,
    at: datetime | None = None,
    calendar: WorkingCalendar | None = None,
    _: Translator | None = None,
) -> tuple[str, ...]:
    """Recompute every step's status and due date; tell people about newly active steps.

    Returns the ids of the steps that became active. Called after each event; safe to call
    any time (nothing changes when nothing happened).
    """
    cal = _calendar(calendar)
    _ = speaking(_)
    template = template_of(case.template_id, case.template_version)
    rows = await step_rows(session, case.id)
    plan_end = _plan_end(await plan_item_rows(session, case.id))
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
        process = await load_process(session, case.process_id)
        for step_id in activated:
            row = rows[step_id]
            await audit_event(
                session, case.id, "step_activated", on=on, at=at, step_id=step_id,
                due=row.due_on, reopened=plans[step_id].reopened,
            )  # fmt: skip
            await announce_step(session, case, process, template.step(step_id), row, cal, _)
    return tuple(activated)


async def _close(
    session: AsyncSession,
    case: ReengineeringCase,
    process: Process,
    outcome: str,
    *,
    on: date,
    at: datetime | None,
    actor_id: int | None,
    _: Translator,
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
    await audit_event(
        session, case.id, "closed", on=on, at=at, actor_id=actor_id, outcome=outcome,
        review_due=process.review_due if outcome != "excluded" else None,
    )  # fmt: skip
    await notify_closed(session, case, process, outcome, _)


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
    _: Translator | None = None,
) -> Transition:
    """Mark an active step without a decision as done on ``on``; the plan follows."""
    _ = speaking(_)
    case = await load_open_case(session, case_id)
    template = template_of(case.template_id, case.template_version)
    step = template_step(template, step_id)
    if step.decision is not None:
        raise CaseError(
            __("Step {step} ends with a decision: choose one of the options."), step=step.id
        )
    process = await load_process(session, case.process_id)
    row = await active_row(session, case, step)
    await _actor_for(session, step, row, actor_id, case_owner_id(case, process))
    if row.started_on is not None and on < row.started_on:
        raise CaseError(
            __("The completion date {day} is before the step started ({started})."),
            day=format_date(on),
            started=format_date(row.started_on),
        )
    if step.id == IMPL_STEP:
        items = await plan_item_rows(session, case.id)
        open_items = [
            item for item in items
            if item.status not in (PlanItemStatus.DONE, PlanItemStatus.CANCELLED)
        ]  # fmt: skip
        if not items or open_items:
            raise (
                CaseError(
                    __(
                        "The implementation report is sent after the action plan is carried out: "
                        "measures not done — {count}."
                    ),
                    count=len(open_items),
                )
                if items
                else CaseError(__("The action plan has no measures."))
            )
    request = {"comment": comment}
    if not await signature_gate(
        session, case, process, step, row, actor_id, request, on=on, at=at, _=_
    ):
        return Transition(case.id, signing=True)
    row.done_on = on
    row.done_by_id = actor_id
    await audit_event(
        session, case.id, "step_done", on=on, at=at, actor_id=actor_id, step_id=step.id,
        comment=comment,
    )  # fmt: skip
    outcome = step.outcome
    if outcome is not None:
        await _close(session, case, process, outcome, on=on, at=at, actor_id=actor_id, _=_)
    activated = await refresh_case(session, case, on=on, at=at, calendar=calendar, _=_)
    if step.id == IMPL_STEP:  # seed 001 §4(3): clients are told of the changes
        await tell_respondents(session, case, process, _)
    return Transition(case.id, activated, outcome)


def _decision_option(step: StepTemplate, option: str) -> DecisionOption:
    """The step's decision option `option`; a step without decisions, or an unknown option, is
    refused with what the step offers."""
    if step.decision is None:
        raise CaseError(__("Step {step} takes no decision: mark it done."), step=step.id)
    chosen = step.decision.option(option)
    if chosen is None:
        known = ", ".join(o.id for o in step.decision.options)
        raise CaseError(
            __("Step {step} has no decision option «{option}» (options: {known})."),
            step=step.id,
            option=option,
            known=known,
        )
    return chosen


def _check_decision_dates(
    chosen: DecisionOption, row: CaseStep, on: date, revision_due: date | None
) -> None:
    """The decision is not dated before its step began; a revision deadline comes with a
    return for revision only, and not before the decision."""
    if row.started_on is not None and on < row.started_on:
        raise CaseError(
            __("The decision date {day} is before the step started ({started})."),
            day=format_date(on),
            started=format_date(row.started_on),
        )
    if chosen.revision:
        if revision_due is None:
            raise CaseError(__("Give the revision deadline set by the decision."))
        if revision_due < on:
            raise CaseError(__("The revision deadline cannot be before the decision date."))
    elif revision_due is not None:
        raise CaseError(__("A revision deadline is given only when work is returned for revision."))


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
    _: Translator | None = None,
) -> Transition:
    """Complete a deciding step with one of its template options.

    A return for revision needs ``revision_due`` (the date set in the decision); the step it
    returns to becomes active again with that deadline. ``meeting_on`` is the date of the
    working-group meeting that took the decision (default: ``on``) for working-group steps.
    An option with an outcome ends the case: "no_change" and "exclude" at R8C, and
    exclusion deactivates the process.
    """
    _ = speaking(_)
    case = await load_open_case(session, case_id)
    template = template_of(case.template_id, case.template_version)
    step = template_step(template, step_id)
    chosen = _decision_option(step, option)
    process = await load_process(session, case.process_id)
    row = await active_row(session, case, step)
    await _actor_for(session, step, row, actor_id, case_owner_id(case, process))
    _check_decision_dates(chosen, row, on, revision_due)
    request = {
        "option": chosen.id, "comment": comment,
        "revision_due": revision_due.isoformat() if revision_due else None,
        "meeting_on": (meeting_on or on).isoformat(),
    }  # fmt: skip
    if not await signature_gate(
        session, case, process, step, row, actor_id, request, on=on, at=at, _=_
    ):
        return Transition(case.id, signing=True)
    row.done_on = on
    row.done_by_id = actor_id
    row.decision = chosen.id
    row.revision_due = revision_due
    row.meeting_on = (meeting_on or on) if step.actor == "working_group" else meeting_on
    await audit_event(
        session, case.id, "decision", on=on, at=at, actor_id=actor_id, step_id=step.id,
        option=chosen.id, title=chosen.title, revision_due=revision_due,
        meeting_on=row.meeting_on, comment=comment,
    )  # fmt: skip
    if chosen.id == "exclude":  # §2.2.5: the decision goes to the department head as well
        await notify_head_of_exclusion(session, case, process, step, on, _)
    await notify_head_of_decision(session, case, process, step, chosen.title, on, _)  # §3.7
    if chosen.outcome is not None:
        await _close(session, case, process, chosen.outcome, on=on, at=at, actor_id=actor_id, _=_)
    activated = await refresh_case(session, case, on=on, at=at, calendar=calendar, _=_)
    if chosen.next == IMPL_STEP and not chosen.revision:
        await send_approved_plan(session, case, process, on, _)
    return Transition(case.id, activated, chosen.outcome)


async def schedule_meeting(
    session: AsyncSession,
    case_id: int,
    meeting_on: date,
    actor_id: int,
    *,
    on: date,
    at: datetime | None = None,
    calendar: WorkingCalendar | None = None,
    _: Translator | None = None,
) -> None:
    """Enter the date of the working-group meeting that will consider the plan (step D5)."""
    _ = speaking(_)
    case = await load_open_case(session, case_id)
    template = template_of(case.template_id, case.template_version)
    await load_officer(
        session,
        actor_id,
        __("The date of the working-group meeting is entered by the client-centricity officer."),
    )
    meeting_steps = [s for s in template.steps if s.clock.event == "meeting"]
    if not meeting_steps:
        raise CaseError(__("The reengineering order has no step timed to a meeting."))
    step = meeting_steps[0]
    if meeting_on < on:
        raise CaseError(__("The meeting date cannot be in the past."))
    rows = await step_rows(session, case.id)
    row = rows[step.id]
    if row.status == StepStatus.DONE:
        raise CaseError(__("Step {step} is already done."), step=step.id)
    row.entered_due = meeting_on
    await audit_event(
        session, case.id, "meeting_scheduled", on=on, at=at, actor_id=actor_id,
        step_id=step.id, meeting_on=meeting_on,
    )  # fmt: skip
    await refresh_case(session, case, on=on, at=at, calendar=calendar, _=_)
    process = await load_process(session, case.process_id)
    await notify_meeting(session, case, process, meeting_on, _)
