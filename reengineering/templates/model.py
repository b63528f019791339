"""The parts of a workflow template: titles, steps, clocks and decisions, and its error."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict, StrictBool, StrictInt

from core.i18n import Translator
from core.wording import __, speaking

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
    "PlanAnnex",
    "PrototypeMeasure",
    "Stage",
    "StepTemplate",
    "TemplateError",
]

Stage = Literal["research", "design", "implementation"]
Actor = Literal["owner", "officer", "working_group"]
ClockEvent = Literal["ground", "done", "decision", "all_done", "meeting"]
Outcome = Literal["completed", "no_change", "excluded"]

# Msgids: whoever shows a title translates it (`_(STAGE_TITLES[stage])`).
STAGE_TITLES: dict[str, str] = {
    "research": __("Research"),
    "design": __("Design"),
    "implementation": __("Implementation"),
}
ACTOR_TITLES: dict[str, str] = {
    "owner": __("process owner"),
    "officer": __("client-centricity officer"),
    "working_group": __("working group"),
}
OUTCOME_TITLES: dict[str, str] = {
    "completed": __("the reengineering of the process is completed"),
    "no_change": __("no change of the process is needed, the reengineering is completed"),
    "excluded": __(
        "the process is excluded from the Register of processes, the reengineering is completed"
    ),
}


class TemplateError(Exception):
    """A template cannot be used; the message names the step and the field, translated.

    Not a ``ValueError`` on purpose: pydantic would wrap a ``ValueError`` raised by a
    validator into its own English ``ValidationError``.
    """

    def __init__(
        self, problems: Iterable[str], source: str | None = None, _: Translator | None = None
    ) -> None:
        _ = speaking(_)
        self.problems = list(problems)
        self.source = source
        headline = (
            _("The reengineering template «{source}» has errors:").format(source=source)
            if source
            else _("The reengineering template has errors:")
        )
        lines = "\n".join(f"— {problem}" for problem in self.problems)
        super().__init__(f"{headline}\n{lines}")


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


class PrototypeMeasure(FrozenModel):
    """One of the six measures of §3.5; ``after_days`` counts working days from the plan."""

    step: StrictInt
    measure: str
    expected_result: str
    report_document: str
    after_days: StrictInt


class PlanAnnex(FrozenModel):
    """The action plan's annex, word for word: title block, columns, sections (§3.4–3.5).

    ``columns`` are the annex's five: number, measure, end date, responsible, and the image of
    the result with its report document; ``subtitle`` only where a regulation's annex has one.
    """

    heading: str
    title: str
    subtitle: str = ""
    columns: tuple[str, ...]
    sections: dict[int, str]
    prototype_section: StrictInt
    prototype_measures: tuple[PrototypeMeasure, ...]
