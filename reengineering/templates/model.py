"""The parts of a workflow template: titles, steps, clocks and decisions, and its error."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict, StrictBool, StrictInt

__all__ = [
    "ACTOR_TITLES",
    "OUTCOME_TITLES",
    "STAGE_TITLES",
    "Actor",
    "ClockEvent",
    "ClockStart",
    "DecisionOption",
    "DecisionTemplate",
    "FrozenModel",
    "Outcome",
    "Stage",
    "StepTemplate",
    "TemplateError",
]

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


class FrozenModel(BaseModel):
    """Frozen and strict about unknown keys, so a typo in YAML is an error, not a default."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class ClockStart(FrozenModel):
    """The event that starts a step's deadline.

    ``ground`` — the ground for reengineering arose; ``done`` — ``steps[0]`` was completed;
    ``decision`` — ``steps[0]`` was completed with one of ``options`` (empty: any option);
    ``all_done`` — every listed step was completed (the clock starts at the latest);
    ``meeting`` — after ``steps[0]``, at the next working-group meeting, whose date is entered.
    """

    event: ClockEvent
    steps: tuple[str, ...] = ()
    options: tuple[str, ...] = ()


class DecisionOption(FrozenModel):
    """One possible decision: it either leads to a step or ends the case with an outcome."""

    id: str
    title: str
    next: str | None = None
    outcome: Outcome | None = None
    revision: StrictBool = False


class DecisionTemplate(FrozenModel):
    """The decision recorded when its step is completed, by the step's actor."""

    options: tuple[DecisionOption, ...]

    def option(self, option_id: str) -> DecisionOption | None:
        """The option with this id, or None."""
        return next((option for option in self.options if option.id == option_id), None)


class StepTemplate(FrozenModel):
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
