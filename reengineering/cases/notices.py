"""What a case tells people: the texts of its messages, queued through the outbox.

Every function queues in the caller's transaction (a rolled-back event tells nobody
anything); a message is deduplicated by its key and the recipient.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from html import escape

from sqlalchemy.ext.asyncio import AsyncSession

from core.calendar import WorkingCalendar
from core.i18n import Translator
from reengineering.cases.records import case_owner_id, load_person, plan_item_rows
from reengineering.cases.steps import acting, plan_annex
from reengineering.cases.views import (
    GROUND_TITLES,
    PlanItemView,
    case_number,
    data_warning,
    numbered_items,
)
from reengineering.reminders import due_phrase, format_date
from reengineering.templates import (
    ACTOR_TITLES,
    OUTCOME_TITLES,
    STAGE_TITLES,
    StageTemplate,
    StepTemplate,
)
from storage.cases_models import CaseExtension, CaseStep, Ground, ReengineeringCase
from storage.delivery_models import OutboxLane
from storage.models import Person, Process
from storage.outbox import enqueue
from storage.recipients import Recipient, officer_recipients, person_recipient, recipient_of

__all__ = [
    "announce_step",
    "notify",
    "notify_closed",
    "notify_extension_decision",
    "notify_extension_request",
    "notify_ground_linked",
    "notify_meeting",
    "notify_opened",
    "officer_chats",
    "owner_chat",
    "send_approved_plan",
]


async def officer_chats(session: AsyncSession) -> list[Recipient]:
    """The client-centricity officers; messages to those not reachable yet wait for them."""
    return await officer_recipients(session)


async def owner_chat(
    session: AsyncSession, process: Process, case: ReengineeringCase | None = None
) -> Recipient | None:
    """The owner, reachable or not (`held` says why not); None without an owner. With a
    case, the case's own owner when an instruction named one (seed 003 §1.4)."""
    owner_id = case_owner_id(case, process) if case is not None else process.owner_id
    return await person_recipient(session, owner_id)


async def notify(
    session: AsyncSession,
    chats: Iterable[Recipient],
    text: str,
    *,
    kind: str,
    key: str,
    lane: OutboxLane = OutboxLane.ALERT,
) -> int:
    """Queue one message per distinct recipient; ``key`` gets the chat (or person) appended."""
    queued = 0
    for chat in dict.fromkeys(chats):
        if await enqueue(
            session, chat_id=chat, text=text, kind=kind, lane=lane, dedupe_key=f"{key}:{chat}"
        ):
            queued += 1
    return queued


async def _owner_and_officers(
    session: AsyncSession, process: Process, case: ReengineeringCase
) -> list[Recipient]:
    owner = await owner_chat(session, process, case)
    return [*([owner] if owner is not None else []), *await officer_chats(session)]


def _who(doer: str, recipient: str, _: Translator) -> str:
    """Who is expected to act, as the recipient reads it."""
    if doer == recipient:
        return _("from you")
    if doer == "working_group" and recipient == "officer":
        return _("(the working group; you enter the decision)")
    return f"({_(ACTOR_TITLES[doer])})"


def _step_text(
    case: ReengineeringCase,
    process: Process,
    step: StepTemplate,
    row: CaseStep,
    calendar: WorkingCalendar,
    _: Translator,
    *,
    recipient: str,
) -> str:
    """What is expected now: step title, what it produces, the due date with its length."""
    who = _who(acting(step, row), recipient, _)
    clause = f" ({step.clause})" if step.clause else ""
    lines = [
        _("📌 Reengineering {number}: «{process}».").format(
            number=case_number(case.id), process=escape(process.name)
        ),
        _("Stage «{stage}», step {step}{clause}: {title}.").format(
            stage=_(STAGE_TITLES[step.stage]), step=step.id, clause=clause, title=escape(step.title)
        ),
    ]
    if row.reopened:
        lines.append(
            _(
                "The materials are returned for revision: the process owner revises them and "
                "sends them again by the deadline set by the decision."
            )
        )
    lines.append(_("Expected {who}: {produces}.").format(who=who, produces=escape(step.produces)))
    if row.due_on is not None:
        due = due_phrase(row.due_on, row.started_on, calendar, _)
        lines.append(_("Deadline: {due}.").format(due=due))
        if warning := data_warning(row.due_on, _):
            lines.append(warning)
    elif step.due_note:
        lines.append(_("Deadline: {note} (the date will be given).").format(note=step.due_note))
    if step.decision is not None:
        options = "; ".join(option.title for option in step.decision.options)
        lines.append(_("Decision options: {options}.").format(options=options))
    return "\n".join(lines)


async def announce_step(
    session: AsyncSession,
    case: ReengineeringCase,
    process: Process,
    step: StepTemplate,
    row: CaseStep,
    calendar: WorkingCalendar,
    _: Translator,
) -> None:
    """The owner hears about every step; officers about the steps they or the group take.

    While Telegram cannot reach the owner, their message waits for them and the officers
    hear about the owner's steps.
    """
    key = f"case:{case.id}:{step.id}:{row.activation}"
    owner = await owner_chat(session, process, case)
    to_officers = step.actor != "owner" or owner is None or owner.held is not None
    officers = await officer_chats(session) if to_officers else []
    if owner is not None:
        text = _step_text(case, process, step, row, calendar, _, recipient="owner")
        await notify(session, [owner], text, kind="case_step", key=key)
    if officers:
        text = _step_text(case, process, step, row, calendar, _, recipient="officer")
        await notify(session, [c for c in officers if c != owner], text, kind="case_step", key=key)


def _ground_phrase(ground: Ground, arose_on: date, _: Translator) -> str:
    """«поручение … (возникло 01.02.2025)»."""
    return _("{ground} (arose on {day})").format(
        ground=_(GROUND_TITLES[ground]), day=format_date(arose_on)
    )


async def notify_opened(
    session: AsyncSession,
    case: ReengineeringCase,
    process: Process,
    template: StageTemplate,
    ground: Ground,
    arose_on: date,
    _: Translator,
) -> None:
    """The owner and the officers hear that a case was opened, and on what ground."""
    text = "\n".join(
        [
            _("🆕 Reengineering {number} is opened: «{process}».").format(
                number=case_number(case.id), process=escape(process.name)
            ),
            _("Ground: {ground}.").format(ground=_ground_phrase(ground, arose_on, _)),
            _("Order: {title}.").format(title=escape(template.title)),
        ]
    )
    chats = await _owner_and_officers(session, process, case)
    await notify(session, chats, text, kind="case_opened", key=f"case:{case.id}:opened")


async def notify_ground_linked(
    session: AsyncSession,
    case: ReengineeringCase,
    process: Process,
    ground: Ground,
    arose_on: date,
    detection_id: int | None,
    _: Translator,
) -> None:
    """The officers hear that a further ground was added to the process's open case."""
    text = _(
        "A ground is added to the open reengineering {number} «{process}»: {ground}. "
        "No new reengineering is opened."
    ).format(
        number=case_number(case.id),
        process=escape(process.name),
        ground=_ground_phrase(ground, arose_on, _),
    )
    await notify(
        session,
        await officer_chats(session),
        text,
        kind="case_ground_linked",
        key=f"case:{case.id}:ground:{ground.value}:{arose_on.isoformat()}:{detection_id or 0}",
    )


def _reference(case: ReengineeringCase, process: Process) -> dict[str, str]:
    """The case's number and the process's name, as every notice names them."""
    return {"number": case_number(case.id), "process": escape(process.name)}


async def notify_closed(
    session: AsyncSession, case: ReengineeringCase, process: Process, outcome: str, _: Translator
) -> None:
    """The owner and the officers hear the outcome, and when the next review is due."""
    lines = [
        _("🏁 Reengineering {number} «{process}»: {outcome}.").format(
            **_reference(case, process), outcome=_(OUTCOME_TITLES[outcome])
        ),
    ]
    if outcome == "excluded":
        lines.append(
            _(
                "The process is marked as excluded; the process owner takes the steps to "
                "exclude it from the Register of processes."
            )
        )
    elif process.review_due is not None:
        lines.append(
            _("The next review of the process is due by {day}.").format(
                day=format_date(process.review_due)
            )
        )
    chats = await _owner_and_officers(session, process, case)
    await notify(session, chats, "\n".join(lines), kind="case_closed", key=f"case:{case.id}:closed")


async def send_approved_plan(
    session: AsyncSession, case: ReengineeringCase, process: Process, on: date, _: Translator
) -> None:
    """Seed 003 §3.8: the approved plan goes to every executor named in it."""
    sections = plan_annex(case.template_id).sections
    views = numbered_items(await plan_item_rows(session, case.id), today=None, sections=sections)
    by_person: dict[int, list[PlanItemView]] = {}
    for view in views:
        if view.responsible_id is not None:
            by_person.setdefault(view.responsible_id, []).append(view)
    for person_id, items in by_person.items():
        person = await load_person(session, person_id)
        if person is None:
            continue
        lines = [
            _("📋 The action plan of reengineering {number} «{process}» is approved.").format(
                **_reference(case, process)
            ),
            _("You are charged with:"),
            *(
                _("{number} {measure} — by {day}").format(
                    number=v.number, measure=escape(v.measure), day=format_date(v.due_on)
                )
                for v in items
            ),
        ]
        await notify(
            session,
            [recipient_of(person)],
            "\n".join(lines),
            kind="plan_approved",
            key=f"plan:{case.id}:{on.isoformat()}",
        )


async def notify_meeting(
    session: AsyncSession,
    case: ReengineeringCase,
    process: Process,
    meeting_on: date,
    _: Translator,
) -> None:
    """The owner hears the date of the working-group meeting that considers the plan."""
    owner = await owner_chat(session, process, case)
    if owner is not None:
        text = _(
            "🗓 Reengineering {number} «{process}»: the action plan is considered at the "
            "working-group meeting on {day}."
        ).format(**_reference(case, process), day=format_date(meeting_on))
        await notify(
            session, [owner], text, kind="case_meeting",
            key=f"case:{case.id}:meeting:{meeting_on.isoformat()}",
        )  # fmt: skip


async def notify_extension_request(
    session: AsyncSession,
    case: ReengineeringCase,
    process: Process,
    step: StepTemplate,
    row: CaseStep,
    extension: CaseExtension,
    _: Translator,
) -> None:
    """The officers hear that the owner asks for more time on a step, and why."""
    current = (
        _("by {day}").format(day=format_date(row.due_on)) if row.due_on else _("not set (deadline)")
    )
    lines = [
        _("⏳ A deadline extension is asked: reengineering {number} «{process}».").format(
            **_reference(case, process)
        ),
        _("Step {step} «{title}», the current deadline {current}.").format(
            step=step.id, title=escape(step.title), current=current
        ),
        _("Reason: {reason}").format(reason=escape(extension.reason)),
    ]
    if extension.proposed_due is not None:
        lines.append(_("Proposed deadline: {day}.").format(day=format_date(extension.proposed_due)))
    await notify(
        session, await officer_chats(session), "\n".join(lines),
        kind="case_extension_request", key=f"ext:{extension.id}:req",
    )  # fmt: skip


def _extension_decision_text(
    case: ReengineeringCase,
    process: Process,
    step: StepTemplate,
    extension: CaseExtension,
    _: Translator,
    *,
    granted: bool,
) -> str:
    names = {**_reference(case, process), "step": step.id, "title": escape(step.title)}
    if granted and extension.new_due is not None:
        return _(
            "✅ The deadline of step {step} «{title}» of reengineering {number} «{process}» "
            "is extended to {day}."
        ).format(**names, day=format_date(extension.new_due))
    if extension.comment:
        return _(
            "✖️ The extension of the deadline of step {step} «{title}» of reengineering "
            "{number} «{process}» is refused: {comment}."
        ).format(**names, comment=escape(extension.comment))
    return _(
        "✖️ The extension of the deadline of step {step} «{title}» of reengineering "
        "{number} «{process}» is refused."
    ).format(**names)


async def notify_extension_decision(
    session: AsyncSession,
    case: ReengineeringCase,
    process: Process,
    step: StepTemplate,
    extension: CaseExtension,
    _: Translator,
    *,
    granted: bool,
) -> None:
    """Whoever asked, and the owner, hear whether the new due date was granted."""
    text = _extension_decision_text(case, process, step, extension, _, granted=granted)
    requester: Person | None = await load_person(session, extension.requested_by_id)
    chats = [recipient_of(requester)] if requester else []
    owner = await owner_chat(session, process, case)
    if owner is not None:
        chats.append(owner)
    await notify(
        session, chats, text, kind="case_extension_decision", key=f"ext:{extension.id}:dec"
    )
