"""Due dates of a template's steps from what is done so far (pure: no storage, no clock)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from reengineering.templates.model import StepTemplate
from reengineering.templates.stage import StageTemplate

__all__ = ["StepPlan", "WorkingDayCalendar", "plan_due_dates", "plan_steps"]


class WorkingDayCalendar(Protocol):
    """What planning needs from a calendar (``core.calendar.WorkingCalendar``)."""

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after ``start``."""
        ...


@dataclass(frozen=True, slots=True)
class StepPlan:
    """Where a step stands in the current pass of the workflow.

    ``started`` — the day its clock started (None: not yet, or never on this branch);
    ``due`` — its deadline (None when the clock has not started or the date is not entered);
    ``done`` — its completion day in the current pass; ``reopened`` — returned for revision.
    """

    started: date | None
    due: date | None
    done: date | None
    reopened: bool = False


def _check_inputs(
    template: StageTemplate,
    done: Mapping[str, date],
    decisions: Mapping[str, str],
    entered_dates: Mapping[str, date],
    revision_deadlines: Mapping[str, date],
) -> None:
    """Unknown ids are caller bugs; failing loudly beats a silently empty plan."""
    known = set(template.step_ids)
    for name, mapping in (
        ("done", done),
        ("decisions", decisions),
        ("entered_dates", entered_dates),
        ("revision_deadlines", revision_deadlines),
    ):
        if unknown := sorted(set(mapping) - known):
            raise ValueError(f"{name}: template {template.id} has no steps {', '.join(unknown)}")
    for step_id, option_id in decisions.items():
        step = template.step(step_id)
        if step.decision is None or step.decision.option(option_id) is None:
            raise ValueError(f"decisions: step {step_id} has no decision option {option_id!r}")


def plan_steps(
    template: StageTemplate,
    ground_date: date,
    done: Mapping[str, date],
    decisions: Mapping[str, str],
    calendar: WorkingDayCalendar | None = None,
    *,
    entered_dates: Mapping[str, date] | None = None,
    revision_deadlines: Mapping[str, date] | None = None,
) -> dict[str, StepPlan]:
    """Compute clock start, due date and completion of every step of the current pass.

    ``done`` and ``decisions`` hold the latest completion day and decision of each step.
    A completion earlier than the step's clock start belongs to an earlier pass (before a
    return for revision) and is ignored. A revision decision is pending while its target
    step has not been completed after it; the target is then due on the date the decision
    set (``revision_deadlines``, keyed by the deciding step). ``entered_dates`` gives the due
    dates the regulation does not count in working days (D5: the meeting; IMPL: plan end).
    Dates are days: a revision submitted on the very day of the decision returning it
    counts as already submitted.
    """
    entered = entered_dates or {}
    revisions = revision_deadlines or {}
    _check_inputs(template, done, decisions, entered, revisions)
    if calendar is None:
        from core.calendar import default_calendar

        calendar = default_calendar()

    reopened: dict[str, tuple[str, date]] = {}
    for decider_id, option_id in decisions.items():
        decision = template.step(decider_id).decision
        option = decision.option(option_id) if decision else None
        if option is None or not option.revision or option.next is None:
            continue
        decided = done.get(decider_id)
        target_done = done.get(option.next)
        if decided is not None and (target_done is None or target_done < decided):
            previous = reopened.get(option.next)
            if previous is None or previous[1] < decided:
                reopened[option.next] = (decider_id, decided)

    completed: dict[str, date] = {}
    plans: dict[str, StepPlan] = {}
    for step_id in template.clock_order():
        step = template.step(step_id)
        started: date | None
        due: date | None
        if step_id in reopened:
            decider_id, started = reopened[step_id]
            due = revisions.get(decider_id)
        else:
            started = _clock_start(step, ground_date, completed, decisions)
            if started is None:
                due = None
            elif step.deadline_days is not None:
                due = calendar.add_working_days(started, step.deadline_days)
            else:
                due = entered.get(step_id)
        finished = done.get(step_id)
        if started is None or finished is None or finished < started:
            finished = None
        else:
            completed[step_id] = finished
        plans[step_id] = StepPlan(started, due, finished, step_id in reopened)
    return {step_id: plans[step_id] for step_id in template.step_ids}


def _clock_start(
    step: StepTemplate,
    ground_date: date,
    completed: Mapping[str, date],
    decisions: Mapping[str, str],
) -> date | None:
    """The day a step's clock starts in the current pass, or None if it has not."""
    clock = step.clock
    if clock.event == "ground":
        return ground_date
    if clock.event in ("done", "meeting"):
        return completed.get(clock.steps[0])
    if clock.event == "decision":
        decider = clock.steps[0]
        chosen = decisions.get(decider)
        if decider not in completed or chosen is None:
            return None
        if clock.options and chosen not in clock.options:
            return None
        return completed[decider]
    if all(ref in completed for ref in clock.steps):  # all_done
        return max(completed[ref] for ref in clock.steps)
    return None


def plan_due_dates(
    template: StageTemplate,
    ground_date: date,
    done: Mapping[str, date],
    decisions: Mapping[str, str],
    calendar: WorkingDayCalendar | None = None,
    *,
    entered_dates: Mapping[str, date] | None = None,
    revision_deadlines: Mapping[str, date] | None = None,
) -> dict[str, date | None]:
    """Due date of every step given what is done so far (None: its clock has not started).

    Pure: the same inputs give the same plan. See :func:`plan_steps` for the rules.
    """
    plans = plan_steps(
        template,
        ground_date,
        done,
        decisions,
        calendar,
        entered_dates=entered_dates,
        revision_deadlines=revision_deadlines,
    )
    return {step_id: plan.due for step_id, plan in plans.items()}
