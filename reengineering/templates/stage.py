"""A whole workflow template, refused at construction when it is inconsistent."""

from __future__ import annotations

from pydantic import PrivateAttr, ValidationInfo, model_validator

from core.i18n import Translator
from core.wording import speaking
from reengineering.templates.model import (
    OUTCOME_TITLES,
    STAGE_TITLES,
    FrozenModel,
    GroundTemplate,
    PlanAnnex,
    ScopeList,
    StepTemplate,
    TemplateError,
)
from reengineering.templates.regulation_checks import regulation_problems
from reengineering.templates.validation import annex_problems, template_problems, topological_order

__all__ = ["StageTemplate"]


class StageTemplate(FrozenModel):
    """A whole reengineering workflow: one body's regulation, its stages, grounds and steps.

    ``version`` is the author's; :attr:`revision` adds a checksum of the content, so a case
    records exactly which text it was opened under. ``stages``, ``grounds`` and ``outcomes``
    word what people see (absent: seed 003's wording); ``scope`` lists what the order says
    is analysed (seed 000 §4–6).
    """

    id: str
    title: str
    source: str | None = None
    version: str = "1"
    stages: dict[str, str] = {}
    grounds: dict[str, GroundTemplate] = {}
    outcomes: dict[str, str] = {}
    scope: tuple[ScopeList, ...] = ()
    steps: tuple[StepTemplate, ...]
    plan: PlanAnnex | None = None
    _checksum: str = PrivateAttr(default="")

    @model_validator(mode="after")
    def _check(self, info: ValidationInfo) -> StageTemplate:
        """Refuse inconsistent templates, so that planning can trust references and clocks.

        The problems are worded by the translator in the validation context (`parse_template`).
        """
        _ = speaking((info.context or {}).get("translator"))
        problems = template_problems(self.id, self.title, self.steps, _)
        if self.plan is not None:
            problems += annex_problems(self.plan, _)
        problems += regulation_problems(
            self.steps, self.stages, self.grounds, self.outcomes, self.scope, _
        )
        if problems:
            raise TemplateError(problems, self.id or None, _)
        return self

    @property
    def revision(self) -> str:
        """The version a case keeps: the author's version and the content's checksum."""
        return f"{self.version}+{self._checksum}" if self._checksum else self.version

    def stamp(self, checksum: str) -> None:
        """Set by the loader: the checksum of the template's content."""
        self._checksum = checksum

    @property
    def counted(self) -> bool:
        """Whether the regulation counts its deadlines (else the officer sets them)."""
        return not any(step.due_by_officer for step in self.steps)

    def stage_ids(self) -> tuple[str, ...]:
        """The stages in order: the template's own, or seed 003's three."""
        return tuple(self.stages) if self.stages else tuple(STAGE_TITLES)

    def stage_title(self, stage: str, _: Translator) -> str:
        """A stage as the regulation names it (seed 003's stages are msgids)."""
        if stage in self.stages:
            return self.stages[stage]
        return _(STAGE_TITLES[stage]) if stage in STAGE_TITLES else stage

    def ground_title(self, ground: str, _: Translator, default: str | None = None) -> str:
        """A ground as the regulation words it; ``default`` (a msgid) when it words none."""
        if ground in self.grounds:
            return self.grounds[ground].title
        return _(default) if default else ground

    def outcome_title(self, outcome: str, _: Translator) -> str:
        """An outcome as the regulation words it, or the common wording."""
        if outcome in self.outcomes:
            return self.outcomes[outcome]
        return _(OUTCOME_TITLES[outcome]) if outcome in OUTCOME_TITLES else outcome

    def journey_steps(self) -> tuple[str, ...]:
        """Steps that are the customer-journey analysis (seed 000 п. 2(1))."""
        return tuple(step.id for step in self.steps if step.journey_analysis)

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
        order = topological_order(self.steps)
        if order is None:  # pragma: no cover - the validator refuses cycles
            raise TemplateError(["clock dependencies form a cycle"], self.id)
        return order
