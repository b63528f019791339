"""Checks of what makes a template a whole regulation: stages, grounds, officer-set dates.

Kept beside ``validation`` (steps, clocks, decisions): these concern the parts added so that
every body's order (seeds 000, 001, 003) is data — its own stages and grounds, the wording
people see, and the steps whose due date the officer sets because the order counts none.
"""

from __future__ import annotations

from collections.abc import Mapping

from core.i18n import Translator
from core.russian import CYRILLIC_LETTER
from reengineering.templates.model import (
    STAGE_TITLES,
    GroundTemplate,
    ScopeList,
    StepTemplate,
)
from reengineering.templates.validation import step_label

__all__ = ["GROUND_IDS", "regulation_problems"]


# The grounds the bot knows (storage.cases_models.Ground); a template words those it uses.
GROUND_IDS = ("instruction", "decline", "review_due", "journey_due", "law_change")


def _field(_: Translator, where: str, field: str, problem: str) -> str:
    return _("{where}, field {field}: {problem}").format(where=where, field=field, problem=problem)


def check_text(
    problems: list[str], _: Translator, where: str, field: str, value: str | None
) -> None:
    """As ``validation``: texts people read are present and in Russian."""
    if value is None or not value.strip():
        problems.append(_field(_, where, field, _("the text must not be empty")))
    elif not CYRILLIC_LETTER.search(value):
        problems.append(
            _field(
                _,
                where,
                field,
                _("the text must be in Russian ({value})").format(value=repr(value)),
            )
        )


def _step_problems(step: StepTemplate, stages: Mapping[str, str], _: Translator) -> list[str]:
    where = step_label(step.id, _)
    problems: list[str] = []
    known = stages or STAGE_TITLES
    if step.stage not in known:
        problems.append(
            _field(
                _, where, "stage",
                _("unknown stage «{stage}» (stages: {known})").format(
                    stage=step.stage, known=", ".join(known)
                ),
            )
        )  # fmt: skip
    if step.default_days is None:
        return problems
    if step.deadline_days is not None or step.clock.event == "meeting":
        problems.append(
            _field(
                _, where, "default_days",
                _(
                    "the officer sets a due date only where the order counts no deadline "
                    "and no meeting fixes it"
                ),
            )
        )  # fmt: skip
    if step.default_days <= 0:
        problems.append(
            _field(_, where, "default_days", _("a positive whole number of working days is needed"))
        )
    return problems


def regulation_problems(
    steps: tuple[StepTemplate, ...],
    stages: Mapping[str, str],
    grounds: Mapping[str, GroundTemplate],
    outcomes: Mapping[str, str],
    scope: tuple[ScopeList, ...],
    _: Translator,
) -> list[str]:
    """Every problem of the stages, grounds, outcomes, scope lists and officer-set dates."""
    template = _("the template")
    problems: list[str] = []
    errors: list[str] = []
    for stage_id, title in stages.items():
        check_text(errors, _, template, f"stages[{stage_id}]", title)
    for ground_id, ground in grounds.items():
        if ground_id not in GROUND_IDS:
            problems.append(
                _field(
                    _, template, f"grounds[{ground_id}]",
                    _("unknown ground (grounds: {known})").format(known=", ".join(GROUND_IDS)),
                )
            )  # fmt: skip
        check_text(errors, _, template, f"grounds[{ground_id}].title", ground.title)
        if ground.cadence_years is not None and not any(s.journey_analysis for s in steps):
            problems.append(
                _field(
                    _, template, f"grounds[{ground_id}].cadence_years",
                    _("a periodic ground needs a step marked journey_analysis: true"),
                )
            )  # fmt: skip
    for outcome, title in outcomes.items():
        check_text(errors, _, template, f"outcomes[{outcome}]", title)
    for number, item in enumerate(scope, start=1):
        check_text(errors, _, template, f"scope[{number}].title", item.title)
        if not item.items:
            problems.append(_field(_, template, f"scope[{number}].items", _("the list is empty")))
    for step in steps:
        problems += _step_problems(step, stages, _)
    return problems + errors
