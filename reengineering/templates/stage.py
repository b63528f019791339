"""A whole workflow template, refused at construction when it is inconsistent."""

from __future__ import annotations

from pydantic import ValidationInfo, model_validator

from core.wording import speaking
from reengineering.templates.model import FrozenModel, PlanAnnex, StepTemplate, TemplateError
from reengineering.templates.validation import annex_problems, template_problems, topological_order

__all__ = ["StageTemplate"]


class StageTemplate(FrozenModel):
    """A whole reengineering workflow (research → design → implementation)."""

    id: str
    title: str
    source: str | None = None
    steps: tuple[StepTemplate, ...]
    plan: PlanAnnex | None = None

    @model_validator(mode="after")
    def _check(self, info: ValidationInfo) -> StageTemplate:
        """Refuse inconsistent templates, so that planning can trust references and clocks.

        The problems are worded by the translator in the validation context (`parse_template`).
        """
        _ = speaking((info.context or {}).get("translator"))
        problems = template_problems(self.id, self.title, self.steps, _)
        if self.plan is not None:
            problems += annex_problems(self.plan, _)
        if problems:
            raise TemplateError(problems, self.id or None, _)
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
        order = topological_order(self.steps)
        if order is None:  # pragma: no cover - the validator refuses cycles
            raise TemplateError(["clock dependencies form a cycle"], self.id)
        return order
