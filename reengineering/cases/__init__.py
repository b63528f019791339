"""Reengineering cases: opening on a ground, moving through the template's steps, closing.

A case is the research → design → implementation workflow of one process (seed 003). Its
steps are the rows of a workflow template; due dates come from the production calendar and
are recomputed after every event. Service functions take an :class:`AsyncSession` and never
commit: the caller's unit of work does, and every message they cause is queued through the
transactional outbox in the same transaction.

One job per module: ``workflow`` (recomputation, completing steps, decisions, the meeting,
closing), ``opening``, ``extensions``, ``documents``, ``queries`` (read queries), ``views``
(the read models and titles), ``notices`` (the messages sent), ``audit`` (the audit trail),
``records`` (loading rows), ``steps`` (step ids and templates), ``errors``. This module
re-exports the names other packages use.
"""

from reengineering.cases.choice import current_regulation
from reengineering.cases.documents import attach_document
from reengineering.cases.due_dates import set_due_date
from reengineering.cases.errors import CaseError
from reengineering.cases.extensions import decide_extension, request_extension
from reengineering.cases.notices import officer_chats, owner_chat
from reengineering.cases.opening import open_case, open_cases_from_detections, open_on_due_ground
from reengineering.cases.queries import case_view, cases_for_officer, cases_for_owner
from reengineering.cases.steps import (
    DEFAULT_TEMPLATE,
    IMPL_STEP,
    MEETING_STEP,
    PLAN_STEP,
    SURVEY_LIST_STEP,
    SURVEY_STEP,
    acting,
    plan_annex,
    template_of,
)
from reengineering.cases.views import (
    GROUND_TITLES,
    STATUS_TITLES,
    AuditEntry,
    CaseSummary,
    CaseView,
    DocumentView,
    ExtensionView,
    GroundView,
    OpenResult,
    PlanItemView,
    StepView,
    Transition,
    case_number,
    ground_title,
    numbered_items,
)
from reengineering.cases.workflow import (
    complete_step,
    record_decision,
    refresh_case,
    schedule_meeting,
)
from storage.cases_models import Ground

__all__ = [
    "DEFAULT_TEMPLATE",
    "GROUND_TITLES",
    "IMPL_STEP",
    "MEETING_STEP",
    "PLAN_STEP",
    "STATUS_TITLES",
    "SURVEY_LIST_STEP",
    "SURVEY_STEP",
    "AuditEntry",
    "CaseError",
    "CaseSummary",
    "CaseView",
    "DocumentView",
    "ExtensionView",
    "Ground",
    "GroundView",
    "OpenResult",
    "PlanItemView",
    "StepView",
    "Transition",
    "acting",
    "attach_document",
    "case_number",
    "case_view",
    "cases_for_officer",
    "cases_for_owner",
    "complete_step",
    "current_regulation",
    "decide_extension",
    "ground_title",
    "numbered_items",
    "officer_chats",
    "open_case",
    "open_cases_from_detections",
    "open_on_due_ground",
    "owner_chat",
    "plan_annex",
    "record_decision",
    "refresh_case",
    "request_extension",
    "schedule_meeting",
    "set_due_date",
    "template_of",
]
