"""The regulation an organisation follows: which workflow template its new cases open under.

Every body runs its own order (seed 000 — Novosibirsk order 984, seed 001 — Kaliningrad
77-НПА, seed 003 — Desnogorsk resolution 1151). The choice is stored on
``organization_settings``; a case records the template and revision it opened under, so a
later change of the choice leaves open cases as they are. Where an order sets no deadline the
officer sets the due date when the case opens; the template offers a default
(``default_days``) and the body may keep its own (``regulation_days``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from core.wording import __
from reengineering.cases.choice import current_regulation, due_defaults, settings_row
from reengineering.cases.errors import CaseError
from reengineering.cases.steps import template_of
from reengineering.templates import SHIPPED, StageTemplate, TemplateError
from storage.models import OrganizationSettings

__all__ = [
    "RegulationSummary",
    "current_regulation",
    "due_defaults",
    "regulation_summaries",
    "set_regulation",
    "shipped_template",
]


@dataclass(frozen=True)
class RegulationSummary:
    """One shipped regulation as `otklik regulations list` and the officer's menu show it."""

    id: str
    title: str
    source: str
    revision: str
    steps: int
    counted: bool


def shipped_template(template_id: str) -> StageTemplate:
    """A shipped template by id; CaseError for a name that does not ship."""
    if template_id not in SHIPPED:
        raise CaseError(
            __("No regulation «{id}» ships with the bot (available: {known})."),
            id=template_id,
            known=", ".join(SHIPPED),
        )
    try:
        return template_of(template_id)
    except TemplateError as error:  # pragma: no cover - shipped templates are tested
        raise CaseError(str(error)) from None


def regulation_summaries() -> list[RegulationSummary]:
    """What ships: id, title, source act, number of steps, counted or officer-set deadlines."""
    result = []
    for template_id in SHIPPED:
        template = shipped_template(template_id)
        result.append(
            RegulationSummary(
                template.id,
                template.title,
                template.source or template.title,
                template.revision,
                len(template.steps),
                template.counted,
            )
        )
    return result


async def set_regulation(
    session: AsyncSession, template_id: str, days: Mapping[str, int] | None = None
) -> StageTemplate:
    """Choose the regulation new cases open under; ``days`` are the body's own defaults for
    the officer-set due dates (step id → working days from the ground)."""
    template = shipped_template(template_id)
    own = dict(days or {})
    for step_id, value in own.items():
        step = next((s for s in template.steps if s.id == step_id), None)
        if step is None or not step.due_by_officer:
            raise CaseError(
                __("The regulation «{id}» has no step {step} whose due date the officer sets."),
                id=template_id,
                step=step_id,
            )
        if value <= 0:
            raise CaseError(__("A due date is a positive number of working days."))
    row = await settings_row(session)
    if row is None:
        row = OrganizationSettings(name="")
        session.add(row)
    if row.regulation_id != template.id:
        row.regulation_days = own or None
    elif own:
        row.regulation_days = {**(row.regulation_days or {}), **own}
    row.regulation_id = template.id
    await session.flush()
    return template
