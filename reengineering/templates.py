"""Reengineering workflow templates: the steps of a regulation as data, and their due dates.

Each organisation follows its own order (seed 003 is the Desnogorsk one); keeping the steps,
clocks and deadlines in YAML lets an organisation adopt a changed order without new code,
and lets the loader refuse a broken order before any deadline is computed from it.

A step's *clock* says which event starts its deadline (see :class:`ClockStart`); the due
date is ``deadline_days`` working days after that event, or a date people enter when the
regulation gives no count (the next working-group meeting, the end of the action plan).
A step may end with a *decision* taken when the step is completed; its options lead to the
next step or end the case. Returning work for revision is an option with ``revision: true``
that leads back to an earlier step — loops go through decisions, never through clocks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal, Protocol

import yaml
from pydantic import BaseModel, ConfigDict, StrictBool, StrictInt, ValidationError, model_validator

__all__ = [
    "ACTOR_TITLES",
    "OUTCOME_TITLES",
    "STAGE_TITLES",
    "TEMPLATES_DIR",
    "Actor",
    "ClockEvent",
    "ClockStart",
    "DecisionOption",
    "DecisionTemplate",
    "Outcome",
    "Stage",
    "StageTemplate",
    "StepPlan",
    "StepTemplate",
    "TemplateError",
    "WorkingDayCalendar",
    "load_template",
    "parse_template",
    "plan_due_dates",
    "plan_steps",
]

TEMPLATES_DIR = Path(__file__).with_name("templates")

Stage = Literal["research", "design", "implementation"]
Actor = Literal["owner", "officer", "working_group"]
ClockEvent = Literal["ground", "done", "decision", "all_done", "meeting"]
Outcome = Literal["completed", "no_change", "excluded"]

STAGE_TITLES: dict[str, str] = {
    "research": "Исследование",
    "design": "Проектирование",
    "implementation": "Реализация",
}
ACTOR_TITLES: dict[str, str] = {
    "owner": "ответственный за процесс",
    "officer": "ответственный по клиентоцентричности",
    "working_group": "рабочая группа",
}
OUTCOME_TITLES: dict[str, str] = {
    "completed": "реинжиниринг процесса завершён",
    "no_change": "изменение процесса не требуется, реинжиниринг завершён",
    "excluded": "процесс исключается из Реестра процессов, реинжиниринг завершён",
}

_ID_RE = re.compile(r"^[A-Z][A-Z0-9_]*$")
_OPTION_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_TEMPLATE_ID_RE = re.compile(r"^[A-Za-z0-9_-]+$")
_CYRILLIC_RE = re.compile(r"[А-Яа-яЁё]")


class TemplateError(Exception):
    """A template cannot be used; the message names the step and the field, in Russian.

    Not a ``ValueError`` on purpose: pydantic would wrap a ``ValueError`` raised by a
    validator into its own English ``ValidationError``.
    """

    def __init__(self, problems: Iterable[str], source: str | None = None) -> None:
        self.problems = list(problems)
        self.source = source
        where = f"Шаблон реинжиниринга «{source}»" if source else "Шаблон реинжиниринга"
        lines = "\n".join(f"— {problem}" for problem in self.problems)
        super().__init__(f"{where} содержит ошибки:\n{lines}")


class _Model(BaseModel):
    """Frozen and strict about unknown keys, so a typo in YAML is an error, not a default."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class ClockStart(_Model):
    """The event that starts a step's deadline.

    ``ground`` — the ground for reengineering arose; ``done`` — ``steps[0]`` was completed;
    ``decision`` — ``steps[0]`` was completed with one of ``options`` (empty: any option);
    ``all_done`` — every listed step was completed (the clock starts at the latest);
    ``meeting`` — after ``steps[0]``, at the next working-group meeting, whose date is entered.
    """

    event: ClockEvent
    steps: tuple[str, ...] = ()
    options: tuple[str, ...] = ()


class DecisionOption(_Model):
    """One possible decision: it either leads to a step or ends the case with an outcome."""

    id: str
    title: str
    next: str | None = None
    outcome: Outcome | None = None
    revision: StrictBool = False


class DecisionTemplate(_Model):
    """The decision recorded when its step is completed, by the step's actor."""

    options: tuple[DecisionOption, ...]

    def option(self, option_id: str) -> DecisionOption | None:
        """The option with this id, or None."""
        return next((option for option in self.options if option.id == option_id), None)


class StepTemplate(_Model):
    """One step of the workflow: who acts, what they produce, and when it is due."""

    id: str
    stage: Stage
    title: str
    produces: str
    actor: Actor
    clock: ClockStart
    deadline_days: StrictInt | None = None
    due_note: str | None = None
    decision: DecisionTemplate | None = None
    outcome: Outcome | None = None
    clause: str | None = None


class StageTemplate(_Model):
    """A whole reengineering workflow (research → design → implementation)."""

    id: str
    title: str
    source: str | None = None
    steps: tuple[StepTemplate, ...]

    @model_validator(mode="after")
    def _check(self) -> StageTemplate:
        """Refuse inconsistent templates, so that planning can trust references and clocks."""
        problems = _template_problems(self)
        if problems:
            raise TemplateError(problems, self.id or None)
        return self

    @property
    def step_ids(self) -> tuple[str, ...]:
        """Step ids in template order."""
        return tuple(step.id for step in self.steps)

    def step(self, step_id: str) -> StepTemplate:
        """The step with this id (KeyError if there is none)."""
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def clock_order(self) -> tuple[str, ...]:
        """Step ids ordered so that every step comes after the steps its clock waits for."""
        order = _topological_order(self.steps)
        if order is None:  # pragma: no cover - the validator refuses cycles
            raise TemplateError(["зависимости начала отсчёта сроков образуют цикл"], self.id)
        return order


# --------------------------------------------------------------------------- validation


def _step_label(step_id: str) -> str:
    return f"шаг {step_id}"


def _topological_order(steps: Iterable[StepTemplate]) -> tuple[str, ...] | None:
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


def _check_text(problems: list[str], where: str, field: str, value: str | None) -> None:
    """Titles are shown to Russian-speaking users: they must be present and in Russian."""
    if value is None or not value.strip():
        problems.append(f"{where}, поле {field}: текст не должен быть пустым")
    elif not _CYRILLIC_RE.search(value):
        problems.append(f"{where}, поле {field}: текст должен быть на русском языке ({value!r})")


def _check_clock(
    problems: list[str], step: StepTemplate, steps_by_id: Mapping[str, StepTemplate]
) -> None:
    where = _step_label(step.id)
    clock = step.clock
    refs = clock.steps
    if clock.event == "ground" and refs:
        problems.append(
            f"{where}, поле clock.steps: для события «ground» (возникновение основания) "
            "шаги не указываются"
        )
    elif clock.event in ("done", "decision", "meeting") and len(refs) != 1:
        problems.append(
            f"{where}, поле clock.steps: для события «{clock.event}» нужен ровно один шаг, "
            f"указано {len(refs)}"
        )
    elif clock.event == "all_done" and len(set(refs)) < 2:
        problems.append(
            f"{where}, поле clock.steps: для события «all_done» нужны хотя бы два разных шага"
        )
    if clock.options and clock.event != "decision":
        problems.append(
            f"{where}, поле clock.options: варианты решения указываются только для события "
            "«decision»"
        )
    for ref in refs:
        if ref not in steps_by_id:
            problems.append(f"{where}, поле clock.steps: ссылка на несуществующий шаг «{ref}»")
    if clock.event == "decision" and len(refs) == 1 and refs[0] in steps_by_id:
        decider = steps_by_id[refs[0]]
        if decider.decision is None:
            problems.append(
                f"{where}, поле clock.steps: у шага «{decider.id}» нет решения (decision), "
                "с которого мог бы начаться отсчёт"
            )
            return
        starting = clock.options or tuple(option.id for option in decider.decision.options)
        for option_id in starting:
            option = decider.decision.option(option_id)
            if option is None:
                problems.append(
                    f"{where}, поле clock.options: у решения шага «{decider.id}» нет варианта "
                    f"«{option_id}»"
                )
            elif option.next != step.id:
                target = option.next or f"итог «{option.outcome}»"
                problems.append(
                    f"{where}, поле clock: отсчёт начинается с варианта «{option_id}» решения "
                    f"шага «{decider.id}», но этот вариант ведёт к «{target}»"
                )


def _check_deadline(problems: list[str], step: StepTemplate) -> None:
    where = _step_label(step.id)
    days = step.deadline_days
    if step.clock.event == "meeting":
        if days is not None:
            problems.append(
                f"{where}, поле deadline_days: шаг, приуроченный к заседанию рабочей группы "
                "(clock.event: meeting), не имеет срока в рабочих днях — вводится дата заседания"
            )
    elif days is None and step.due_note is None:
        problems.append(
            f"{where}, поле deadline_days: не указан срок в рабочих днях (если Порядок срока "
            "не устанавливает, укажите в due_note, откуда берётся дата)"
        )
    if days is not None and days <= 0:
        problems.append(
            f"{where}, поле deadline_days: срок должен быть положительным целым числом "
            f"рабочих дней, указано {days}"
        )
    if days is not None and step.due_note is not None:
        problems.append(
            f"{where}, поле due_note: указан и срок в рабочих днях, и вводимая дата — "
            "оставьте что-то одно"
        )
    if step.due_note is not None:
        _check_text(problems, where, "due_note", step.due_note)


def _check_decision(
    problems: list[str], step: StepTemplate, steps_by_id: Mapping[str, StepTemplate]
) -> None:
    where = _step_label(step.id)
    if step.decision is not None and step.outcome is not None:
        problems.append(
            f"{where}, поле outcome: у шага с решением итог задаётся в вариантах решения"
        )
    if step.decision is None:
        return
    if not step.decision.options:
        problems.append(f"{where}, поле decision.options: нужен хотя бы один вариант решения")
    seen: set[str] = set()
    for option in step.decision.options:
        field = f"decision.options[{option.id}]"
        if not _OPTION_ID_RE.match(option.id):
            problems.append(
                f"{where}, поле {field}.id: идентификатор варианта — строчные латинские буквы, "
                "цифры и «_», начиная с буквы"
            )
        if option.id in seen:
            problems.append(f"{where}, поле {field}.id: вариант «{option.id}» повторяется")
        seen.add(option.id)
        _check_text(problems, where, f"{field}.title", option.title)
        if (option.next is None) == (option.outcome is None):
            problems.append(
                f"{where}, поле {field}: укажите либо next (следующий шаг), "
                "либо outcome (итог реинжиниринга)"
            )
            continue
        if option.next is None:
            if option.revision:
                problems.append(
                    f"{where}, поле {field}.revision: возврат на доработку должен вести к шагу "
                    "(next), а не к итогу"
                )
            continue
        if option.next not in steps_by_id:
            problems.append(
                f"{where}, поле {field}.next: ссылка на несуществующий шаг «{option.next}»"
            )
            continue
        target = steps_by_id[option.next]
        if option.revision:
            if option.next not in _ancestors(steps_by_id, step.id):
                problems.append(
                    f"{where}, поле {field}.next: возврат на доработку (revision: true) должен "
                    f"вести к одному из шагов, от которых зависит этот шаг; «{option.next}» "
                    "к ним не относится"
                )
        elif not (
            target.clock.event == "decision"
            and target.clock.steps == (step.id,)
            and (not target.clock.options or option.id in target.clock.options)
        ):
            problems.append(
                f"{where}, поле {field}.next: отсчёт срока шага «{option.next}» должен "
                f"начинаться с этого решения (clock: {{event: decision, steps: [{step.id}], "
                f"options: [{option.id}]}}), иначе переход не запустит его срок"
            )


def _template_problems(template: StageTemplate) -> list[str]:
    """Every inconsistency of a parsed template, as Russian sentences."""
    problems: list[str] = []
    if not _TEMPLATE_ID_RE.match(template.id):
        problems.append(
            f"шаблон, поле id: идентификатор {template.id!r} — латинские буквы, цифры, «_» и «-»"
        )
    _check_text(problems, "шаблон", "title", template.title)
    if not template.steps:
        problems.append("шаблон, поле steps: нет ни одного шага")
        return problems

    steps_by_id: dict[str, StepTemplate] = {}
    for number, step in enumerate(template.steps, start=1):
        if not _ID_RE.match(step.id):
            problems.append(
                f"шаг № {number} ({step.id!r}), поле id: идентификатор — заглавные латинские "
                "буквы, цифры и «_», начиная с буквы (например, R1, D3C, IMPL)"
            )
        if step.id in steps_by_id:
            problems.append(f"{_step_label(step.id)}, поле id: идентификатор шага повторяется")
        steps_by_id.setdefault(step.id, step)

    for step in template.steps:
        where = _step_label(step.id)
        _check_text(problems, where, "title", step.title)
        _check_text(problems, where, "produces", step.produces)
        _check_clock(problems, step, steps_by_id)
        _check_deadline(problems, step)
        _check_decision(problems, step, steps_by_id)

    if not any(step.clock.event == "ground" for step in template.steps):
        problems.append(
            "шаблон, поле steps: нет шага, отсчёт которого начинается с возникновения "
            "основания (clock.event: ground)"
        )
    if _topological_order(template.steps) is None:
        cycle = _find_cycle(list(template.steps))
        waits = ", ".join(f"{a} ждёт {b}" for a, b in pairwise(cycle))
        problems.append(
            f"шаги {', '.join(cycle[:-1])}, поле clock: начало отсчёта сроков зависит по кругу "
            f"({waits}); возврат на доработку оформляется вариантом решения с revision: true"
        )
    return problems


_PYDANTIC_MESSAGES: dict[str, str] = {
    "missing": "обязательное поле не заполнено",
    "extra_forbidden": "неизвестное поле (проверьте написание)",
    "int_type": "нужно целое число",
    "int_parsing": "нужно целое число",
    "int_from_float": "нужно целое число",
    "string_type": "нужна строка",
    "bool_type": "нужно значение true или false",
    "tuple_type": "нужен список",
    "list_type": "нужен список",
    "model_type": "нужен набор полей (словарь)",
    "dict_type": "нужен набор полей (словарь)",
}


def _pydantic_problem(raw: Any, error: Mapping[str, Any]) -> str:
    """Turn one pydantic error into a Russian sentence naming the step and the field."""
    loc = tuple(error.get("loc", ()))
    where = "шаблон"
    rest = loc
    if len(loc) >= 2 and loc[0] == "steps" and isinstance(loc[1], int):
        step_raw = _index(raw, "steps", loc[1])
        step_id = step_raw.get("id") if isinstance(step_raw, dict) else None
        where = _step_label(str(step_id)) if step_id else f"шаг № {loc[1] + 1}"
        rest = loc[2:]
        if len(rest) >= 3 and rest[:2] == ("decision", "options") and isinstance(rest[2], int):
            option_raw = _index(step_raw, "decision", "options", rest[2])
            option_id = option_raw.get("id") if isinstance(option_raw, dict) else None
            label = option_id if option_id else str(rest[2] + 1)
            rest = (f"decision.options[{label}]", *rest[3:])
    field = ".".join(str(part) for part in rest) or "—"
    kind = str(error.get("type", ""))
    if kind == "literal_error":
        expected = str(error.get("ctx", {}).get("expected", "")).replace(" or ", ", ")
        message = f"недопустимое значение {error.get('input')!r}, допустимые: {expected}"
    else:
        message = _PYDANTIC_MESSAGES.get(kind, str(error.get("msg", kind)))
    return f"{where}, поле {field}: {message}"


def _index(value: Any, *path: str | int) -> Any:
    """Walk raw YAML data without failing on a wrong shape."""
    for key in path:
        if isinstance(key, int) and isinstance(value, list) and 0 <= key < len(value):
            value = value[key]
        elif isinstance(key, str) and isinstance(value, dict):
            value = value.get(key)
        else:
            return None
    return value


def _resolve(path_or_name: str | Path) -> Path:
    """A bare name ("seed003") means a template shipped in ``reengineering/templates``."""
    if isinstance(path_or_name, Path):
        return path_or_name
    if "/" in path_or_name or "\\" in path_or_name or path_or_name.endswith((".yaml", ".yml")):
        return Path(path_or_name)
    return TEMPLATES_DIR / f"{path_or_name}.yaml"


def parse_template(raw: Any, source: str | None = None) -> StageTemplate:
    """Validate already-loaded YAML data; :class:`TemplateError` on any problem."""
    if not isinstance(raw, dict):
        raise TemplateError(["шаблон должен быть набором полей (id, title, steps)"], source)
    try:
        return StageTemplate.model_validate(raw)
    except ValidationError as error:
        problems = [_pydantic_problem(raw, item) for item in error.errors()]
        raise TemplateError(problems, source) from None
    except TemplateError as error:
        raise TemplateError(error.problems, source) from None


def load_template(path_or_name: str | Path = "seed003") -> StageTemplate:
    """Load and validate a workflow template by file path or by shipped name."""
    path = _resolve(path_or_name)
    source = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TemplateError([f"файл {path} не найден"], source) from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise TemplateError([f"файл не является корректным YAML: {error}"], source) from None
    return parse_template(raw, source)


# ----------------------------------------------------------------------------- planning


class WorkingDayCalendar(Protocol):
    """What planning needs from a calendar (``reengineering.calendar.WorkingCalendar``)."""

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
            raise ValueError(f"{name}: в шаблоне {template.id} нет шагов {', '.join(unknown)}")
    for step_id, option_id in decisions.items():
        step = template.step(step_id)
        if step.decision is None or step.decision.option(option_id) is None:
            raise ValueError(f"decisions: у шага {step_id} нет варианта решения «{option_id}»")


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
        from reengineering.calendar import default_calendar

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
