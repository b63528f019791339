"""The working group's minutes, and the approved plan sent with them to every executor.

Seed 003 §3.8: «В случае принятия рабочей группой решения, указанного в подпункте 1 пункта
3.6. настоящего раздела, он считается утвержденным протоколом заседания рабочей группы,
который направляется по системе электронного документооборота всем исполнителям мероприятий,
указанным в плане мероприятий, вместе с приложением в виде плана мероприятий».

When the officer enters a working-group decision, the bot drafts the minutes of that
meeting (what it knows: the date, the agenda, the documents considered, the decision; the
rest shaded for the officer to fill in), attaches the draft to the step and sends it to the
officers. When the plan is approved, every executor named in it gets the plan and the
minutes: the latest document of the meeting step, i.e. the officer's completed minutes once
attached, else the draft.
"""

from __future__ import annotations

from datetime import date, datetime
from html import escape
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from core.calendar import WorkingCalendar
from core.i18n import Translator
from core.wording import speaking
from reengineering.cases import (
    IMPL_STEP,
    MEETING_STEP,
    Transition,
    attach_document,
    case_view,
    complete_step,
    officer_chats,
    record_decision,
    template_of,
)
from reengineering.cases.records import load_case, plan_item_rows, step_rows
from reengineering.reminders import format_date
from storage.cases_models import CaseDocument
from storage.delivery_models import OutboxLane
from storage.models import OrganizationSettings, Person
from storage.outbox import enqueue
from storage.recipients import recipient_of

__all__ = ["complete", "decide", "distribute_plan", "draft_minutes"]


async def decide(
    session: AsyncSession,
    case_id: int,
    step_id: str,
    option: str,
    actor_id: int,
    *,
    on: date,
    folder: Path,
    at: datetime | None = None,
    revision_due: date | None = None,
    meeting_on: date | None = None,
    calendar: WorkingCalendar | None = None,
    _: Translator | None = None,
) -> Transition:
    """Record a decision; a working group's comes with draft minutes, an approved plan goes
    out with its minutes (§3.8)."""
    _ = speaking(_)
    step = template_of(await _template_id(session, case_id)).step(step_id)
    transition = await record_decision(
        session, case_id, step_id, option, actor_id, on=on, at=at, revision_due=revision_due,
        meeting_on=meeting_on, calendar=calendar, _=_,
    )  # fmt: skip
    if step.actor == "working_group":
        await draft_minutes(session, case_id, step_id, option, meeting_on or on, folder, at, _)
    chosen = step.decision.option(option) if step.decision is not None else None
    if chosen is not None and chosen.next == IMPL_STEP and not chosen.revision:
        await distribute_plan(session, case_id, folder, on, _)
    return transition


async def complete(
    session: AsyncSession,
    case_id: int,
    step_id: str,
    actor_id: int,
    *,
    on: date,
    folder: Path,
    at: datetime | None = None,
    calendar: WorkingCalendar | None = None,
    _: Translator | None = None,
) -> Transition:
    """Mark a step done; a working group's (the report, §4.2) comes with draft minutes."""
    _ = speaking(_)
    step = template_of(await _template_id(session, case_id)).step(step_id)
    transition = await complete_step(
        session, case_id, step_id, actor_id, on=on, at=at, calendar=calendar, _=_
    )
    if step.actor == "working_group":
        await draft_minutes(session, case_id, step_id, None, on, folder, at, _)
    return transition


async def _template_id(session: AsyncSession, case_id: int) -> str:
    return (await load_case(session, case_id)).template_id


async def draft_minutes(
    session: AsyncSession,
    case_id: int,
    step_id: str,
    option: str | None,
    meeting_on: date,
    folder: Path,
    at: datetime | None,
    _: Translator,
) -> Path:
    """Draft the minutes of the meeting that took this step's decision; attach and send it."""
    view = await case_view(session, case_id, _=_)
    template = template_of(await _template_id(session, case_id))
    step = template.step(step_id)
    chosen = step.decision.option(option) if step.decision and option else None
    decision = chosen.title if chosen is not None else step.produces
    row = (await step_rows(session, case_id))[step_id]
    if row.revision_due is not None:
        decision += "; " + _("revision until {day}").format(day=format_date(row.revision_due))
    organization = await session.scalar(
        sa.select(OrganizationSettings.name).order_by(OrganizationSettings.id).limit(1)
    )
    clause = f" ({step.clause})" if step.clause else ""
    considered = [d.original_name for d in view.documents if d.step_id != step_id]
    executors = sorted({item.responsible_name for item in view.plan_items})
    rows: list[tuple[str, str | None]] = [
        (_("Date of the meeting"), format_date(meeting_on)),
        (_("Place"), None),
        (_("Chair"), None),
        (_("Secretary"), None),
        (_("Present"), None),
        (_("Invited (representatives of the public, experts, employees; clause 3.2)"), None),
        (
            _("Agenda"),
            _("Reengineering {number} «{process}»: {title}{clause}").format(
                number=view.number, process=view.process_name, title=step.title, clause=clause
            ),
        ),
        (_("Documents considered"), "\n".join(considered) or "—"),
        (_("Decided"), decision),
        (_("Voted: for / against / abstained"), None),
    ]
    if step_id == MEETING_STEP and executors:
        rows.append((_("Executors of the action plan"), "\n".join(executors)))
        rows.append((_("Annex"), _("Action plan of reengineering {n}").format(n=view.number)))
    # openpyxl comes with the first form written, not with the bot's start (memory goal).
    from reengineering.form_xlsx import Form, write_form

    form = Form(
        organization=organization or "",
        title=_("MINUTES (DRAFT)"),
        subtitle=_("of the meeting of the working group on client-centricity"),
        rows=rows,
        signatures=[(_("Chair of the working group"), None), (_("Secretary"), None)],
        sheet_name=_("Minutes"),
        footer=_(
            "Drafted by the bot; fill in the shaded fields, sign, and attach the minutes to "
            "step {step} of the case."
        ).format(step=step_id),
    )
    out = write_form(form, folder / f"case{case_id}_{step_id}_minutes_{row.activation}.xlsx")
    on = at.date() if at is not None else meeting_on
    name = _("Draft minutes {step} ({number}).xlsx").format(step=step_id, number=view.number)
    await attach_document(
        session, case_id, step_id, None, original_name=name, on=on, file_path=str(out), at=at
    )
    caption = _(
        "📝 Draft minutes of the working-group meeting of {day} on reengineering {number} "
        "«{process}», step {step}: complete it and attach the signed minutes to the step."
    ).format(
        day=format_date(meeting_on), number=view.number, process=escape(view.process_name),
        step=step_id,
    )  # fmt: skip
    for chat in await officer_chats(session):
        await enqueue(
            session, chat_id=chat, text=caption, kind="case_minutes", method="sendDocument",
            file_path=str(out), dedupe_key=f"minutes:{case_id}:{step_id}:{row.activation}:{chat}",
        )  # fmt: skip
    return out


async def distribute_plan(
    session: AsyncSession, case_id: int, folder: Path, on: date, _: Translator
) -> int:
    """§3.8: the plan and the minutes to every executor named in the plan; how many got them."""
    from reengineering.plan_xlsx import write_action_plan_xlsx  # openpyxl: loaded on demand

    view = await case_view(session, case_id, _=_)
    plan = await write_action_plan_xlsx(
        session, case_id, folder / f"case{case_id}_action_plan_approved.xlsx", _
    )
    minutes = await session.scalar(
        sa.select(CaseDocument.file_path)
        .where(
            CaseDocument.case_id == case_id,
            CaseDocument.step_code == MEETING_STEP,
            CaseDocument.file_path.is_not(None),
        )
        .order_by(CaseDocument.uploaded_at.desc(), CaseDocument.id.desc())
        .limit(1)
    )
    items = await plan_item_rows(session, case_id)
    executor_ids = list(dict.fromkeys(i.responsible_id for i in items if i.responsible_id))
    unnamed = sorted({i.responsible_name for i in items if i.responsible_id is None})
    names = {"number": view.number, "process": escape(view.process_name)}
    sent = 0
    for person_id in executor_ids:
        person = await session.get(Person, person_id)
        if person is None:
            continue
        chat = recipient_of(person)
        documents = [
            (
                plan,
                _("Annex to the minutes: the action plan of reengineering {number} «{process}»"),
            ),
            (
                minutes,
                _("Minutes of the working-group meeting that approved the plan (clause 3.8)"),
            ),
        ]
        for index, (path, caption) in enumerate(documents):
            if path is None:
                continue
            await enqueue(
                session, chat_id=chat, text=caption.format(**names), kind="plan_approved",
                method="sendDocument", file_path=str(path), lane=OutboxLane.ALERT,
                dedupe_key=f"plan-docs:{case_id}:{on.isoformat()}:{index}:{chat}",
            )  # fmt: skip
        sent += 1
    if unnamed:
        text = _(
            "📋 Reengineering {number} «{process}»: the plan and the minutes could not be sent "
            "to executors without an account in the bot: {names}."
        ).format(**names, names=escape(", ".join(unnamed)))
        for chat in await officer_chats(session):
            await enqueue(
                session, chat_id=chat, text=text, kind="plan_approved",
                dedupe_key=f"plan-docs:{case_id}:{on.isoformat()}:unnamed:{chat}",
            )  # fmt: skip
    return sent
