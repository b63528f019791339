"""Reengineering cases in Telegram: owners work their steps, the officer decides and opens cases.

Every button names a case (or an extension request) by id and is checked against the viewer:
an owner sees and touches only the cases of the processes they own, whatever the callback
data says; the officer sees every case. The domain (reengineering.*) checks who may do what
on a step and says why not in Russian; handlers parse, call it and render.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import date, datetime
from html import escape
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, FSInputFile, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.filters import TYPED_TEXT, inline
from bot.middlewares import Actor
from handlers.callbacks import CaseCb, CaseOpenCb, ExtensionCb, ResearchCb, ResearchConsentCb
from handlers.respondent import begin
from reengineering.cases import (
    GROUND_TITLES,
    MEETING_STEP,
    PLAN_STEP,
    SECTION_TITLES,
    SURVEY_LIST_STEP,
    SURVEY_STEP,
    CaseError,
    CaseSummary,
    CaseView,
    StepView,
    attach_document,
    case_view,
    cases_for_officer,
    cases_for_owner,
    complete_step,
    decide_extension,
    open_case,
    record_decision,
    request_extension,
    schedule_meeting,
)
from reengineering.plan import add_plan_item, create_plan, plan_items
from reengineering.reminders import format_date
from reengineering.research import (
    case_dir,
    close_research,
    launch_research,
    research_questionnaire_for,
)
from storage.base import Clock
from storage.cases_models import (
    CaseExtension,
    CaseStatus,
    ExtensionStatus,
    Ground,
    ReengineeringCase,
    ResearchCampaign,
    StepStatus,
)
from storage.models import Department, Process
from storage.uow import UnitOfWork
from surveys import service as surveys
from surveys.service import SurveyPolicy

router = Router(name=__name__)
log = logging.getLogger(__name__)

PAGE_SIZE = 8
TEXT_LIMIT = 1000
MESSAGE_LIMIT = 4000
ALERT_LIMIT = 200
DATE_RE = re.compile(r"^\s*(\d{1,2})\.(\d{1,2})\.(\d{4})\s*$")
MARKS = {
    StepStatus.DONE: "✅",
    StepStatus.ACTIVE: "▶️",
    StepStatus.PENDING: "⏳",
    StepStatus.SKIPPED: "➖",
}


class CaseStates(StatesGroup):
    """Answers typed (or files sent) after a case button; the data names the case."""

    document = State()
    extension_reason = State()
    extension_due = State()
    revision_due = State()
    meeting_date = State()
    plan_measure = State()
    plan_due = State()
    plan_responsible = State()
    plan_result = State()
    plan_report = State()


class Denied(Exception):
    """The viewer may not see this case (or it does not exist): one answer for both."""


@dataclass(frozen=True)
class Card:
    view: CaseView
    research_open: bool


# ------------------------------------------------------------------------------ helpers


def parse_date(text: str) -> date | None:
    """ДД.ММ.ГГГГ as people type it; None when it is not a real date."""
    match = DATE_RE.match(text)
    if match is None:
        return None
    day, month, year = (int(part) for part in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _bad_date() -> str:
    return _("The date is not recognised. Type it as DD.MM.YYYY, for example 12.05.2025.")


def _today(settings: Settings, now: datetime) -> date:
    return now.astimezone(settings.tz).date()


def _message(query: CallbackQuery) -> Message | None:
    return query.message if isinstance(query.message, Message) else None


def _may_see(actor: Actor, process_id: int) -> bool:
    return actor.person_id is not None and (
        actor.is_officer or process_id in actor.owned_process_ids
    )


@asynccontextmanager
async def _case_session(
    uow: UnitOfWork, actor: Actor, case_id: int, *, read_only: bool = False
) -> AsyncIterator[AsyncSession]:
    """A transaction on a case the viewer may see; Denied otherwise (before anything runs).

    `read_only` for documents built from the case: no write lock while they are written.
    """
    async with uow.reading() if read_only else uow.transaction() as session:
        case = await session.get(ReengineeringCase, case_id)
        if case is None or not _may_see(actor, case.process_id):
            raise Denied(case_id)
        yield session


async def _card(session: AsyncSession, case_id: int, today: date) -> Card:
    view = await case_view(session, case_id, today=today)
    campaign = await session.scalar(
        sa.select(ResearchCampaign.closed_at.is_(None))
        .where(ResearchCampaign.case_id == case_id)
        .order_by(ResearchCampaign.id.desc())
        .limit(1)
    )
    return Card(view, bool(campaign))


def _person(actor: Actor) -> int:
    assert actor.person_id is not None, "checked by _may_see"
    return actor.person_id


def _denied() -> str:
    return _("You do not have access to this case.")


async def _refuse(query: CallbackQuery, text: str) -> None:
    await query.answer(text[:ALERT_LIMIT], show_alert=True)


async def _act(
    query: CallbackQuery,
    uow: UnitOfWork,
    actor: Actor,
    case_id: int,
    today: date,
    action: Callable[[AsyncSession], Awaitable[str | None]],
) -> Card | None:
    """One transaction: access check, the domain call, the fresh card; then say and show it."""
    try:
        async with _case_session(uow, actor, case_id) as session:
            said = await action(session)
            card = await _card(session, case_id, today)
    except Denied:
        await _refuse(query, _denied())
        return None
    except CaseError as error:
        await _refuse(query, str(error))
        return None
    await query.answer(said[:ALERT_LIMIT] if said else None)
    await _show(_message(query), card, actor, edit=True)
    return card


async def _nothing(_session: AsyncSession) -> None:
    return None


# ---------------------------------------------------------------------------- rendering


def _step_line(step: StepView) -> list[str]:
    mark = "⚠️" if step.overdue else MARKS.get(StepStatus(step.status), "•")
    line = f"{mark} <b>{step.step_id}</b> {escape(step.title)}"
    if step.status == StepStatus.DONE and step.done_on is not None:
        line += " — " + _("done {date}").format(date=format_date(step.done_on))
        if step.decision_title:
            line += f": {escape(step.decision_title)}"
        if step.revision_due is not None:
            line += " " + _("(revision until {date})").format(date=format_date(step.revision_due))
    elif step.status == StepStatus.SKIPPED:
        line += f" — {escape(step.status_title)}"
    elif step.due_on is not None:
        line += " — " + _("until {date}").format(date=format_date(step.due_on))
    elif step.due_note:
        line += f" — {escape(step.due_note)}"
    if step.status == StepStatus.ACTIVE:
        if step.overdue:
            line += " " + _("(overdue)")
        if step.extended:
            line += " " + _("(extended)")
        if step.reopened:
            line += " " + _("(returned for revision)")
        produces = step.produces if len(step.produces) <= 300 else step.produces[:299] + "…"
        return [line, "    <i>" + escape(produces) + "</i>"]
    return [line]


def card_text(view: CaseView) -> str:
    lines = [
        "📁 "
        + _("<b>Reengineering {number}</b>: «{process}»").format(
            number=view.number, process=escape(view.process_name)
        ),
        _("Ground: {ground} (arose {date})").format(
            ground=escape(view.ground_title), date=format_date(view.arose_on)
        ),
    ]
    if view.owner_name:
        lines.append(_("Process owner: {name}").format(name=escape(view.owner_name)))
    if view.status == CaseStatus.CLOSED and view.closed_on is not None:
        lines.append(
            "🏁 "
            + _("Closed {date}: {outcome}").format(
                date=format_date(view.closed_on), outcome=escape(view.outcome_title or "")
            )
        )
    stage = None
    for step in view.steps:
        if step.stage != stage:
            stage = step.stage
            lines += ["", f"<b>{escape(step.stage_title)}</b>"]
        lines += _step_line(step)
    pending = [x for x in view.extensions if x.status == ExtensionStatus.PENDING]
    for extension in pending:
        lines.append(
            "⏳ "
            + _("Extension of {step} requested: {reason}").format(
                step=extension.step_id, reason=escape(extension.reason)
            )
        )
    if view.plan_items:
        lines += ["", _("Action plan: {count} measures").format(count=len(view.plan_items))]
    if view.documents:
        lines += ["", "📎 " + _("Documents:")]
        lines += [f"{d.step_id} — {escape(d.original_name)}" for d in view.documents[-10:]]
    text = "\n".join(lines)
    if len(text) > MESSAGE_LIMIT:
        text = text[: text.rfind("\n", 0, MESSAGE_LIMIT)] + "\n…"
    return text


def _step_buttons(builder: InlineKeyboardBuilder, view: CaseView, actor: Actor) -> None:
    owner = view.process_id in actor.owned_process_ids
    asked = {x.step_id for x in view.extensions if x.status == ExtensionStatus.PENDING}
    for step in view.active_steps:
        may_act = actor.is_officer or (owner and step.acting == "owner")

        def cb(action: str, option: str = "", step_id: str = step.step_id) -> CaseCb:
            return CaseCb(c=view.id, a=action, s=step_id, x=option)

        if may_act and step.options:
            for option, title, _revision in step.options:
                builder.button(text=f"{step.step_id}: {title}", callback_data=cb("dec", option))
        elif may_act:
            builder.button(
                text=_("{step}: mark as done").format(step=step.step_id), callback_data=cb("d")
            )
        builder.button(
            text=_("{step}: attach a document").format(step=step.step_id), callback_data=cb("doc")
        )
        if owner and step.acting == "owner" and step.due_on and step.step_id not in asked:
            builder.button(
                text=_("{step}: ask for more time").format(step=step.step_id),
                callback_data=cb("ext"),
            )


def card_keyboard(card: Card, actor: Actor) -> InlineKeyboardMarkup:
    """Only what this viewer may do now; the domain still checks every press."""
    view = card.view
    builder = InlineKeyboardBuilder()
    active = {step.step_id for step in view.active_steps}
    if view.status == CaseStatus.OPEN:
        _step_buttons(builder, view, actor)
        if card.research_open:
            builder.button(
                text=_("Close the survey and build the R4 lists"),
                callback_data=CaseCb(c=view.id, a="rc"),
            )
        elif SURVEY_STEP in active:
            builder.button(
                text=_("Launch the R3 survey of clients and performers"),
                callback_data=CaseCb(c=view.id, a="rl"),
            )
        if active & {PLAN_STEP, MEETING_STEP}:
            builder.button(
                text=_("Add a measure to the action plan"), callback_data=CaseCb(c=view.id, a="pa")
            )
            if not view.uses_digital_service:
                builder.button(
                    text=_("The target process uses a digital service (add prototype measures)"),
                    callback_data=CaseCb(c=view.id, a="dig"),
                )
            if actor.is_officer:
                builder.button(
                    text=_("Date of the working-group meeting"),
                    callback_data=CaseCb(c=view.id, a="mt"),
                )
        if actor.is_officer:
            for x in view.extensions:
                if x.status == ExtensionStatus.PENDING:
                    builder.button(
                        text=_("Extend {step} until …").format(step=x.step_id),
                        callback_data=ExtensionCb(e=x.id, ok=True),
                    )
                    builder.button(
                        text=_("Refuse to extend {step}").format(step=x.step_id),
                        callback_data=ExtensionCb(e=x.id, ok=False),
                    )
    if view.plan_items:
        builder.button(text=_("Action plan (Excel)"), callback_data=CaseCb(c=view.id, a="px"))
    builder.button(text=_("« All cases"), callback_data=CaseCb(c=0, a="l"))
    builder.adjust(1)
    return builder.as_markup()


async def _show(message: Message | None, card: Card, actor: Actor, *, edit: bool) -> None:
    """The card in place of the pressed message, or as a new message after typed input."""
    if message is None:
        return
    text, markup = card_text(card.view), card_keyboard(card, actor)
    if edit:
        try:
            await message.edit_text(text, reply_markup=markup)
            return
        except TelegramBadRequest as error:
            if "not modified" in str(error):
                return
    await message.answer(text, reply_markup=markup)


def _list(summaries: list[CaseSummary], actor: Actor) -> tuple[str, InlineKeyboardMarkup]:
    builder = InlineKeyboardBuilder()
    lines = [_("<b>Open reengineering cases</b>")] if summaries else [_("No open cases.")]
    for summary in summaries[:30]:
        mark = "⚠️" if summary.overdue else "▶️"
        line = f"{mark} {summary.number} «{escape(summary.process_name)}»"
        if summary.active_steps:
            line += " — " + ", ".join(summary.active_steps)
        if summary.next_due is not None:
            line += " " + _("until {date}").format(date=format_date(summary.next_due))
        lines.append(line)
        builder.button(
            text=f"{mark} {summary.number} · {summary.process_name}"[:60],
            callback_data=CaseCb(c=summary.id),
        )
    if len(summaries) > 30:
        lines.append(_("…and {count} more.").format(count=len(summaries) - 30))
    if actor.is_officer:
        builder.button(text=_("➕ Open a case by instruction"), callback_data=CaseOpenCb())
    builder.adjust(1)
    return "\n".join(lines), builder.as_markup()


# ------------------------------------------------------------------------- list and card


@router.message(Command("cases"))
async def cases_command(
    message: Message, uow: UnitOfWork, actor: Actor, settings: Settings, clock: Clock
) -> None:
    await _send_list(message, uow, actor, _today(settings, clock()), edit=False)


async def _send_list(
    message: Message, uow: UnitOfWork, actor: Actor, today: date, *, edit: bool
) -> None:
    if actor.person_id is None or not (actor.is_officer or actor.is_owner):
        await message.answer(
            _("Cases are available to process owners and the client-centricity officer.")
        )
        return
    async with uow.transaction() as session:
        if actor.is_officer:
            summaries = await cases_for_officer(session, today=today)
        else:
            summaries = await cases_for_owner(session, actor.person_id, today=today)
    text, markup = _list(summaries, actor)
    if edit:
        with suppress(TelegramBadRequest):
            await message.edit_text(text, reply_markup=markup)
        return
    await message.answer(text, reply_markup=markup)


@router.callback_query(CaseCb.filter(F.a == "l"))
async def back_to_list(
    query: CallbackQuery, uow: UnitOfWork, actor: Actor, settings: Settings, clock: Clock
) -> None:
    await query.answer()
    if (message := _message(query)) is not None:
        await _send_list(message, uow, actor, _today(settings, clock()), edit=True)


@router.callback_query(CaseCb.filter(F.a == "v"))
async def show_case(
    query: CallbackQuery,
    callback_data: CaseCb,
    uow: UnitOfWork,
    actor: Actor,
    settings: Settings,
    clock: Clock,
) -> None:
    await _act(query, uow, actor, callback_data.c, _today(settings, clock()), _nothing)


# ------------------------------------------------------------------------- step actions


@router.callback_query(CaseCb.filter(F.a == "d"))
async def mark_done(
    query: CallbackQuery,
    callback_data: CaseCb,
    uow: UnitOfWork,
    actor: Actor,
    settings: Settings,
    clock: Clock,
) -> None:
    now = clock()
    today = _today(settings, now)

    async def action(session: AsyncSession) -> str:
        c = callback_data
        await complete_step(session, c.c, c.s, _person(actor), on=today, at=now)
        return _("Step {step} is marked as done.").format(step=c.s)

    await _act(query, uow, actor, callback_data.c, today, action)


@router.callback_query(CaseCb.filter(F.a == "dec"))
async def choose_decision(
    query: CallbackQuery,
    callback_data: CaseCb,
    uow: UnitOfWork,
    actor: Actor,
    state: FSMContext,
    settings: Settings,
    clock: Clock,
) -> None:
    """A decision ends or turns the case, so it is confirmed; a return asks for its deadline."""
    try:
        async with _case_session(uow, actor, callback_data.c) as session:
            view = await case_view(session, callback_data.c, today=_today(settings, clock()))
    except Denied:
        await _refuse(query, _denied())
        return
    options = {
        option: (title, revision)
        for step in view.active_steps
        if step.step_id == callback_data.s
        for option, title, revision in step.options
    }
    if callback_data.x not in options:
        await _refuse(query, _("This button is no longer active."))
        return
    title, revision = options[callback_data.x]
    await query.answer()
    message = _message(query)
    if message is None:
        return
    if revision:
        await state.set_state(CaseStates.revision_due)
        await state.update_data(case=callback_data.c, step=callback_data.s, option=callback_data.x)
        await message.answer(
            _(
                "Step {step}: «{title}». Type the revision deadline set by the decision, "
                "as DD.MM.YYYY. /cancel — do not record."
            ).format(step=callback_data.s, title=escape(title))
        )
        return
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("Yes, record the decision"),
        callback_data=CaseCb(c=callback_data.c, a="dok", s=callback_data.s, x=callback_data.x),
    )
    builder.button(text=_("Cancel"), callback_data=CaseCb(c=callback_data.c))
    builder.adjust(1)
    await message.answer(
        _("Record the decision on step {step}: «{title}»?").format(
            step=callback_data.s, title=escape(title)
        ),
        reply_markup=builder.as_markup(),
    )


@router.callback_query(CaseCb.filter(F.a == "dok"))
async def record_decision_button(
    query: CallbackQuery,
    callback_data: CaseCb,
    uow: UnitOfWork,
    actor: Actor,
    settings: Settings,
    clock: Clock,
) -> None:
    now = clock()
    today = _today(settings, now)

    async def action(session: AsyncSession) -> str:
        c = callback_data
        transition = await record_decision(session, c.c, c.s, c.x, _person(actor), on=today, at=now)
        if transition.outcome:
            return _("The decision is recorded; the case is closed.")
        return _("The decision is recorded.")

    await _act(query, uow, actor, callback_data.c, today, action)


async def _ask(
    query: CallbackQuery,
    uow: UnitOfWork,
    actor: Actor,
    state: FSMContext,
    callback_data: CaseCb,
    target: State,
    prompt: str,
    officer_only: str | None = None,
    **extra: Any,
) -> None:
    """Remember the case (and step) in the state, then ask for the typed answer.

    ``officer_only``: the refusal for anyone else who may see the case, said before the
    prompt rather than after the typed answer.
    """
    try:
        async with _case_session(uow, actor, callback_data.c):
            pass
    except Denied:
        await _refuse(query, _denied())
        return
    if officer_only is not None and not actor.is_officer:
        await _refuse(query, officer_only)
        return
    await state.set_state(target)
    await state.update_data(case=callback_data.c, step=callback_data.s, **extra)
    await query.answer()
    if (message := _message(query)) is not None:
        await message.answer(prompt)


@router.callback_query(CaseCb.filter(F.a == "doc"))
async def ask_document(
    query: CallbackQuery, callback_data: CaseCb, uow: UnitOfWork, actor: Actor, state: FSMContext
) -> None:
    prompt = _(
        "Send the document for step {step} as a file or a photo. /cancel — do not attach."
    ).format(step=callback_data.s)
    await _ask(query, uow, actor, state, callback_data, CaseStates.document, prompt)


@router.callback_query(CaseCb.filter(F.a == "ext"))
async def ask_extension(
    query: CallbackQuery, callback_data: CaseCb, uow: UnitOfWork, actor: Actor, state: FSMContext
) -> None:
    prompt = _(
        "Why does step {step} need more time? Write the reason in one message; it goes to the "
        "client-centricity officer. /cancel — do not ask."
    ).format(step=callback_data.s)
    await _ask(query, uow, actor, state, callback_data, CaseStates.extension_reason, prompt)


@router.callback_query(CaseCb.filter(F.a == "mt"))
async def ask_meeting(
    query: CallbackQuery, callback_data: CaseCb, uow: UnitOfWork, actor: Actor, state: FSMContext
) -> None:
    prompt = _(
        "Date of the working-group meeting that considers the action plan, as DD.MM.YYYY. "
        "/cancel — do not enter."
    )
    officer_only = _("The date of the working-group meeting is entered by the officer.")
    await _ask(
        query,
        uow,
        actor,
        state,
        callback_data,
        CaseStates.meeting_date,
        prompt,
        officer_only=officer_only,
    )


# ----------------------------------------------------------------------- typed answers


async def _typed(message: Message, limit: int = TEXT_LIMIT) -> str | None:
    text = (message.text or "").strip()
    if len(text) > limit:
        await message.answer(
            _(
                "The text is {length} characters long; the limit is {limit}. Please shorten it."
            ).format(length=len(text), limit=limit)
        )
        return None
    return text


async def _after_typed(
    message: Message,
    uow: UnitOfWork,
    actor: Actor,
    state: FSMContext,
    today: date,
    action: Any,
    done_text: str,
    *,
    keep_state_on_error: bool = False,
) -> bool:
    """Run the domain call on the remembered case; say what happened, then show the card."""
    data = await state.get_data()
    case_id = int(data.get("case", 0))
    try:
        async with _case_session(uow, actor, case_id) as session:
            outcome = await action(session, data)
            card = await _card(session, case_id, today)
    except Denied:
        await state.clear()
        await message.answer(_denied())
        return False
    except CaseError as error:
        if keep_state_on_error:
            await message.answer(escape(str(error)) + "\n" + _("Type another date or /cancel."))
        else:
            await state.clear()
            await message.answer(escape(str(error)))
        return False
    await state.clear()
    await message.answer(outcome if isinstance(outcome, str) else done_text)
    await _show(message, card, actor, edit=False)
    return True


async def _date_or_complain(message: Message) -> date | None:
    day = parse_date(message.text or "")
    if day is None:
        await message.answer(_bad_date())
    return day


@router.message(StateFilter(CaseStates.extension_reason), TYPED_TEXT)
async def extension_reason(
    message: Message,
    uow: UnitOfWork,
    actor: Actor,
    state: FSMContext,
    settings: Settings,
    clock: Clock,
) -> None:
    reason = await _typed(message)
    if reason is None:
        return
    now = clock()
    today = _today(settings, now)

    async def action(session: AsyncSession, data: dict[str, Any]) -> None:
        await request_extension(
            session, data["case"], data["step"], _person(actor), reason=reason, on=today, at=now
        )

    done = _("The request has been sent to the client-centricity officer.")
    await _after_typed(message, uow, actor, state, today, action, done)


@router.message(StateFilter(CaseStates.revision_due), TYPED_TEXT)
async def revision_due(
    message: Message,
    uow: UnitOfWork,
    actor: Actor,
    state: FSMContext,
    settings: Settings,
    clock: Clock,
) -> None:
    due = await _date_or_complain(message)
    if due is None:
        return
    now = clock()
    today = _today(settings, now)

    async def action(session: AsyncSession, data: dict[str, Any]) -> None:
        await record_decision(
            session, data["case"], data["step"], data["option"], _person(actor),
            on=today, at=now, revision_due=due,
        )  # fmt: skip

    done = _("The decision is recorded: revision until {date}.").format(date=format_date(due))
    await _after_typed(message, uow, actor, state, today, action, done, keep_state_on_error=True)


@router.message(StateFilter(CaseStates.meeting_date), TYPED_TEXT)
async def meeting_date(
    message: Message,
    uow: UnitOfWork,
    actor: Actor,
    state: FSMContext,
    settings: Settings,
    clock: Clock,
) -> None:
    meeting_on = await _date_or_complain(message)
    if meeting_on is None:
        return
    now = clock()
    today = _today(settings, now)

    async def action(session: AsyncSession, data: dict[str, Any]) -> None:
        await schedule_meeting(session, data["case"], meeting_on, _person(actor), on=today, at=now)

    done = _("The meeting date is entered: {date}.").format(date=format_date(meeting_on))
    await _after_typed(message, uow, actor, state, today, action, done, keep_state_on_error=True)


# --------------------------------------------------------------------------- documents


def _safe_name(name: str) -> str:
    cleaned = re.sub(r"[^\w.\-]+", "_", Path(name).name).strip("._")
    return cleaned[:80] or "document"


@router.message(StateFilter(CaseStates.document), inline(F.document | F.photo))
async def receive_document(
    message: Message,
    bot: Bot,
    uow: UnitOfWork,
    actor: Actor,
    state: FSMContext,
    settings: Settings,
    clock: Clock,
) -> None:
    """Keep the Telegram file id and a local copy; the download runs outside any transaction."""
    data = await state.get_data()
    case_id, step_id = int(data.get("case", 0)), str(data.get("step", ""))
    if message.document is not None:
        file_id, unique = message.document.file_id, message.document.file_unique_id
        name = message.document.file_name or "document"
    else:
        assert message.photo
        file_id, unique = message.photo[-1].file_id, message.photo[-1].file_unique_id
        name = f"photo_{unique}.jpg"
    target = case_dir(settings.data_dir, case_id) / f"{step_id}_{unique}_{_safe_name(name)}"
    path: Path | None = target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        await bot.download(file_id, destination=target)
    except (TelegramAPIError, OSError) as error:
        # The Telegram file id alone still lets the bot resend the document later.
        log.warning("case %s: document not downloaded (%s)", case_id, type(error).__name__)
        target.unlink(missing_ok=True)
        path = None
    now = clock()

    async def action(session: AsyncSession, _data: dict[str, Any]) -> None:
        await attach_document(
            session, case_id, step_id, _person(actor), original_name=name,
            on=_today(settings, now), at=now, telegram_file_id=file_id,
            file_path=str(path) if path else None,
        )  # fmt: skip

    done = _("The document «{name}» is attached to step {step}.").format(
        name=escape(name), step=step_id
    )
    attached = await _after_typed(message, uow, actor, state, _today(settings, now), action, done)
    if path is not None and not attached:
        path.unlink(missing_ok=True)


@router.message(StateFilter(CaseStates.document), TYPED_TEXT)
async def document_expected(message: Message) -> None:
    await message.answer(
        _("Please send the document as a file or a photo. /cancel — do not attach.")
    )


# -------------------------------------------------------------------------- extensions


@router.callback_query(ExtensionCb.filter())
async def extension_answer(
    query: CallbackQuery,
    callback_data: ExtensionCb,
    uow: UnitOfWork,
    actor: Actor,
    state: FSMContext,
    settings: Settings,
    clock: Clock,
) -> None:
    """The officer refuses at once, or grants after typing the new due date."""
    if not actor.is_officer or actor.person_id is None:
        await _refuse(query, _denied())
        return
    now = clock()
    today = _today(settings, now)
    try:
        async with uow.transaction() as session:
            extension = await session.get(CaseExtension, callback_data.e)
            if extension is None:
                raise CaseError(_("This button is no longer active."))
            case_id, step_id = extension.case_id, extension.step_code
            proposed = extension.proposed_due
            if not callback_data.ok:
                await decide_extension(
                    session, extension.id, actor.person_id, granted=False, on=today, at=now
                )
            card = await _card(session, case_id, today)
    except CaseError as error:
        await _refuse(query, str(error))
        return
    if not callback_data.ok:
        await query.answer(_("Refused; the owner is told."))
        await _show(_message(query), card, actor, edit=True)
        return
    await state.set_state(CaseStates.extension_due)
    await state.update_data(case=case_id, ext=callback_data.e)
    await query.answer()
    if (message := _message(query)) is not None:
        hint = " " + _("Proposed: {date}.").format(date=format_date(proposed)) if proposed else ""
        await message.answer(
            _("New due date of step {step}, as DD.MM.YYYY.").format(step=step_id)
            + hint
            + " "
            + _("/cancel — do not decide now.")
        )


@router.message(StateFilter(CaseStates.extension_due), TYPED_TEXT)
async def extension_due(
    message: Message,
    uow: UnitOfWork,
    actor: Actor,
    state: FSMContext,
    settings: Settings,
    clock: Clock,
) -> None:
    new_due = await _date_or_complain(message)
    if new_due is None:
        return
    now = clock()
    today = _today(settings, now)

    async def action(session: AsyncSession, data: dict[str, Any]) -> None:
        if not actor.is_officer:
            raise Denied(data["case"])
        await decide_extension(
            session, int(data["ext"]), _person(actor), granted=True, on=today, at=now,
            new_due=new_due,
        )  # fmt: skip

    done = _("Extended until {date}; the owner is told.").format(date=format_date(new_due))
    await _after_typed(message, uow, actor, state, today, action, done, keep_state_on_error=True)


# ----------------------------------------------------------------- opening by instruction


@router.callback_query(CaseOpenCb.filter())
async def open_by_instruction(
    query: CallbackQuery,
    callback_data: CaseOpenCb,
    uow: UnitOfWork,
    actor: Actor,
    settings: Settings,
    clock: Clock,
) -> None:
    """Officer only: choose a process, confirm, open (or add the ground to its open case)."""
    message = _message(query)
    if not actor.is_officer or actor.person_id is None:
        await _refuse(query, _denied())
        return
    if callback_data.p == 0:
        await query.answer()
        if message is not None:
            await _process_page(message, uow, callback_data.pg)
        return
    if not callback_data.ok:
        async with uow.transaction() as session:
            process = await session.get(Process, callback_data.p)
            name = process.name if process is not None else ""
        await query.answer()
        if message is not None:
            await _confirm_opening(message, callback_data.p, name, settings, clock)
        return
    now = clock()
    today = _today(settings, now)
    try:
        async with uow.transaction() as session:
            result = await open_case(
                session, callback_data.p, Ground.INSTRUCTION, arose_on=today,
                actor_id=actor.person_id, at=now,
            )  # fmt: skip
            card = await _card(session, result.case_id, today)
    except CaseError as error:
        await _refuse(query, str(error))
        return
    if result.created:
        await query.answer(_("The case is opened; the owner is told."))
    else:
        await query.answer(
            _("The process already has an open case; the instruction is recorded as its ground."),
            show_alert=True,
        )
    await _show(message, card, actor, edit=True)


async def _process_page(message: Message, uow: UnitOfWork, page: int) -> None:
    async with uow.transaction() as session:
        rows = list(
            await session.execute(
                sa.select(Process.id, Process.name)
                .where(Process.active)
                .order_by(Process.name, Process.id)
                .offset(page * PAGE_SIZE)
                .limit(PAGE_SIZE + 1)
            )
        )
    builder = InlineKeyboardBuilder()
    for process_id, name in rows[:PAGE_SIZE]:
        builder.button(text=name[:60], callback_data=CaseOpenCb(p=process_id))
    navigation = []
    if page > 0:
        navigation.append(("‹", page - 1))
    if len(rows) > PAGE_SIZE:
        navigation.append(("›", page + 1))
    for label, target in navigation:
        builder.button(text=label, callback_data=CaseOpenCb(pg=target))
    builder.button(text=_("« All cases"), callback_data=CaseCb(c=0, a="l"))
    builder.adjust(*([1] * len(rows[:PAGE_SIZE])), max(len(navigation), 1), 1)
    with suppress(TelegramBadRequest):
        await message.edit_text(
            _("Which process does the instruction concern?"), reply_markup=builder.as_markup()
        )


async def _confirm_opening(
    message: Message, process_id: int, name: str, settings: Settings, clock: Clock
) -> None:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Open the case"), callback_data=CaseOpenCb(p=process_id, ok=True))
    builder.button(text=_("Cancel"), callback_data=CaseOpenCb())
    builder.adjust(1)
    with suppress(TelegramBadRequest):
        await message.edit_text(
            _("Open a reengineering case for «{process}» on the ground «{ground}», {date}?").format(
                process=escape(name),
                ground=GROUND_TITLES[Ground.INSTRUCTION],
                date=format_date(_today(settings, clock())),
            ),
            reply_markup=builder.as_markup(),
        )


# -------------------------------------------------------------------------- action plan


@router.callback_query(CaseCb.filter(F.a == "pa"))
async def plan_sections(
    query: CallbackQuery, callback_data: CaseCb, uow: UnitOfWork, actor: Actor
) -> None:
    try:
        async with _case_session(uow, actor, callback_data.c):
            pass
    except Denied:
        await _refuse(query, _denied())
        return
    builder = InlineKeyboardBuilder()
    for number, title in SECTION_TITLES.items():
        builder.button(
            text=f"{number}. {title}",
            callback_data=CaseCb(c=callback_data.c, a="sec", x=str(number)),
        )
    builder.adjust(1)
    await query.answer()
    if (message := _message(query)) is not None:
        await message.answer(
            _("Which section of the plan is the measure in?"), reply_markup=builder.as_markup()
        )


@router.callback_query(CaseCb.filter(F.a == "sec"))
async def plan_section_chosen(
    query: CallbackQuery, callback_data: CaseCb, uow: UnitOfWork, actor: Actor, state: FSMContext
) -> None:
    section = int(callback_data.x) if callback_data.x.isdigit() else 0
    if section not in SECTION_TITLES:
        await _refuse(query, _("This button is no longer active."))
        return
    prompt = _("Section «{section}». Write the name of the measure. /cancel — stop.").format(
        section=SECTION_TITLES[section]
    )
    target = CaseStates.plan_measure
    await _ask(query, uow, actor, state, callback_data, target, prompt, section=section)


@router.message(StateFilter(CaseStates.plan_measure), TYPED_TEXT)
async def plan_measure(message: Message, state: FSMContext) -> None:
    if (measure := await _typed(message)) is None:
        return
    await state.update_data(measure=measure)
    await state.set_state(CaseStates.plan_due)
    await message.answer(_("Due date of the measure, as DD.MM.YYYY:"))


@router.message(StateFilter(CaseStates.plan_due), TYPED_TEXT)
async def plan_due(message: Message, state: FSMContext, settings: Settings, clock: Clock) -> None:
    if (due := await _date_or_complain(message)) is None:
        return
    if due < _today(settings, clock()):
        await message.answer(_("The due date has already passed. Type a later date."))
        return
    await state.update_data(due=due.isoformat())
    await state.set_state(CaseStates.plan_responsible)
    await message.answer(_("Who is responsible for the measure (name, position)?"))


@router.message(StateFilter(CaseStates.plan_responsible), TYPED_TEXT)
async def plan_responsible(message: Message, state: FSMContext) -> None:
    if (responsible := await _typed(message)) is None:
        return
    await state.update_data(responsible=responsible)
    await state.set_state(CaseStates.plan_result)
    await message.answer(_("The expected result of the measure:"))


@router.message(StateFilter(CaseStates.plan_result), TYPED_TEXT)
async def plan_result(message: Message, state: FSMContext) -> None:
    if (result := await _typed(message)) is None:
        return
    await state.update_data(result=result)
    await state.set_state(CaseStates.plan_report)
    await message.answer(_("The reporting document:"))


@router.message(StateFilter(CaseStates.plan_report), TYPED_TEXT)
async def plan_report(
    message: Message,
    uow: UnitOfWork,
    actor: Actor,
    state: FSMContext,
    settings: Settings,
    clock: Clock,
) -> None:
    if (report := await _typed(message)) is None:
        return
    now = clock()
    today = _today(settings, now)

    async def action(session: AsyncSession, data: dict[str, Any]) -> str:
        item_id = await add_plan_item(
            session, data["case"], _person(actor), section=int(data["section"]),
            measure=data["measure"], due_on=date.fromisoformat(data["due"]),
            responsible_name=data["responsible"], expected_result=data["result"],
            report_document=report, on=today, at=now,
        )  # fmt: skip
        numbers = [item.number for item in await plan_items(session, data["case"])
                   if item.id == item_id]  # fmt: skip
        return _("Measure {number} is added to the action plan.").format(
            number=numbers[0] if numbers else ""
        )

    await _after_typed(message, uow, actor, state, today, action, "")


@router.callback_query(CaseCb.filter(F.a == "dig"))
async def digital_service(
    query: CallbackQuery,
    callback_data: CaseCb,
    uow: UnitOfWork,
    actor: Actor,
    settings: Settings,
    clock: Clock,
) -> None:
    now = clock()
    today = _today(settings, now)

    async def action(session: AsyncSession) -> str:
        await create_plan(
            session, callback_data.c, _person(actor), uses_digital_service=True, on=today, at=now
        )
        return _("The six prototype measures are added to the plan.")

    await _act(query, uow, actor, callback_data.c, today, action)


@router.callback_query(CaseCb.filter(F.a == "px"))
async def plan_workbook(
    query: CallbackQuery, callback_data: CaseCb, uow: UnitOfWork, actor: Actor, settings: Settings
) -> None:
    from reengineering.plan_xlsx import write_action_plan_xlsx  # openpyxl: loaded on demand

    out = case_dir(settings.data_dir, callback_data.c) / f"case{callback_data.c}_action_plan.xlsx"
    try:
        async with _case_session(uow, actor, callback_data.c, read_only=True) as session:
            out.parent.mkdir(parents=True, exist_ok=True)
            await write_action_plan_xlsx(session, callback_data.c, out)
    except Denied:
        await _refuse(query, _denied())
        return
    await query.answer(_("Preparing the report…"))
    if (message := _message(query)) is not None:
        await message.answer_document(
            FSInputFile(out, filename=f"action-plan-case-{callback_data.c}.xlsx")
        )


# ---------------------------------------------------------------------- research (R3, R4)


async def _departments_keyboard(
    uow: UnitOfWork, case_id: int, chosen: set[int]
) -> InlineKeyboardMarkup:
    async with uow.transaction() as session:
        departments = list(await session.scalars(sa.select(Department).order_by(Department.name)))
    builder = InlineKeyboardBuilder()
    for department in departments:
        mark = "✅" if department.id in chosen else "▫️"
        builder.button(
            text=f"{mark} {department.name}"[:60],
            callback_data=CaseCb(c=case_id, a="dep", x=str(department.id)),
        )
    builder.button(text=_("Launch the survey"), callback_data=CaseCb(c=case_id, a="go"))
    builder.button(text=_("Cancel"), callback_data=CaseCb(c=case_id))
    builder.adjust(1)
    return builder.as_markup()


@router.callback_query(CaseCb.filter(F.a == "rl"))
async def research_departments(
    query: CallbackQuery, callback_data: CaseCb, uow: UnitOfWork, actor: Actor, state: FSMContext
) -> None:
    """Performers are chosen by department; the process's own department is preselected."""
    try:
        async with _case_session(uow, actor, callback_data.c) as session:
            case = await session.get(ReengineeringCase, callback_data.c)
            process = await session.get(Process, case.process_id) if case else None
            chosen = {process.department_id} if process and process.department_id else set()
    except Denied:
        await _refuse(query, _denied())
        return
    await state.update_data(rs_case=callback_data.c, rs_deps=sorted(chosen))
    markup = await _departments_keyboard(uow, callback_data.c, chosen)
    await query.answer()
    if (message := _message(query)) is not None:
        await message.answer(
            _(
                "Whose employees perform the process? Choose their departments: they are asked "
                "as performers. Clients who agreed to be contacted are invited too."
            ),
            reply_markup=markup,
        )


async def _chosen_departments(state: FSMContext, case_id: int) -> set[int]:
    data = await state.get_data()
    return set(data.get("rs_deps", [])) if data.get("rs_case") == case_id else set()


@router.callback_query(CaseCb.filter(F.a == "dep"))
async def research_toggle(
    query: CallbackQuery, callback_data: CaseCb, uow: UnitOfWork, actor: Actor, state: FSMContext
) -> None:
    try:
        async with _case_session(uow, actor, callback_data.c):
            pass
    except Denied:
        await _refuse(query, _denied())
        return
    chosen = await _chosen_departments(state, callback_data.c)
    if callback_data.x.isdigit():
        chosen ^= {int(callback_data.x)}
    await state.update_data(rs_case=callback_data.c, rs_deps=sorted(chosen))
    await query.answer()
    if (message := _message(query)) is not None:
        with suppress(TelegramBadRequest):
            await message.edit_reply_markup(
                reply_markup=await _departments_keyboard(uow, callback_data.c, chosen)
            )


@router.callback_query(CaseCb.filter(F.a == "go"))
async def research_launch(
    query: CallbackQuery,
    callback_data: CaseCb,
    uow: UnitOfWork,
    actor: Actor,
    state: FSMContext,
    settings: Settings,
    clock: Clock,
) -> None:
    chosen = await _chosen_departments(state, callback_data.c)
    now = clock()

    async def action(session: AsyncSession) -> str:
        if not chosen:  # said only to those who may launch it (access is checked first)
            raise CaseError(_("Choose at least one department of performers."))
        launched = await launch_research(
            session, callback_data.c, _person(actor), department_ids=sorted(chosen),
            now=now, tz=settings.tz,
        )  # fmt: skip
        return _(
            "The survey is launched: {performers} employees and {clients} clients are invited."
        ).format(performers=launched.performers, clients=launched.clients)

    if await _act(query, uow, actor, callback_data.c, _today(settings, now), action):
        await state.update_data(rs_case=None, rs_deps=[])


@router.callback_query(CaseCb.filter(F.a == "rc"))
async def research_close(
    query: CallbackQuery,
    callback_data: CaseCb,
    uow: UnitOfWork,
    actor: Actor,
    settings: Settings,
    clock: Clock,
) -> None:
    """The owner or the officer closes the survey; the R4 workbook comes as a document."""
    now = clock()
    folder = case_dir(settings.data_dir, callback_data.c)
    try:
        async with _case_session(uow, actor, callback_data.c) as session:
            path = await close_research(
                session, callback_data.c, now=now, folder=folder, tz=settings.tz
            )
            card = await _card(session, callback_data.c, _today(settings, now))
    except Denied:
        await _refuse(query, _denied())
        return
    except CaseError as error:
        await _refuse(query, str(error))
        return
    await query.answer(_("The survey is closed."))
    message = _message(query)
    if message is not None:
        await message.answer_document(
            FSInputFile(path, filename=f"case-{callback_data.c}-{SURVEY_LIST_STEP}-research.xlsx"),
            caption=_("The lists of difficulties, needs and best practices (step {step}).").format(
                step=SURVEY_LIST_STEP
            ),
        )
    await _show(message, card, actor, edit=False)


async def _start_research(
    query: CallbackQuery,
    case_id: int,
    bot: Bot,
    uow: UnitOfWork,
    actor: Actor,
    clock: Clock,
    policy: SurveyPolicy,
    *,
    consent_given: bool,
) -> None:
    """Start the research questionnaire the person answers (performer or client)."""
    async with uow.transaction() as session:
        case = await session.get(ReengineeringCase, case_id)
        campaign_open = await session.scalar(
            sa.select(ResearchCampaign.closed_at.is_(None))
            .where(ResearchCampaign.case_id == case_id)
            .order_by(ResearchCampaign.id.desc())
            .limit(1)
        )
        running = case is not None and case.status == CaseStatus.OPEN and bool(campaign_open)
        code = await research_questionnaire_for(session, case_id, actor.telegram_id)
        if running and consent_given:
            await surveys.give_consent(session, actor.key, clock())
        respondent = await surveys.get_respondent(session, actor.key)
        consented = respondent is not None and respondent.consent_at is not None
    if case is None or not running:
        await query.answer(_("This survey is already closed. Thank you!"), show_alert=True)
        return
    await query.answer()
    if not consented:
        builder = InlineKeyboardBuilder()
        builder.button(
            text=_("Agree and continue"), callback_data=ResearchConsentCb(c=case_id, ok=True)
        )
        builder.button(text=_("No, thanks"), callback_data=ResearchConsentCb(c=case_id, ok=False))
        builder.adjust(2)
        await bot.send_message(
            actor.telegram_id,
            _(
                "<b>Before we start</b>\n\nThe answers are stored pseudonymously: without your "
                "name, username or Telegram id, and are used only to improve the process. You "
                "can delete the link between you and your answers at any time with /forget."
            ),
            reply_markup=builder.as_markup(),
        )
        return
    await begin(
        bot, uow, actor, actor.telegram_id, touchpoint_id=0, process_id=case.process_id,
        clock=clock, policy=policy, questionnaire_code=code,
    )  # fmt: skip


@router.callback_query(ResearchCb.filter())
async def research_invitation(
    query: CallbackQuery,
    callback_data: ResearchCb,
    bot: Bot,
    uow: UnitOfWork,
    actor: Actor,
    clock: Clock,
    policy: SurveyPolicy,
) -> None:
    await _start_research(
        query, callback_data.c, bot, uow, actor, clock, policy, consent_given=False
    )


@router.callback_query(ResearchConsentCb.filter())
async def research_consent(
    query: CallbackQuery,
    callback_data: ResearchConsentCb,
    bot: Bot,
    uow: UnitOfWork,
    actor: Actor,
    clock: Clock,
    policy: SurveyPolicy,
) -> None:
    if not callback_data.ok:
        await query.answer()
        if (message := _message(query)) is not None:
            with suppress(TelegramBadRequest):
                await message.edit_text(_("Understood. Nothing has been saved. Thank you!"))
        return
    await _start_research(
        query, callback_data.c, bot, uow, actor, clock, policy, consent_given=True
    )
