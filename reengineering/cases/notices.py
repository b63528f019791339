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
from reengineering.cases.records import load_person, plan_item_rows
from reengineering.cases.steps import acting
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


async def owner_chat(session: AsyncSession, process: Process) -> Recipient | None:
    """The process owner, reachable or not (`held` says why not); None without an owner."""
    return await person_recipient(session, process.owner_id)


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


async def _owner_and_officers(session: AsyncSession, process: Process) -> list[Recipient]:
    owner = await owner_chat(session, process)
    return [*([owner] if owner is not None else []), *await officer_chats(session)]


def _step_text(
    case: ReengineeringCase,
    process: Process,
    step: StepTemplate,
    row: CaseStep,
    calendar: WorkingCalendar,
    *,
    recipient: str,
) -> str:
    """What is expected now: step title, what it produces, the due date with its length."""
    doer = acting(step, row)
    if doer == recipient:
        who = "от вас"
    elif doer == "working_group" and recipient == "officer":
        who = "(рабочая группа; решение вносите вы)"
    else:
        who = f"({ACTOR_TITLES[doer]})"
    clause = f" ({step.clause})" if step.clause else ""
    lines = [
        f"📌 Реинжиниринг {case_number(case.id)}: «{escape(process.name)}».",
        f"Этап «{STAGE_TITLES[step.stage]}», шаг {step.id}{clause}: {escape(step.title)}.",
    ]
    if row.reopened:
        lines.append(
            "Материалы возвращены на доработку: ответственный за процесс дорабатывает их "
            "и направляет повторно в срок, установленный решением."
        )
    lines.append(f"Ожидается {who}: {escape(step.produces)}.")
    if row.due_on is not None:
        lines.append(f"Срок: {due_phrase(row.due_on, row.started_on, calendar)}.")
        if warning := data_warning(row.due_on):
            lines.append(warning)
    elif step.due_note:
        lines.append(f"Срок: {step.due_note} (дата будет указана).")
    if step.decision is not None:
        options = "; ".join(option.title for option in step.decision.options)
        lines.append(f"Варианты решения: {options}.")
    return "\n".join(lines)


async def announce_step(
    session: AsyncSession,
    case: ReengineeringCase,
    process: Process,
    step: StepTemplate,
    row: CaseStep,
    calendar: WorkingCalendar,
) -> None:
    """The owner hears about every step; officers about the steps they or the group take.

    While Telegram cannot reach the owner, their message waits for them and the officers
    hear about the owner's steps.
    """
    key = f"case:{case.id}:{step.id}:{row.activation}"
    owner = await owner_chat(session, process)
    to_officers = step.actor != "owner" or owner is None or owner.held is not None
    officers = await officer_chats(session) if to_officers else []
    if owner is not None:
        text = _step_text(case, process, step, row, calendar, recipient="owner")
        await notify(session, [owner], text, kind="case_step", key=key)
    if officers:
        text = _step_text(case, process, step, row, calendar, recipient="officer")
        await notify(session, [c for c in officers if c != owner], text, kind="case_step", key=key)


async def notify_opened(
    session: AsyncSession,
    case: ReengineeringCase,
    process: Process,
    template: StageTemplate,
    ground: Ground,
    arose_on: date,
) -> None:
    """The owner and the officers hear that a case was opened, and on what ground."""
    text = "\n".join(
        [
            f"🆕 Открыт реинжиниринг {case_number(case.id)}: «{escape(process.name)}».",
            f"Основание: {GROUND_TITLES[ground]} (возникло {format_date(arose_on)}).",
            f"Порядок: {escape(template.title)}.",
        ]
    )
    chats = await _owner_and_officers(session, process)
    await notify(session, chats, text, kind="case_opened", key=f"case:{case.id}:opened")


async def notify_ground_linked(
    session: AsyncSession,
    case: ReengineeringCase,
    process: Process,
    ground: Ground,
    arose_on: date,
    detection_id: int | None,
) -> None:
    """The officers hear that a further ground was added to the process's open case."""
    text = (
        f"К открытому реинжинирингу {case_number(case.id)} «{escape(process.name)}» добавлено "
        f"основание: {GROUND_TITLES[ground]} (возникло {format_date(arose_on)}). "
        "Новый реинжиниринг не открывается."
    )
    await notify(
        session,
        await officer_chats(session),
        text,
        kind="case_ground_linked",
        key=f"case:{case.id}:ground:{ground.value}:{arose_on.isoformat()}:{detection_id or 0}",
    )


async def notify_closed(
    session: AsyncSession, case: ReengineeringCase, process: Process, outcome: str
) -> None:
    """The owner and the officers hear the outcome, and when the next review is due."""
    lines = [
        f"🏁 Реинжиниринг {case_number(case.id)} «{escape(process.name)}»: "
        f"{OUTCOME_TITLES[outcome]}.",
    ]
    if outcome == "excluded":
        lines.append(
            "Процесс отмечен как исключённый; ответственный за процесс выполняет действия по "
            "исключению его из Реестра процессов."
        )
    elif process.review_due is not None:
        lines.append(
            f"Следующий пересмотр процесса — не позднее {format_date(process.review_due)}."
        )
    chats = await _owner_and_officers(session, process)
    await notify(session, chats, "\n".join(lines), kind="case_closed", key=f"case:{case.id}:closed")


async def send_approved_plan(
    session: AsyncSession, case: ReengineeringCase, process: Process, on: date
) -> None:
    """Seed 003 §3.8: the approved plan goes to every executor named in it."""
    views = numbered_items(await plan_item_rows(session, case.id), today=None)
    by_person: dict[int, list[PlanItemView]] = {}
    for view in views:
        if view.responsible_id is not None:
            by_person.setdefault(view.responsible_id, []).append(view)
    for person_id, items in by_person.items():
        person = await load_person(session, person_id)
        if person is None:
            continue
        lines = [
            f"📋 Утверждён план мероприятий реинжиниринга {case_number(case.id)} "
            f"«{escape(process.name)}».",
            "Вам поручено:",
            *(f"{v.number} {escape(v.measure)} — до {format_date(v.due_on)}" for v in items),
        ]
        await notify(
            session,
            [recipient_of(person)],
            "\n".join(lines),
            kind="plan_approved",
            key=f"plan:{case.id}:{on.isoformat()}",
        )


async def notify_meeting(
    session: AsyncSession, case: ReengineeringCase, process: Process, meeting_on: date
) -> None:
    """The owner hears the date of the working-group meeting that considers the plan."""
    owner = await owner_chat(session, process)
    if owner is not None:
        text = (
            f"🗓 Реинжиниринг {case_number(case.id)} «{escape(process.name)}»: план мероприятий "
            f"рассматривается на заседании рабочей группы {format_date(meeting_on)}."
        )
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
) -> None:
    """The officers hear that the owner asks for more time on a step, and why."""
    current = f"до {format_date(row.due_on)}" if row.due_on else "не установлен"
    lines = [
        f"⏳ Запрос продления срока: реинжиниринг {case_number(case.id)} «{escape(process.name)}».",
        f"Шаг {step.id} «{escape(step.title)}», текущий срок {current}.",
        f"Причина: {escape(extension.reason)}",
    ]
    if extension.proposed_due is not None:
        lines.append(f"Предлагаемый срок: {format_date(extension.proposed_due)}.")
    await notify(
        session, await officer_chats(session), "\n".join(lines),
        kind="case_extension_request", key=f"ext:{extension.id}:req",
    )  # fmt: skip


async def notify_extension_decision(
    session: AsyncSession,
    case: ReengineeringCase,
    process: Process,
    step: StepTemplate,
    extension: CaseExtension,
    *,
    granted: bool,
) -> None:
    """Whoever asked, and the owner, hear whether the new due date was granted."""
    if granted and extension.new_due is not None:
        text = (
            f"✅ Срок шага {step.id} «{escape(step.title)}» реинжиниринга {case_number(case.id)} "
            f"«{escape(process.name)}» продлён до {format_date(extension.new_due)}."
        )
    else:
        comment = extension.comment
        text = (
            f"✖️ В продлении срока шага {step.id} «{escape(step.title)}» реинжиниринга "
            f"{case_number(case.id)} «{escape(process.name)}» отказано"
            + (f": {escape(comment)}." if comment else ".")
        )
    requester: Person | None = await load_person(session, extension.requested_by_id)
    chats = [recipient_of(requester)] if requester else []
    owner = await owner_chat(session, process)
    if owner is not None:
        chats.append(owner)
    await notify(
        session, chats, text, kind="case_extension_decision", key=f"ext:{extension.id}:dec"
    )
