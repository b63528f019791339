"""Checking a parsed template: ids, Russian texts, clocks, deadlines and decisions.

A template that passes can be trusted by planning: references resolve and clocks form no
circle. Every problem is a Russian sentence naming the step and the field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from itertools import pairwise

from reengineering.templates.model import StepTemplate

__all__ = ["step_label", "template_problems", "topological_order"]

_ID_RE = re.compile(r"^[A-Z][A-Z0-9_]*$")
_OPTION_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_TEMPLATE_ID_RE = re.compile(r"^[A-Za-z0-9_-]+$")
_CYRILLIC_RE = re.compile(r"[А-Яа-яЁё]")


def step_label(step_id: str) -> str:
    """How a step is named in a problem."""
    return f"шаг {step_id}"


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


def _check_text(problems: list[str], where: str, field: str, value: str | None) -> None:
    """Titles are shown to Russian-speaking users: they must be present and in Russian."""
    if value is None or not value.strip():
        problems.append(f"{where}, поле {field}: текст не должен быть пустым")
    elif not _CYRILLIC_RE.search(value):
        problems.append(f"{where}, поле {field}: текст должен быть на русском языке ({value!r})")


def _check_clock(
    problems: list[str], step: StepTemplate, steps_by_id: Mapping[str, StepTemplate]
) -> None:
    where = step_label(step.id)
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
    where = step_label(step.id)
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
    where = step_label(step.id)
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


def template_problems(template_id: str, title: str, steps: tuple[StepTemplate, ...]) -> list[str]:
    """Every inconsistency of a parsed template, as Russian sentences."""
    problems: list[str] = []
    if not _TEMPLATE_ID_RE.match(template_id):
        problems.append(
            f"шаблон, поле id: идентификатор {template_id!r} — латинские буквы, цифры, «_» и «-»"
        )
    _check_text(problems, "шаблон", "title", title)
    if not steps:
        problems.append("шаблон, поле steps: нет ни одного шага")
        return problems

    steps_by_id: dict[str, StepTemplate] = {}
    for number, step in enumerate(steps, start=1):
        if not _ID_RE.match(step.id):
            problems.append(
                f"шаг № {number} ({step.id!r}), поле id: идентификатор — заглавные латинские "
                "буквы, цифры и «_», начиная с буквы (например, R1, D3C, IMPL)"
            )
        if step.id in steps_by_id:
            problems.append(f"{step_label(step.id)}, поле id: идентификатор шага повторяется")
        steps_by_id.setdefault(step.id, step)

    for step in steps:
        where = step_label(step.id)
        _check_text(problems, where, "title", step.title)
        _check_text(problems, where, "produces", step.produces)
        _check_clock(problems, step, steps_by_id)
        _check_deadline(problems, step)
        _check_decision(problems, step, steps_by_id)

    if not any(step.clock.event == "ground" for step in steps):
        problems.append(
            "шаблон, поле steps: нет шага, отсчёт которого начинается с возникновения "
            "основания (clock.event: ground)"
        )
    if topological_order(steps) is None:
        cycle = _find_cycle(list(steps))
        waits = ", ".join(f"{a} ждёт {b}" for a, b in pairwise(cycle))
        problems.append(
            f"шаги {', '.join(cycle[:-1])}, поле clock: начало отсчёта сроков зависит по кругу "
            f"({waits}); возврат на доработку оформляется вариантом решения с revision: true"
        )
    return problems
