"""The department head signs a step's conclusion, or returns it for revision.

Seed 003 §2.2.6, §3.3, §3.7: «Заключение подписывается руководителем структурного
подразделения … и вместе с документами передается ответственному по клиентоцентричности».
Signing completes the step as it was submitted (``reengineering.cases.conclusions`` held it)
and writes the conclusion with the head's name, attached to the step and sent to the
officers; a return tells whoever submitted it why, and the step stays theirs to redo.
"""

from __future__ import annotations

from datetime import date, datetime
from html import escape
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from core.calendar import WorkingCalendar
from core.i18n import Translator
from core.text import is_blank, visible
from core.wording import __, speaking
from reengineering.cases import (
    CaseError,
    CaseView,
    Transition,
    attach_document,
    case_number,
    case_view,
    complete_step,
    officer_chats,
    record_decision,
    template_of,
)
from reengineering.cases.audit import audit_event, moment
from reengineering.cases.conclusions import signed_clause
from reengineering.cases.notices import notify
from reengineering.cases.records import load_case, load_person, load_process, person_name
from reengineering.reminders import format_date
from reengineering.templates import StageTemplate, StepTemplate
from storage.cases_models import CaseSignature, SignatureStatus
from storage.delivery_models import OutboxLane
from storage.models import Department, OrganizationSettings, Person
from storage.outbox import enqueue
from storage.recipients import recipient_of

__all__ = ["return_conclusion", "sign_conclusion", "signature_of"]

_SUBJECTS = {
    "R8": __("on the results of the research of the process"),
    "D3": __("on the target procedure of the process"),
    "D5": __("on the action plan"),
}


async def signature_of(session: AsyncSession, signature_id: int, actor_id: int) -> CaseSignature:
    """A pending signature the actor may give; a CaseError otherwise."""
    signature = await session.get(CaseSignature, signature_id)
    if signature is None or signature.status != SignatureStatus.PENDING:
        raise CaseError(__("This conclusion no longer waits for a signature."))
    if signature.head_id != actor_id:
        raise CaseError(
            __("The conclusion is signed by the head of the department of the process owner.")
        )
    return signature


async def sign_conclusion(
    session: AsyncSession,
    signature_id: int,
    actor_id: int,
    *,
    on: date,
    folder: Path,
    at: datetime | None = None,
    calendar: WorkingCalendar | None = None,
    _: Translator | None = None,
) -> Transition:
    """The head signs: the step completes as submitted, the conclusion goes to the officers."""
    _ = speaking(_)
    signature = await signature_of(session, signature_id, actor_id)
    signature.status = SignatureStatus.SIGNED
    signature.decided_at = moment(on, at)
    signature.decided_on = on
    await audit_event(
        session, signature.case_id, "signature_signed", on=on, at=at, actor_id=actor_id,
        step_id=signature.step_code, signature_id=signature.id,
    )  # fmt: skip
    await session.flush()
    request = signature.request
    submitter = signature.requested_by_id or actor_id
    comment = request.get("comment")
    if request.get("option"):
        revision = request.get("revision_due")
        transition = await record_decision(
            session, signature.case_id, signature.step_code, request["option"], submitter,
            on=on, at=at, calendar=calendar, _=_, comment=comment,
            revision_due=date.fromisoformat(revision) if revision else None,
            meeting_on=date.fromisoformat(request["meeting_on"]),
        )  # fmt: skip
    else:
        transition = await complete_step(
            session, signature.case_id, signature.step_code, submitter,
            on=on, at=at, calendar=calendar, _=_, comment=comment,
        )  # fmt: skip
    await _send_conclusion(session, signature, folder, on, at, _)
    return transition


async def return_conclusion(
    session: AsyncSession,
    signature_id: int,
    actor_id: int,
    comment: str,
    *,
    on: date,
    at: datetime | None = None,
    _: Translator | None = None,
) -> None:
    """The head returns the conclusion: the submitter hears why; the step stays active."""
    _ = speaking(_)
    if is_blank(comment):
        raise CaseError(__("Say what is to be revised."))
    signature = await signature_of(session, signature_id, actor_id)
    signature.status = SignatureStatus.RETURNED
    signature.decided_at = moment(on, at)
    signature.decided_on = on
    signature.comment = visible(comment)
    await audit_event(
        session, signature.case_id, "signature_returned", on=on, at=at, actor_id=actor_id,
        step_id=signature.step_code, signature_id=signature.id, comment=signature.comment,
    )  # fmt: skip
    case = await load_case(session, signature.case_id)
    process = await load_process(session, case.process_id)
    head = await load_person(session, actor_id)
    text = _(
        "↩️ Reengineering {number} «{process}»: {name}, the head of the department, returned "
        "the conclusion of step {step} for revision: {comment}. Revise it and submit the step "
        "again."
    ).format(
        number=case_number(case.id), process=escape(process.name),
        name=escape(person_name(head, _) or ""), step=signature.step_code,
        comment=escape(signature.comment),
    )  # fmt: skip
    submitter = await load_person(session, signature.requested_by_id)
    chats = [recipient_of(submitter)] if submitter is not None else []
    await notify(session, chats, text, kind="case_signature", key=f"sign:{signature.id}:returned")


async def _send_conclusion(
    session: AsyncSession,
    signature: CaseSignature,
    folder: Path,
    on: date,
    at: datetime | None,
    _: Translator,
) -> None:
    """Write the signed conclusion, attach it to the step, send it to the officers."""
    case = await load_case(session, signature.case_id)
    view = await case_view(session, case.id, _=_)
    template = template_of(case.template_id)
    step = template.step(signature.step_code)
    head = await load_person(session, signature.head_id)
    process = await load_process(session, case.process_id)
    department = await session.get(Department, process.department_id or 0)
    decision = _decision_title(template, view, step)
    organization = await session.scalar(
        sa.select(OrganizationSettings.name).order_by(OrganizationSettings.id).limit(1)
    )
    subject = _(_SUBJECTS.get(step.id, __("on the step of the reengineering")))
    # openpyxl comes with the first form written, not with the bot's start (memory goal).
    from reengineering.form_xlsx import Form, write_form

    form = Form(
        organization=organization or "",
        title=_("CONCLUSION"),
        subtitle=f"{subject} ({signed_clause(case.template_id, step.id, _)})",
        rows=[
            (_("Reengineering"), view.number),
            (_("Process"), view.process_name),
            (_("Process owner"), view.owner_name or ""),
            (_("Step"), f"{step.id} — {step.title}"),
            (_("Decision of the working group"), decision or ""),
            (_("Documents"), "\n".join(d.original_name for d in view.documents) or "—"),
        ],
        signatures=[
            (
                _("Head of the department «{department}»").format(
                    department=department.name if department else ""
                ),
                f"________________  {person_name(head, _) or ''}",
            ),
            (_("Signed on"), format_date(on)),
        ],
        sheet_name=_("Conclusion"),
        footer=_("Signed in the bot by the head of the department on {day}.").format(
            day=format_date(on)
        ),
    )
    out = folder / f"case{case.id}_{step.id}_conclusion_{signature.id}.xlsx"
    write_form(form, out)
    name = _("Conclusion {step} ({number}).xlsx").format(step=step.id, number=view.number)
    await attach_document(
        session, case.id, step.id, None, original_name=name, on=on, file_path=str(out), at=at
    )
    caption = _(
        "✍️ {name}, the head of the department, signed the conclusion of step {step} of "
        "reengineering {number} «{process}»."
    ).format(
        name=escape(person_name(head, _) or ""), step=step.id, number=view.number,
        process=escape(view.process_name),
    )  # fmt: skip
    submitter: Person | None = await load_person(session, signature.requested_by_id)
    chats = [*await officer_chats(session), *([recipient_of(submitter)] if submitter else [])]
    for chat in dict.fromkeys(chats):
        await enqueue(
            session, chat_id=chat, text=caption, kind="case_conclusion", lane=OutboxLane.ALERT,
            dedupe_key=f"sign:{signature.id}:signed:{chat}", method="sendDocument",
            file_path=str(out),
        )  # fmt: skip


def _decision_title(template: StageTemplate, view: CaseView, step: StepTemplate) -> str | None:
    """The decision the conclusion rests on: the step's own, or the last one before it."""
    steps = template.steps[: template.steps.index(step) + 1]
    for candidate in reversed(steps):
        if candidate.decision is None:
            continue
        chosen = candidate.decision.option(view.step(candidate.id).decision or "")
        return chosen.title if chosen is not None else None
    return None
