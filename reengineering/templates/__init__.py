"""Reengineering workflow templates: the steps of a regulation as data, and their due dates.

Each organisation follows its own order (seed 003 is the Desnogorsk one); keeping the steps,
clocks and deadlines in YAML lets an organisation adopt a changed order without new code,
and lets the loader refuse a broken order before any deadline is computed from it.

A step's *clock* says which event starts its deadline (see :class:`ClockStart`); the due
date is ``deadline_days`` working days after that event, or a date people enter when the
regulation gives no count (the next working-group meeting, the end of the action plan).
A step may end with a *decision* taken when the step is completed; its options lead to the
next step or end the case. Returning work for revision is an option with ``revision: true``
that leads back to an earlier step — loops go through decisions, never through clocks.

The package: ``model`` (titles, steps, clocks, decisions), ``validation``, ``stage`` (the
whole template), ``loading`` (YAML, shipped by name: the ``*.yaml`` files beside this one),
``planning`` (due dates). This module re-exports their public names.
"""

from reengineering.templates.loading import SHIPPED, TEMPLATES_DIR, load_template, parse_template
from reengineering.templates.model import (
    ACTOR_TITLES,
    OUTCOME_TITLES,
    STAGE_TITLES,
    Actor,
    ClockEvent,
    ClockStart,
    DecisionOption,
    DecisionTemplate,
    GroundTemplate,
    Outcome,
    PlanAnnex,
    PrototypeMeasure,
    ScopeList,
    Stage,
    StepTemplate,
    TemplateError,
)
from reengineering.templates.planning import (
    StepPlan,
    WorkingDayCalendar,
    plan_due_dates,
    plan_steps,
)
from reengineering.templates.stage import StageTemplate

__all__ = [
    "ACTOR_TITLES",
    "OUTCOME_TITLES",
    "SHIPPED",
    "STAGE_TITLES",
    "TEMPLATES_DIR",
    "Actor",
    "ClockEvent",
    "ClockStart",
    "DecisionOption",
    "DecisionTemplate",
    "GroundTemplate",
    "Outcome",
    "PlanAnnex",
    "PrototypeMeasure",
    "ScopeList",
    "Stage",
    "StageTemplate",
    "StepPlan",
    "StepTemplate",
    "TemplateError",
    "WorkingDayCalendar",
    "load_template",
    "parse_template",
    "plan_due_dates",
    "plan_steps",
]
