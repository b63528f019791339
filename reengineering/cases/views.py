"""What people are shown of a case: read models, titles and the plan's annex numbering.

Plain frozen dataclasses built by :mod:`reengineering.cases.queries` (and the plan), with
no session and no messenger in them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from core.calendar import WorkingCalendar
from core.i18n import Translator
from core.wording import __
from storage.cases_models import Ground, PlanItem, PlanItemStatus, StepStatus

__all__ = [
    "GROUND_TITLES",
    "STATUS_TITLES",
    "AuditEntry",
    "CaseSummary",
    "CaseView",
    "DocumentView",
    "ExtensionView",
    "GroundView",
    "OpenResult",
    "PlanItemView",
    "StepView",
    "Transition",
    "case_number",
    "data_warning",
    "numbered_items",
]

# Msgids: whoever shows a title translates it (`_(GROUND_TITLES[ground])`).
GROUND_TITLES: dict[str, str] = {
    Ground.INSTRUCTION: __("an instruction of the Head or of the client-centricity officer"),
    Ground.DECLINE: __(
        "a steady decline of clients' satisfaction with the process for more than three months "
        "in a row"
    ),
    Ground.REVIEW_DUE: __("the review of the process falling due"),
}
STATUS_TITLES: dict[str, str] = {
    StepStatus.PENDING: __("pending"),
    StepStatus.ACTIVE: __("in progress (step)"),
    StepStatus.DONE: __("done (step)"),
    StepStatus.SKIPPED: __("not needed"),
}


@dataclass(frozen=True)
class OpenResult:
    """What opening did: a new case, or the ground linked to the process's open case."""

    case_id: int
    created: bool
    linked: bool = False


@dataclass(frozen=True)
class Transition:
    """What an event changed: steps that became active, and the outcome when the case ended."""

    case_id: int
    activated: tuple[str, ...] = ()
    outcome: str | None = None
    # The step went to the department head to sign its conclusion (seed 003 §2.2.6, §3.3).
    signing: bool = False


@dataclass(frozen=True)
class StepView:
    """One step as the UI shows it."""

    step_id: str
    title: str
    stage: str
    stage_title: str
    clause: str | None
    produces: str
    actor: str
    actor_title: str
    status: str
    status_title: str
    started_on: date | None
    due_on: date | None
    due_note: str | None
    done_on: date | None
    done_by: str | None
    decision: str | None
    decision_title: str | None
    options: tuple[tuple[str, str, bool], ...]
    revision_due: date | None
    reopened: bool
    acting: str
    acting_title: str
    extended: bool
    overdue: bool
    data_warning: str | None


@dataclass(frozen=True)
class DocumentView:
    id: int
    step_id: str
    original_name: str
    telegram_file_id: str | None
    file_path: str | None
    uploaded_by: str | None
    uploaded_at: datetime


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    on_day: date
    actor_id: int | None
    actor: str | None
    action: str
    step_id: str | None
    details: dict[str, Any]


@dataclass(frozen=True)
class GroundView:
    ground: str
    title: str
    arose_on: date
    opened: bool
    detection_id: int | None


@dataclass(frozen=True)
class ExtensionView:
    id: int
    step_id: str
    reason: str
    proposed_due: date | None
    status: str
    requested_by: str | None
    new_due: date | None
    comment: str | None


@dataclass(frozen=True)
class PlanItemView:
    """A measure of the action plan with its annex number (1.1, 1.2, 2.1 …)."""

    id: int
    number: str
    section: int
    section_title: str
    measure: str
    due_on: date
    responsible_name: str
    responsible_id: int | None
    expected_result: str
    report_document: str
    status: str
    done_on: date | None
    prototype_step: int | None
    overdue: bool


@dataclass(frozen=True)
class CaseView:
    """Everything the UI shows about a case."""

    id: int
    number: str
    process_id: int
    process_name: str
    owner_id: int | None
    owner_name: str | None
    ground: str
    ground_title: str
    arose_on: date
    status: str
    outcome: str | None
    outcome_title: str | None
    closed_on: date | None
    uses_digital_service: bool
    steps: tuple[StepView, ...]
    grounds: tuple[GroundView, ...]
    documents: tuple[DocumentView, ...]
    audit: tuple[AuditEntry, ...]
    plan_items: tuple[PlanItemView, ...]
    extensions: tuple[ExtensionView, ...]
    # Conclusions waiting for the department head: (step id, the head's name), §2.2.6.
    signing: tuple[tuple[str, str], ...] = ()

    @property
    def active_steps(self) -> tuple[StepView, ...]:
        return tuple(step for step in self.steps if step.status == StepStatus.ACTIVE)

    @property
    def overdue(self) -> bool:
        return any(step.overdue for step in self.steps) or any(
            item.overdue for item in self.plan_items
        )

    def step(self, step_id: str) -> StepView:
        """The step with this id (KeyError if none)."""
        for step in self.steps:
            if step.step_id == step_id:
                return step
        raise KeyError(step_id)


@dataclass(frozen=True)
class CaseSummary:
    """A line of a case list."""

    id: int
    number: str
    process_id: int
    process_name: str
    ground: str
    status: str
    outcome: str | None
    active_steps: tuple[str, ...]
    next_due: date | None
    overdue: bool
    overdue_steps: tuple[str, ...] = field(default=())


def case_number(case_id: int) -> str:
    """How a case is named to people."""
    return f"№ {case_id}"


def data_warning(day: date | None, _: Translator) -> str | None:
    """The calendar's warning when a due date falls in a year without official data."""
    return WorkingCalendar.data_warning(day.year, _) if day is not None else None


_OPEN_STATUSES = (PlanItemStatus.PLANNED, PlanItemStatus.IN_PROGRESS)


def numbered_items(
    items: Sequence[PlanItem], *, today: date | None, sections: Mapping[int, str]
) -> list[PlanItemView]:
    """Items in annex order with their numbers; overdue flags only when ``today`` is given.

    ``sections`` are the annex's section titles (the template's ``plan.sections``).
    """
    ordered = sorted(items, key=lambda item: (item.section, item.position, item.id))
    counters: dict[int, int] = {}
    views: list[PlanItemView] = []
    for item in ordered:
        counters[item.section] = counters.get(item.section, 0) + 1
        views.append(
            PlanItemView(
                id=item.id,
                number=f"{item.section}.{counters[item.section]}",
                section=item.section,
                section_title=sections.get(item.section, str(item.section)),
                measure=item.measure,
                due_on=item.due_on,
                responsible_name=item.responsible_name,
                responsible_id=item.responsible_id,
                expected_result=item.expected_result,
                report_document=item.report_document,
                status=item.status.value,
                done_on=item.done_on,
                prototype_step=item.prototype_step,
                overdue=today is not None and item.status in _OPEN_STATUSES and item.due_on < today,
            )
        )
    return views
