"""The department head's part in a case: signing the conclusions, hearing of an exclusion.

Seed 003 §2.2.6 (and §3.3, §3.7 in the same words): «Заключение подписывается руководителем
структурного подразделения, в состав которого входит ответственное за процесс лицо и вместе
с документами передается ответственному по клиентоцентричности». A step that passes a
conclusion on is completed only once the head signs it: the submission waits as a pending
signature, the head gets «Подписать» / «Вернуть на доработку». A department without a
recorded head has nobody to wait for, and the step completes as before.

§2.2.5: «В случае если было принято решение о необходимости исключения процесса, решение
также направляется руководителю соответствующего структурного подразделения».
"""

from __future__ import annotations

from datetime import date, datetime
from html import escape
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from core.i18n import Translator
from core.speech import Action, Intent
from core.wording import __
from reengineering.cases.audit import audit_event, moment
from reengineering.cases.errors import CaseError
from reengineering.cases.records import load_person, person_name
from reengineering.cases.views import case_number
from reengineering.templates import StepTemplate
from registry.heads import department_head
from storage.cases_models import CaseSignature, CaseStep, ReengineeringCase, SignatureStatus
from storage.models import Person, Process
from storage.outbox import enqueue
from storage.recipients import recipient_of

__all__ = [
    "HEAD_HEARS",
    "SIGNED_CONCLUSIONS",
    "clause_label",
    "latest_signature",
    "notify_head_of_decision",
    "notify_head_of_exclusion",
    "signature_gate",
    "signed_clause",
]

# The steps whose conclusion the head signs, per template, with the number of the clause that
# says so: the step that passes the conclusion to the officer (R8, §2.2.6) or the working
# group's decision that the officer confirms next (D3, §3.3; D5, §3.7). The clause is worded
# for people by `clause_label`, through the catalogue.
SIGNED_CONCLUSIONS: dict[str, dict[str, str]] = {
    "seed003": {"R8": "2.2.6", "D3": "3.3", "D5": "3.7"},
}


# The officer's decisions the head hears of: §3.7 «… и доводит его до руководителя
# структурного подразделения и ответственного за процесс».
HEAD_HEARS: dict[str, dict[str, str]] = {"seed003": {"D5C": "3.7"}}


def clause_label(number: str, _: Translator) -> str:
    """A clause of the procedure as documents cite it: «п. 3.7»."""
    return _("clause {number}").format(number=number)


def signed_clause(template_id: str, step_id: str, _: Translator) -> str | None:
    """The clause that has the head sign this step's conclusion, worded, or None."""
    number = SIGNED_CONCLUSIONS.get(template_id, {}).get(step_id)
    return None if number is None else clause_label(number, _)


async def latest_signature(
    session: AsyncSession, case_id: int, step_id: str, activation: int
) -> CaseSignature | None:
    """The latest signature asked for this pass of the step."""
    found = await session.scalars(
        sa.select(CaseSignature)
        .where(
            CaseSignature.case_id == case_id,
            CaseSignature.step_code == step_id,
            CaseSignature.activation == activation,
        )
        .order_by(CaseSignature.id.desc())
        .limit(1)
    )
    return found.first()


async def signature_gate(
    session: AsyncSession,
    case: ReengineeringCase,
    process: Process,
    step: StepTemplate,
    row: CaseStep,
    actor_id: int,
    request: dict[str, Any],
    *,
    on: date,
    at: datetime | None,
    _: Translator,
) -> bool:
    """True when the step may be completed now; False when it went to the head to sign."""
    clause = signed_clause(case.template_id, step.id, _)
    if clause is None:
        return True
    head = await department_head(session, process.department_id)
    if head is None:
        return True
    latest = await latest_signature(session, case.id, step.id, row.activation)
    if latest is not None and latest.status == SignatureStatus.SIGNED:
        return True
    if latest is not None and latest.status == SignatureStatus.PENDING:
        raise CaseError(
            __("The conclusion of step {step} is waiting for the signature of {name}."),
            step=step.id,
            name=person_name(head, _) or "",
        )
    signature = CaseSignature(
        case_id=case.id,
        step_code=step.id,
        activation=row.activation,
        head_id=head.id,
        requested_by_id=actor_id,
        request=request,
        status=SignatureStatus.PENDING,
        requested_at=moment(on, at),
    )
    session.add(signature)
    await session.flush()
    await audit_event(
        session, case.id, "signature_requested", on=on, at=at, actor_id=actor_id,
        step_id=step.id, head_id=head.id, signature_id=signature.id,
    )  # fmt: skip
    await _ask_head(session, case, process, step, signature, head, clause, _)
    return False


async def _ask_head(
    session: AsyncSession,
    case: ReengineeringCase,
    process: Process,
    step: StepTemplate,
    signature: CaseSignature,
    head: Person,
    clause: str,
    _: Translator,
) -> None:
    requester = await load_person(session, signature.requested_by_id)
    lines = [
        _(
            "✍️ Reengineering {number} «{process}»: the conclusion of step {step} «{title}» "
            "({clause}) awaits your signature as the head of the department."
        ).format(
            number=case_number(case.id),
            process=escape(process.name),
            step=step.id,
            title=escape(step.title),
            clause=clause,
        ),
    ]
    option = signature.request.get("option")
    if option and step.decision is not None and (chosen := step.decision.option(option)):
        lines.append(_("Decision: {decision}.").format(decision=escape(chosen.title)))
    if requester is not None:
        lines.append(_("Submitted by {name}.").format(name=escape(person_name(requester, _) or "")))
    actions = (
        (
            Action(Intent.SIGNATURE_SIGN, (signature.id,), _("Sign")),
            Action(Intent.SIGNATURE_RETURN, (signature.id,), _("Return for revision")),
        ),
    )
    await enqueue(
        session, chat_id=recipient_of(head), text="\n".join(lines), kind="case_signature",
        dedupe_key=f"sign:{signature.id}", actions=actions,
    )  # fmt: skip


async def notify_head_of_exclusion(
    session: AsyncSession,
    case: ReengineeringCase,
    process: Process,
    step: StepTemplate,
    on: date,
    _: Translator,
) -> bool:
    """§2.2.5: a decision to exclude the process goes to the department head as well."""
    head = await department_head(session, process.department_id)
    if head is None:
        return False
    text = _(
        "⚠️ Reengineering {number} «{process}»: step {step} «{title}» decided that the process "
        "is to be excluded from the Register of processes (clause 2.2.5 of the Procedure). "
        "The decision is sent to you as the head of the department."
    ).format(
        number=case_number(case.id), process=escape(process.name), step=step.id,
        title=escape(step.title),
    )  # fmt: skip
    return await enqueue(
        session, chat_id=recipient_of(head), text=text, kind="case_exclusion",
        dedupe_key=f"case:{case.id}:exclude:{step.id}:{on.isoformat()}",
    )  # fmt: skip


async def notify_head_of_decision(
    session: AsyncSession,
    case: ReengineeringCase,
    process: Process,
    step: StepTemplate,
    title: str,
    on: date,
    _: Translator,
) -> bool:
    """§3.7: the officer's decision on the plan is brought to the department head as well."""
    number = HEAD_HEARS.get(case.template_id, {}).get(step.id)
    head = await department_head(session, process.department_id) if number else None
    if head is None or number is None:
        return False
    text = _(
        "📋 Reengineering {number} «{process}», step {step} ({clause}): {decision}. "
        "The decision is brought to you as the head of the department."
    ).format(
        number=case_number(case.id), process=escape(process.name), step=step.id,
        clause=clause_label(number, _), decision=escape(title),
    )  # fmt: skip
    return await enqueue(
        session, chat_id=recipient_of(head), text=text, kind="case_decision",
        dedupe_key=f"case:{case.id}:head:{step.id}:{on.isoformat()}",
    )  # fmt: skip
