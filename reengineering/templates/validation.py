"""Checking a parsed template: ids, Russian texts, clocks, deadlines and decisions.

A template that passes can be trusted by planning: references resolve and clocks form no
circle. Every problem is a sentence, in the translator's language, naming the step and the field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from itertools import pairwise

from core.i18n import Translator
from core.russian import CYRILLIC_LETTER
from reengineering.templates.model import DecisionOption, PlanAnnex, StepTemplate

__all__ = [
    "ANNEX_COLUMNS",
    "annex_problems",
    "step_label",
    "template_problems",
    "topological_order",
]

_ID_RE = re.compile(r"^[A-Z][A-Z0-9_]*$")
_OPTION_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_TEMPLATE_ID_RE = re.compile(r"^[A-Za-z0-9_-]+$")
ANNEX_COLUMNS = 5  # the annex's table: number, measure, end date, responsible, result and report


def step_label(step_id: str, _: Translator) -> str:
    """How a step is named in a problem."""
    return _("step {step}").format(step=step_id)


class _Problems(list[str]):
    """The problems found so far, each naming where, which field, and what is wrong."""

    def __init__(self, _: Translator) -> None:
        super().__init__()
        self._ = _

    def add(self, where: str, field: str, problem: str) -> None:
        self.append(
            self._("{where}, field {field}: {problem}").format(
                where=where, field=field, problem=problem
            )
        )


def topological_order(steps: Iterable[StepTemplate]) -> tuple[str, ...] | None:
    """Kahn's order of the clock dependency graph; None when it has a cycle."""
    steps = list(steps)
    known = {step.id for step in steps}
    waits = {step.id: {ref for ref in step.clock.steps if ref in known} for step in steps}
    order: list[str] = []
    ready = [step.id for step in steps if not waits[step.id]]
    while ready:
        current = ready.pop(0)
        order.append(current)
        for step in steps:
            if current in waits[step.id]:
                waits[step.id].discard(current)
                if not waits[step.id] and step.id not in order and step.id not in ready:
                    ready.append(step.id)
    return tuple(order) if len(order) == len(steps) else None


def _find_cycle(steps: list[StepTemplate]) -> list[str]:
    """One cycle of the clock graph, as step ids (first id repeated at the end)."""
    graph = {step.id: [ref for ref in step.clock.steps] for step in steps}
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for ref in graph.get(node, []):
            if ref not in graph:
                continue
            if state.get(ref) == 1:
                return [*path[path.index(ref) :], ref]
            if ref not in state and (found := visit(ref)):
                return found
        path.pop()
        state[node] = 2
        return None

    for step in steps:
        if step.id not in state and (cycle := visit(step.id)):
            return cycle
    return []


def _ancestors(steps_by_id: Mapping[str, StepTemplate], step_id: str) -> set[str]:
    """Every step whose completion a step's clock waits for, directly or not."""
    seen: set[str] = set()
    stack = list(steps_by_id[step_id].clock.steps)
    while stack:
        current = stack.pop()
        if current in seen or current not in steps_by_id:
            continue
        seen.add(current)
        stack.extend(steps_by_id[current].clock.steps)
    return seen


def _check_text(problems: _Problems, where: str, field: str, value: str | None) -> None:
    """Titles are shown to Russian-speaking users: they must be present and in Russian."""
    _ = problems._
    if value is None or not value.strip():
        problems.add(where, field, _("the text must not be empty"))
    elif not CYRILLIC_LETTER.search(value):
        problems.add(
            where, field, _("the text must be in Russian ({value})").format(value=repr(value))
        )


def _check_clock_refs(problems: _Problems, where: str, step: StepTemplate) -> None:
    _ = problems._
    clock = step.clock
    refs = clock.steps
    if clock.event == "ground" and refs:
        problems.add(
            where,
            "clock.steps",
            _("no steps are given for the event «ground» (the ground arose)"),
        )
    elif clock.event in ("done", "decision", "meeting") and len(refs) != 1:
        problems.add(
            where,
            "clock.steps",
            _("the event «{event}» needs exactly one step, {count} given").format(
                event=clock.event, count=len(refs)
            ),
        )
    elif clock.event == "all_done" and len(set(refs)) < 2:
        problems.add(
            where, "clock.steps", _("the event «all_done» needs at least two different steps")
        )
    if clock.options and clock.event != "decision":
        problems.add(
            where,
            "clock.options",
            _("decision options are given only for the event «decision»"),
        )


def _check_clock(
    problems: _Problems, step: StepTemplate, steps_by_id: Mapping[str, StepTemplate]
) -> None:
    _ = problems._
    where = step_label(step.id, _)
    clock = step.clock
    refs = clock.steps
    _check_clock_refs(problems, where, step)
    for ref in refs:
        if ref not in steps_by_id:
            problems.add(
                where, "clock.steps", _("a reference to a missing step «{ref}»").format(ref=ref)
            )
    if clock.event == "decision" and len(refs) == 1 and refs[0] in steps_by_id:
        decider = steps_by_id[refs[0]]
        if decider.decision is None:
            problems.add(
                where,
                "clock.steps",
                _("step «{step}» has no decision the count could start from").format(
                    step=decider.id
                ),
            )
            return
        starting = clock.options or tuple(option.id for option in decider.decision.options)
        for option_id in starting:
            option = decider.decision.option(option_id)
            if option is None:
                problems.add(
                    where,
                    "clock.options",
                    _("the decision of step «{step}» has no option «{option}»").format(
                        step=decider.id, option=option_id
                    ),
                )
            elif option.next != step.id:
                target = option.next or _("outcome «{outcome}»").format(outcome=option.outcome)
                problems.add(
                    where,
                    "clock",
                    _(
                        "the count starts with option «{option}» of the decision of step "
                        "«{step}», but this option leads to «{target}»"
                    ).format(option=option_id, step=decider.id, target=target),
                )


def _check_deadline(problems: _Problems, step: StepTemplate) -> None:
    _ = problems._
    where = step_label(step.id, _)
    days = step.deadline_days
    if step.clock.event == "meeting":
        if days is not None:
            problems.add(
                where,
                "deadline_days",
                _(
                    "a step timed to a working-group meeting (clock.event: meeting) has no "
                    "deadline in working days: the meeting date is entered"
                ),
            )
    elif days is None and step.due_note is None:
        problems.add(
            where,
            "deadline_days",
            _(
                "no deadline in working days (if the Order sets none, say in due_note where "
                "the date comes from)"
            ),
        )
    if days is not None and days <= 0:
        problems.add(
            where,
            "deadline_days",
            _("the deadline must be a positive whole number of working days, {days} given").format(
                days=days
            ),
        )
    if days is not None and step.due_note is not None:
        problems.add(
            where,
            "due_note",
            _("both a deadline in working days and an entered date are given: keep one"),
        )
    if step.due_note is not None:
        _check_text(problems, where, "due_note", step.due_note)


def _check_option_target(
    problems: _Problems,
    where: str,
    step: StepTemplate,
    option: DecisionOption,
    steps_by_id: Mapping[str, StepTemplate],
) -> None:
    """Where an option leads: a step whose clock starts with it, or back for revision."""
    _ = problems._
    field = f"decision.options[{option.id}]"
    if option.next is None:
        if option.revision:
            problems.add(
                where,
                f"{field}.revision",
                _("a return for revision must lead to a step (next), not to an outcome"),
            )
        return
    if option.next not in steps_by_id:
        problems.add(
            where,
            f"{field}.next",
            _("a reference to a missing step «{ref}»").format(ref=option.next),
        )
        return
    target = steps_by_id[option.next]
    if option.revision:
        if option.next not in _ancestors(steps_by_id, step.id):
            problems.add(
                where,
                f"{field}.next",
                _(
                    "a return for revision (revision: true) must lead to one of the steps this "
                    "step depends on; «{next}» is not one of them"
                ).format(next=option.next),
            )
    elif not (
        target.clock.event == "decision"
        and target.clock.steps == (step.id,)
        and (not target.clock.options or option.id in target.clock.options)
    ):
        clock = f"{{event: decision, steps: [{step.id}], options: [{option.id}]}}"
        problems.add(
            where,
            f"{field}.next",
            _(
                "the count of step «{next}» must start with this decision (clock: {clock}), "
                "otherwise the transition does not start its deadline"
            ).format(next=option.next, clock=clock),
        )


def _check_decision(
    problems: _Problems, step: StepTemplate, steps_by_id: Mapping[str, StepTemplate]
) -> None:
    _ = problems._
    where = step_label(step.id, _)
    if step.decision is not None and step.outcome is not None:
        problems.add(
            where,
            "outcome",
            _("a step with a decision gets its outcome in the decision's options"),
        )
    if step.decision is None:
        return
    if not step.decision.options:
        problems.add(where, "decision.options", _("at least one decision option is needed"))
    seen: set[str] = set()
    for option in step.decision.options:
        field = f"decision.options[{option.id}]"
        if not _OPTION_ID_RE.match(option.id):
            problems.add(
                where,
                f"{field}.id",
                _(
                    "an option id is lowercase Latin letters, digits and «_», "
                    "starting with a letter"
                ),
            )
        if option.id in seen:
            problems.add(
                where, f"{field}.id", _("option «{option}» is repeated").format(option=option.id)
            )
        seen.add(option.id)
        _check_text(problems, where, f"{field}.title", option.title)
        if (option.next is None) == (option.outcome is None):
            problems.add(
                where,
                field,
                _("give either next (the next step) or outcome (the outcome of the reengineering)"),
            )
            continue
        _check_option_target(problems, where, step, option, steps_by_id)


def _check_ids(problems: _Problems, steps: tuple[StepTemplate, ...]) -> dict[str, StepTemplate]:
    """Step ids: well formed and unique; the steps by id."""
    _ = problems._
    steps_by_id: dict[str, StepTemplate] = {}
    for number, step in enumerate(steps, start=1):
        if not _ID_RE.match(step.id):
            problems.add(
                _("step No. {number} ({id})").format(number=number, id=repr(step.id)),
                "id",
                _(
                    "an id is capital Latin letters, digits and «_», starting with a letter "
                    "(for example, R1, D3C, IMPL)"
                ),
            )
        if step.id in steps_by_id:
            problems.add(step_label(step.id, _), "id", _("the step id is repeated"))
        steps_by_id.setdefault(step.id, step)
    return steps_by_id


def template_problems(
    template_id: str, title: str, steps: tuple[StepTemplate, ...], _: Translator
) -> list[str]:
    """Every inconsistency of a parsed template, as sentences in the translator's language."""
    problems = _Problems(_)
    template = _("the template")
    if not _TEMPLATE_ID_RE.match(template_id):
        problems.add(
            template,
            "id",
            _("the id {id} is Latin letters, digits, «_» and «-»").format(id=repr(template_id)),
        )
    _check_text(problems, template, "title", title)
    if not steps:
        problems.add(template, "steps", _("there are no steps"))
        return list(problems)

    steps_by_id = _check_ids(problems, steps)
    for step in steps:
        where = step_label(step.id, _)
        _check_text(problems, where, "title", step.title)
        _check_text(problems, where, "produces", step.produces)
        _check_clock(problems, step, steps_by_id)
        _check_deadline(problems, step)
        _check_decision(problems, step, steps_by_id)

    if not any(step.clock.event == "ground" for step in steps):
        problems.add(
            template,
            "steps",
            _("no step counts from the ground arising (clock.event: ground)"),
        )
    if topological_order(steps) is None:
        cycle = _find_cycle(list(steps))
        waits = ", ".join(
            _("{step} waits for {other}").format(step=a, other=b) for a, b in pairwise(cycle)
        )
        problems.add(
            _("steps {steps}").format(steps=", ".join(cycle[:-1])),
            "clock",
            _(
                "the start of the deadlines depends on itself in a circle ({waits}); a return "
                "for revision is a decision option with revision: true"
            ).format(waits=waits),
        )
    return list(problems)


def annex_problems(plan: PlanAnnex, _: Translator) -> list[str]:
    """The annex of the action plan: five columns, and the prototype section among its sections."""
    problems = _Problems(_)
    where = _("the template")
    if len(plan.columns) != ANNEX_COLUMNS:
        problems.add(
            where,
            "plan.columns",
            _("the annex's table has {expected} columns, {count} given").format(
                expected=ANNEX_COLUMNS, count=len(plan.columns)
            ),
        )
    if plan.prototype_section not in plan.sections:
        problems.add(
            where,
            "plan.prototype_section",
            _("there is no section {section} in plan.sections").format(
                section=plan.prototype_section
            ),
        )
    for field, value in (
        ("plan.heading", plan.heading),
        ("plan.title", plan.title),
        *((("plan.subtitle", plan.subtitle),) if plan.subtitle else ()),
        *((f"plan.sections[{number}]", title) for number, title in plan.sections.items()),
    ):
        _check_text(problems, where, field, value)
    return list(problems)
