"""Read queries of cases: one case as the UI shows it, and the lists for owners and officers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from core.i18n import Translator
from core.wording import speaking
from reengineering.cases.records import (
    case_owner_id,
    load_case,
    load_person,
    load_process,
    person_name,
    plan_item_rows,
    step_rows,
)
from reengineering.cases.steps import IMPL_STEP, acting, plan_annex, template_of
from reengineering.cases.views import (
    GROUND_TITLES,
    STATUS_TITLES,
    AuditEntry,
    CaseSummary,
    CaseView,
    DocumentView,
    ExtensionView,
    GroundView,
    StepView,
    case_number,
    data_warning,
    numbered_items,
)
from reengineering.templates import ACTOR_TITLES, OUTCOME_TITLES, STAGE_TITLES, StageTemplate
from storage.cases_models import (
    CaseDocument,
    CaseEvent,
    CaseExtension,
    CaseGround,
    CaseSignature,
    CaseStatus,
    CaseStep,
    ReengineeringCase,
    SignatureStatus,
    StepStatus,
)
from storage.models import Person, Process

__all__ = ["case_view", "cases_for_officer", "cases_for_owner"]


def _overdue(status: str, due: date | None, today: date | None) -> bool:
    return status == StepStatus.ACTIVE and due is not None and today is not None and due < today


class _Names:
    """People's names for one view, each looked up once."""

    def __init__(self, session: AsyncSession, _: Translator) -> None:
        self._session = session
        self._ = _
        self._known: dict[int, str | None] = {}

    async def of(self, person_id: int | None) -> str | None:
        if person_id is None:
            return None
        if person_id not in self._known:
            person = await load_person(self._session, person_id)
            self._known[person_id] = person_name(person, self._)
        return self._known[person_id]


async def _step_views(
    template: StageTemplate,
    rows: dict[str, CaseStep],
    names: _Names,
    today: date | None,
    _: Translator,
) -> tuple[StepView, ...]:
    steps: list[StepView] = []
    for step in template.steps:
        row = rows[step.id]
        decision = step.decision.option(row.decision) if step.decision and row.decision else None
        done_on = row.done_on if row.status == StepStatus.DONE else None
        steps.append(
            StepView(
                step_id=step.id,
                title=step.title,
                stage=step.stage,
                stage_title=_(STAGE_TITLES[step.stage]),
                clause=step.clause,
                produces=step.produces,
                actor=step.actor,
                actor_title=_(ACTOR_TITLES[step.actor]),
                status=row.status.value,
                status_title=_(STATUS_TITLES[row.status]),
                started_on=row.started_on,
                due_on=row.due_on,
                due_note=step.due_note,
                done_on=done_on,
                done_by=await names.of(row.done_by_id) if done_on else None,
                decision=decision.id if decision and done_on else None,
                decision_title=decision.title if decision and done_on else None,
                options=tuple(
                    (o.id, o.title, o.revision)
                    for o in (step.decision.options if step.decision else ())
                ),
                revision_due=row.revision_due if done_on else None,
                reopened=row.reopened,
                acting=acting(step, row),
                acting_title=_(ACTOR_TITLES[acting(step, row)]),
                extended=row.extended_due is not None and row.status == StepStatus.ACTIVE,
                overdue=_overdue(row.status, row.due_on, today),
                data_warning=data_warning(row.due_on, _),
            )
        )
    return tuple(steps)


async def _grounds(session: AsyncSession, case_id: int, _: Translator) -> tuple[GroundView, ...]:
    grounds = await session.scalars(
        sa.select(CaseGround).where(CaseGround.case_id == case_id).order_by(CaseGround.id)
    )
    return tuple(
        GroundView(g.ground.value, _(GROUND_TITLES[g.ground]), g.arose_on, g.opened, g.detection_id)
        for g in grounds
    )


async def _documents(
    session: AsyncSession, case_id: int, names: _Names
) -> tuple[DocumentView, ...]:
    documents = await session.scalars(
        sa.select(CaseDocument).where(CaseDocument.case_id == case_id).order_by(CaseDocument.id)
    )
    return tuple(
        [
            DocumentView(
                d.id,
                d.step_code,
                d.original_name,
                d.telegram_file_id,
                d.file_path,
                await names.of(d.uploaded_by_id),
                d.uploaded_at,
            )
            for d in documents
        ]
    )


async def _audit_trail(
    session: AsyncSession, case_id: int, names: _Names
) -> tuple[AuditEntry, ...]:
    events = await session.scalars(
        sa.select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
    )
    return tuple(
        [
            AuditEntry(
                e.at,
                e.on_day,
                e.actor_id,
                await names.of(e.actor_id),
                e.action,
                e.step_code,
                dict(e.details or {}),
            )
            for e in events
        ]
    )


async def _extensions(
    session: AsyncSession, case_id: int, names: _Names
) -> tuple[ExtensionView, ...]:
    extensions = await session.scalars(
        sa.select(CaseExtension).where(CaseExtension.case_id == case_id).order_by(CaseExtension.id)
    )
    return tuple(
        [
            ExtensionView(
                x.id,
                x.step_code,
                x.reason,
                x.proposed_due,
                x.status.value,
                await names.of(x.requested_by_id),
                x.new_due,
                x.comment,
            )
            for x in extensions
        ]
    )


async def case_view(
    session: AsyncSession, case_id: int, *, today: date | None = None, _: Translator | None = None
) -> CaseView:
    """Everything the UI shows about a case; overdue flags need ``today`` (the local date)."""
    _ = speaking(_)
    case = await load_case(session, case_id)
    template = template_of(case.template_id)
    process = await load_process(session, case.process_id)
    owner = await load_person(session, case_owner_id(case, process))
    rows = await step_rows(session, case.id)
    names = _Names(session, _)
    steps = await _step_views(template, rows, names, today, _)
    implementing = rows.get(IMPL_STEP) and rows[IMPL_STEP].status == StepStatus.ACTIVE
    return CaseView(
        id=case.id,
        number=case_number(case.id),
        process_id=process.id,
        process_name=process.name,
        owner_id=case_owner_id(case, process),
        owner_name=person_name(owner, _),
        ground=case.ground.value,
        ground_title=_(GROUND_TITLES[case.ground]),
        arose_on=case.arose_on,
        status=case.status.value,
        outcome=case.outcome,
        outcome_title=_(OUTCOME_TITLES[case.outcome]) if case.outcome in OUTCOME_TITLES else None,
        closed_on=case.closed_on,
        uses_digital_service=case.uses_digital_service,
        steps=steps,
        grounds=await _grounds(session, case.id, _),
        documents=await _documents(session, case.id, names),
        audit=await _audit_trail(session, case.id, names),
        plan_items=tuple(
            numbered_items(
                await plan_item_rows(session, case.id),
                today=today if implementing else None,
                sections=plan_annex(case.template_id).sections,
            )
        ),
        extensions=await _extensions(session, case.id, names),
        signing=await _signing(session, case.id, _),
    )


async def _signing(
    session: AsyncSession, case_id: int, _: Translator
) -> tuple[tuple[str, str], ...]:
    """The conclusions of the case waiting for the head's signature."""
    rows = await session.execute(
        sa.select(CaseSignature.step_code, Person)
        .join(Person, Person.id == CaseSignature.head_id)
        .where(CaseSignature.case_id == case_id, CaseSignature.status == SignatureStatus.PENDING)
        .order_by(CaseSignature.id)
    )
    return tuple((step, person_name(head, _) or "") for step, head in rows)


async def _summaries(
    session: AsyncSession, cases: Sequence[ReengineeringCase], today: date | None
) -> list[CaseSummary]:
    summaries: list[CaseSummary] = []
    for case in cases:
        process = await load_process(session, case.process_id)
        rows = await step_rows(session, case.id)
        active = [row for row in rows.values() if row.status == StepStatus.ACTIVE]
        dues = [row.due_on for row in active if row.due_on is not None]
        late = tuple(row.step_code for row in active if _overdue(row.status, row.due_on, today))
        summaries.append(
            CaseSummary(
                id=case.id,
                number=case_number(case.id),
                process_id=process.id,
                process_name=process.name,
                ground=case.ground.value,
                status=case.status.value,
                outcome=case.outcome,
                active_steps=tuple(row.step_code for row in active),
                next_due=min(dues) if dues else None,
                overdue=bool(late),
                overdue_steps=late,
            )
        )
    return summaries


def _order(summary: CaseSummary) -> tuple[int, int, date, int]:
    """Open before closed, overdue first, then the nearest deadline."""
    return (
        0 if summary.status == CaseStatus.OPEN else 1,
        0 if summary.overdue else 1,
        summary.next_due or date.max,
        summary.id,
    )


async def cases_for_owner(
    session: AsyncSession,
    person_id: int,
    *,
    today: date | None = None,
    include_closed: bool = False,
) -> list[CaseSummary]:
    """Cases a person owns: those of their processes and those an instruction gave them
    (seed 003 §1.4), without the cases of their processes given to someone else."""
    query = (
        sa.select(ReengineeringCase)
        .join(Process, Process.id == ReengineeringCase.process_id)
        .where(
            sa.or_(
                ReengineeringCase.owner_id == person_id,
                sa.and_(ReengineeringCase.owner_id.is_(None), Process.owner_id == person_id),
            )
        )
    )
    if not include_closed:
        query = query.where(ReengineeringCase.status == CaseStatus.OPEN)
    cases = list(await session.scalars(query.order_by(ReengineeringCase.id)))
    return sorted(await _summaries(session, cases, today), key=_order)


async def cases_for_officer(
    session: AsyncSession, *, today: date | None = None, include_closed: bool = False
) -> list[CaseSummary]:
    """All cases for the officer, overdue first (``today`` decides what is overdue)."""
    query = sa.select(ReengineeringCase)
    if not include_closed:
        query = query.where(ReengineeringCase.status == CaseStatus.OPEN)
    cases = list(await session.scalars(query.order_by(ReengineeringCase.id)))
    return sorted(await _summaries(session, cases, today), key=_order)
