"""The daily reengineering job: open cases, remind about deadlines, check the effect.

Registered by jobs/setup.py to run at OTKLIK_REMINDER_HOUR on working days. Every run is
idempotent: cases open once per ground (decline detections are consumed, the review date
moves when a case closes), and each reminder is queued in the outbox under a key made of
the item, its nominal date and the recipient, so a rerun queues nothing new and, after
downtime, only today's reminder of each item goes out (see reengineering.reminders).

Each phase runs in its own short transaction: one failing phase does not undo the others,
and SQLite's single writer is not held for the whole job.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from html import escape

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from core.calendar import WorkingCalendar, default_calendar
from core.clock import Clock
from core.i18n import Translator, translator
from core.settings import Settings
from reengineering.cases import (
    IMPL_STEP,
    acting,
    case_number,
    numbered_items,
    officer_chats,
    open_cases_from_detections,
    owner_chat,
    plan_annex,
    template_of,
)
from reengineering.digest import DigestBook, DigestItem, digest_speech
from reengineering.effect import effect_checks
from reengineering.journey import open_due_journey_analyses
from reengineering.reminders import (
    REVIEW_DAYS_BEFORE,
    Reminder,
    deadline_reminder,
    plan_item_line,
    plan_item_reminder_text,
    reminder_key,
    review_line,
    review_reminder,
    review_reminder_text,
    step_line,
    step_reminder_text,
)
from reengineering.review_due import open_due_reviews
from storage.cases_models import (
    CaseStatus,
    CaseStep,
    PlanItem,
    ReengineeringCase,
    StepStatus,
)
from storage.database import SessionPool
from storage.delivery_models import OutboxLane, OutboxMessage
from storage.models import Person, Process
from storage.outbox import enqueue
from storage.recipients import Recipient, recipient_of

log = logging.getLogger(__name__)

__all__ = [
    "CaseJobReport",
    "effect_checks",
    "open_due_reviews",
    "queue_deadline_reminders",
    "queue_review_reminders",
    "run_case_reminders",
]


@dataclass
class CaseJobReport:
    """What one run did (for the log and the tests)."""

    today: date
    skipped: str | None = None
    opened: list[int] = field(default_factory=list)
    linked: list[int] = field(default_factory=list)
    reminders: int = 0
    review_reminders: int = 0
    digests: int = 0  # people who got today's digest
    effects: list[int] = field(default_factory=list)


@lru_cache(maxsize=4)
def _calendar_for(days_off: frozenset[date], working: frozenset[date]) -> WorkingCalendar:
    current = default_calendar()
    if current.extra_days_off == days_off and current.extra_working_days == working:
        return current
    return WorkingCalendar(days_off, working)


def calendar_for(settings: Settings) -> WorkingCalendar:
    """The production calendar with the organisation's extra days off and working days."""
    return _calendar_for(frozenset(settings.extra_days_off), frozenset(settings.extra_working_days))


def _plan(
    book: DigestBook,
    chat: Recipient,
    text: str,
    *,
    kind: str,
    item: str,
    item_id: int,
    reminder: Reminder,
    line: str,
    label: str = "",
    case: ReengineeringCase | None = None,
    process_name: str = "",
    responsible: str | None = None,
    warning: str | None = None,
) -> None:
    """A reminder for today's digest of ``chat``; said once, under its key."""
    book.add(
        chat,
        DigestItem(
            key=reminder_key(item, item_id, reminder.nominal, chat),
            kind=kind,
            text=text,
            line=line,
            label=label,
            reminder=reminder,
            case_id=case.id if case else None,
            case_title=(
                f"{case_number(case.id)} «{escape(process_name)}»" if case is not None else ""
            ),
            responsible=responsible,
            warning=warning,
        ),
    )


async def send_digests(
    session: AsyncSession,
    book: DigestBook,
    today: date,
    officers: Sequence[Recipient],
    _: Translator,
) -> list[DigestItem]:
    """At most one digest a day per person, with the items not said before; returns those.

    A person who already got today's digest gets nothing more today: what came up since
    is said tomorrow (its reminder is still due then, or a later one supersedes it).
    """
    said: list[DigestItem] = []
    officer_chats_ = set(officers)
    for recipient, items in book.items.items():
        key = f"digest:{today.isoformat()}:{recipient}"
        if await session.scalar(sa.select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)):
            continue
        fresh = [
            item
            for item in items
            if await enqueue(
                session, chat_id=recipient, text=item.text, kind=item.kind,
                dedupe_key=item.key, digested=True,
            )
        ]  # fmt: skip
        if not fresh:
            continue
        speech = digest_speech(fresh, today, officer=recipient in officer_chats_, _=_)
        await enqueue(
            session, chat_id=recipient, text=speech.text, actions=speech.actions,
            kind="deadline_digest", lane=OutboxLane.ALERT, dedupe_key=key,
        )  # fmt: skip
        said += fresh
    return said


async def _owner_name(
    session: AsyncSession, case: ReengineeringCase, process: Process, _: Translator
) -> str:
    """How an overdue copy names the owner (the case's own owner, seed 003 §1.4)."""
    owner_id = case.owner_id or process.owner_id
    owner = await session.get(Person, owner_id) if owner_id else None
    return (owner.full_name if owner else None) or _("not assigned")


@dataclass(frozen=True)
class _CaseDay:
    """One open case on the day its reminders are planned: where they go, by which calendar."""

    book: DigestBook
    case: ReengineeringCase
    process: Process
    owner: Recipient | None
    officers: Sequence[Recipient]
    today: date
    calendar: WorkingCalendar
    days_before: Sequence[int]
    translate: Translator


async def queue_deadline_reminders(
    session: AsyncSession,
    today: date,
    calendar: WorkingCalendar,
    *,
    days_before: Sequence[int] = (2,),
    _: Translator | None = None,
    book: DigestBook | None = None,
) -> int:
    """Today's reminders for every active step and every open measure of an approved plan.

    They go into ``book`` (the job's, sent once with the others), or into the recipients'
    digests at once; returns how many reminders were said then.

    Owner steps go to the owner; officer and working-group steps to the officers (the
    officer records the group's decisions). Overdue reminders add a copy to the officers.
    Measures go to their executor and to the owner, who tracks the plan (§4.1).
    """
    _ = _ or translator()
    own_book = book is None
    book = book if book is not None else DigestBook()
    officers = await officer_chats(session)
    cases = list(
        await session.scalars(
            sa.select(ReengineeringCase)
            .where(ReengineeringCase.status == CaseStatus.OPEN)
            .order_by(ReengineeringCase.id)
        )
    )
    for case in cases:
        process = await session.get(Process, case.process_id)
        assert process is not None
        owner = await owner_chat(session, process, case)
        day = _CaseDay(book, case, process, owner, officers, today, calendar, days_before, _)
        await _plan_step_reminders(session, day)
        await _plan_reminders(session, day)
    if own_book:
        return len(await send_digests(session, book, today, officers, _))
    return 0


def _addressees(
    primary: Sequence[Recipient], copies: Sequence[Recipient]
) -> Iterator[tuple[Recipient, bool]]:
    """Each chat once, and whether it gets an officer's copy: the reminder's own addressees
    first, then the officers' copies of an overdue one for those not among them."""
    for chat in dict.fromkeys(primary):
        yield chat, False
    for chat in dict.fromkeys(copies):
        if chat not in primary:
            yield chat, True


async def _plan_step_reminders(session: AsyncSession, day: _CaseDay) -> None:
    """Today's reminders of the case's active steps, with the officers' copies of overdue ones."""
    book, case, process, owner, officers = day.book, day.case, day.process, day.owner, day.officers
    today, calendar, days_before, _ = day.today, day.calendar, day.days_before, day.translate
    template = template_of(case.template_id, case.template_version)
    owner_name = await _owner_name(session, case, process, _)
    steps = list(
        await session.scalars(
            sa.select(CaseStep)
            .where(CaseStep.case_id == case.id, CaseStep.status == StepStatus.ACTIVE)
            .order_by(CaseStep.position)
        )
    )
    for row in steps:
        if row.due_on is None:
            continue
        reminder = deadline_reminder(
            row.due_on, today, calendar, days_before=days_before, active_since=row.activated_on
        )
        if reminder is None:
            continue
        step = template.step(row.step_code)
        owners_turn = acting(step, row) == "owner"
        # While Telegram cannot reach the owner, their reminder waits and officers get it too.
        primary = [owner] if owners_turn and owner is not None else officers
        if owners_turn and owner is not None and owner.held is not None:
            primary = [owner, *officers]
        copies = officers if reminder.kind == "overdue" else []
        warning = WorkingCalendar.data_warning(row.due_on.year, _)
        kind = "case_overdue" if reminder.kind == "overdue" else "case_reminder"
        for chat, copy in _addressees(primary, copies):
            text = step_reminder_text(
                case_number=case_number(case.id), process_name=process.name,
                step_id=step.id, step_title=step.title, produces=step.produces,
                reminder=reminder, today=today, copy_for_officer=copy,
                responsible=owner_name if copy else None, data_warning=warning, _=_,
            )  # fmt: skip
            _plan(
                book, chat, text, kind="case_overdue_copy" if copy else kind, item="step",
                item_id=row.id, reminder=reminder,
                line=step_line(step.id, step.title, reminder, today, _), label=step.id,
                case=case, process_name=process.name, responsible=owner_name,
                warning=warning,
            )  # fmt: skip


async def _plan_reminders(session: AsyncSession, day: _CaseDay) -> None:
    """Today's reminders of the open measures of an approved plan (executor and owner)."""
    book, case, process, owner, officers = day.book, day.case, day.process, day.owner, day.officers
    today, calendar, days_before, _ = day.today, day.calendar, day.days_before, day.translate
    impl = await session.scalar(
        sa.select(CaseStep).where(CaseStep.case_id == case.id, CaseStep.step_code == IMPL_STEP)
    )
    if impl is None or impl.status != StepStatus.ACTIVE:
        return
    items = list(await session.scalars(sa.select(PlanItem).where(PlanItem.case_id == case.id)))
    sections = plan_annex(case.template_id).sections
    for view in numbered_items(items, today=today, sections=sections):
        if view.status not in ("planned", "in_progress"):
            continue
        reminder = deadline_reminder(
            view.due_on, today, calendar, days_before=days_before, active_since=impl.activated_on
        )
        if reminder is None:
            continue
        executor = await session.get(Person, view.responsible_id) if view.responsible_id else None
        primary: list[Recipient] = []
        if executor is not None:  # kept for them while Telegram cannot reach them
            primary.append(recipient_of(executor))
        if owner is not None:
            primary.append(owner)
        if all(chat.held is not None for chat in primary):
            primary.extend(officers)
        warning = WorkingCalendar.data_warning(view.due_on.year, _)
        kind = "plan_overdue" if reminder.kind == "overdue" else "plan_reminder"
        copies = officers if reminder.kind == "overdue" else []
        for chat, copy in _addressees(primary, copies):
            text = plan_item_reminder_text(
                case_number=case_number(case.id), process_name=process.name,
                number=view.number, measure=view.measure, responsible=view.responsible_name,
                reminder=reminder, today=today, copy_for_officer=copy, data_warning=warning,
                _=_,
            )  # fmt: skip
            _plan(
                book, chat, text, kind="plan_overdue_copy" if copy else kind, item="plan",
                item_id=view.id, reminder=reminder,
                line=plan_item_line(view.number, view.measure, reminder, today, _), case=case,
                label=view.number,
                process_name=process.name, responsible=view.responsible_name, warning=warning,
            )  # fmt: skip


async def queue_review_reminders(
    session: AsyncSession,
    today: date,
    calendar: WorkingCalendar,
    *,
    days_before: Sequence[int] = REVIEW_DAYS_BEFORE,
    _: Translator | None = None,
    book: DigestBook | None = None,
) -> int:
    """Warn the owner and the officers 60, 30 and 10 working days before a review date.

    Processes with an open case are left alone: that case is the review.
    """
    open_processes = sa.select(ReengineeringCase.process_id).where(
        ReengineeringCase.status == CaseStatus.OPEN
    )
    # Only review dates within reach of the longest lead time (working days are fewer than
    # calendar days; 30 days cover the longest holiday breaks): no calendar of far years.
    horizon = today + timedelta(days=max(days_before, default=0) * 7 // 5 + 30)
    processes = await session.scalars(
        sa.select(Process)
        .where(
            Process.active,
            Process.review_due.is_not(None),
            Process.review_due > today,
            Process.review_due <= horizon,
            Process.id.not_in(open_processes),
        )
        .order_by(Process.id)
    )
    _ = _ or translator()
    own_book = book is None
    book = book if book is not None else DigestBook()
    officers = await officer_chats(session)
    for process in list(processes):
        assert process.review_due is not None
        reminder = review_reminder(process.review_due, today, calendar, days_before=days_before)
        if reminder is None:
            continue
        text = review_reminder_text(
            process_name=process.name,
            review_due=process.review_due,
            last_reengineering=process.last_reengineering,
            reminder=reminder,
            _=_,
        )
        owner = await owner_chat(session, process)
        for chat in dict.fromkeys([*([owner] if owner is not None else []), *officers]):
            _plan(
                book, chat, text, kind="review_reminder", item="review", item_id=process.id,
                reminder=reminder, line=review_line(process.name, reminder, _),
            )  # fmt: skip
    if own_book:
        return len(await send_digests(session, book, today, officers, _))
    return 0


async def run_case_reminders(
    session_pool: SessionPool, clock: Clock, settings: Settings
) -> CaseJobReport:
    """The daily job. Does nothing on days off or before OTKLIK_REMINDER_HOUR (local time)."""
    now = clock()
    local = now.astimezone(settings.tz)
    today = local.date()
    report = CaseJobReport(today=today)
    calendar = calendar_for(settings)
    _ = translator(settings.locale)
    if not calendar.is_working_day(today):
        report.skipped = _("a day off")
        return report
    if local.hour < settings.reminder_hour:
        report.skipped = _("the reminder hour has not come yet")
        return report

    async with session_pool() as session, session.begin():
        for result in await open_cases_from_detections(
            session, now, tz=settings.tz, calendar=calendar, _=_
        ):
            (report.opened if result.created else report.linked).append(result.case_id)
    async with session_pool() as session, session.begin():
        opened, linked = await open_due_reviews(session, now, today, calendar, _)
        report.opened += opened
        report.linked += linked
    async with session_pool() as session, session.begin():
        opened, linked = await open_due_journey_analyses(session, now, today, calendar, _)
        report.opened += opened
        report.linked += linked
    async with session_pool() as session, session.begin():
        book = DigestBook()
        await queue_review_reminders(session, today, calendar, _=_, book=book)
        await queue_deadline_reminders(
            session, today, calendar, days_before=settings.reminder_days_before, _=_, book=book
        )
        said = await send_digests(session, book, today, await officer_chats(session), _)
        report.review_reminders = sum(1 for item in said if item.kind == "review_reminder")
        report.reminders = len(said) - report.review_reminders
        report.digests = len({item.key.rsplit(":", 1)[-1] for item in said})
    async with session_pool() as session, session.begin():
        summaries = await effect_checks(
            session, now, cases_dir=settings.data_dir / "cases", tz=settings.tz, _=_
        )
        report.effects = [summary.case_id for summary in summaries]
    if report.opened or report.reminders or report.review_reminders or report.effects:
        log.info(
            "reengineering job %s: opened %s, linked %s, reminders %d, review reminders %d, "
            "effect checks %s",
            today, report.opened, report.linked, report.reminders, report.review_reminders,
            report.effects,
        )  # fmt: skip
    return report
