"""The steps other features hang on, and the workflow template a case follows.

Seed 003 names its steps; the plan, research and the UI refer to a few of them by id (a
template may name them differently, so features that need one check that it exists).
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

from core.wording import __
from reengineering.cases.errors import CaseError
from reengineering.templates import (
    TEMPLATES_DIR,
    PlanAnnex,
    StageTemplate,
    StepTemplate,
    load_template,
)
from storage.cases_models import CaseStep

__all__ = [
    "DEFAULT_TEMPLATE",
    "IMPL_STEP",
    "MEETING_STEP",
    "PLAN_STEP",
    "SURVEY_LIST_STEP",
    "SURVEY_STEP",
    "TEMPLATE_ARCHIVE",
    "acting",
    "plan_annex",
    "remember_template",
    "template_of",
    "template_step",
]

DEFAULT_TEMPLATE = "seed003"
SURVEY_STEP = "R3"  # п. 2.2.2: survey of clients and performers
SURVEY_LIST_STEP = "R4"  # п. 2.2.3: lists of difficulties, needs, best practices
PLAN_STEP = "D4"  # п. 3.4: the action plan
MEETING_STEP = "D5"  # п. 3.6: the plan at the next working-group meeting
IMPL_STEP = "IMPL"  # п. 4.1: implementation of the plan

log = logging.getLogger(__name__)

# When a shipped regulation changes, its previous file moves here: open cases opened under
# that text (their stored revision) keep following it.
TEMPLATE_ARCHIVE = TEMPLATES_DIR / "archive"

# Templates passed as objects (tests, organisations' own files) are remembered by id so a
# case can find its template again within the process.
_KNOWN_TEMPLATES: dict[str, StageTemplate] = {}


@lru_cache(maxsize=16)
def _load_shipped(template_id: str) -> StageTemplate:
    return load_template(template_id)


def remember_template(template: StageTemplate) -> None:
    """Let cases opened on a template object find it again by its id."""
    _KNOWN_TEMPLATES[template.id] = template


@lru_cache(maxsize=4)
def _archived(folder: Path) -> dict[tuple[str, str], StageTemplate]:
    """Earlier texts of shipped regulations, by template id and revision."""
    found: dict[tuple[str, str], StageTemplate] = {}
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        template = load_template(path)
        found[(template.id, template.revision)] = template
    return found


def template_of(template_id: str, revision: str | None = None) -> StageTemplate:
    """The template a case follows, by its stored id and revision (version and checksum).

    A case keeps the text it was opened under: when the shipped file has changed since, the
    earlier text is taken from the archive; without it the current text is used (and logged).
    """
    known = _KNOWN_TEMPLATES.get(template_id)
    if known is not None:
        return known
    current = _load_shipped(template_id)
    if revision is None or revision == current.revision:
        return current
    archived = _archived(TEMPLATE_ARCHIVE).get((template_id, revision))
    if archived is None:
        log.warning("template %s revision %s is not archived: using %s", template_id,
                    revision, current.revision)  # fmt: skip
        return current
    return archived


def plan_annex(template_id: str, revision: str | None = None) -> PlanAnnex:
    """The action plan's annex of a case's template; seed 003's when the template has none."""
    annex = template_of(template_id, revision).plan
    if annex is None:
        annex = template_of(DEFAULT_TEMPLATE).plan
    assert annex is not None, "seed 003 carries the annex"
    return annex


def template_step(template: StageTemplate, step_id: str) -> StepTemplate:
    """The template's step with this id; a CaseError when it has none."""
    try:
        return template.step(step_id)
    except KeyError:
        raise CaseError(__("The reengineering order has no step {step}."), step=step_id) from None


def acting(step: StepTemplate, row: CaseStep) -> str:
    """Who acts on a step now: a step returned for revision is the owner's to redo (§3.4)."""
    return "owner" if row.reopened else step.actor
