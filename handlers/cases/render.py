"""The case card, its keyboard and the case list, as Telegram HTML and inline buttons."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from handlers.callbacks import CaseCb, CaseOpenCb, ExtensionCb, PageCb
from handlers.keyboards import ListEntry, page_in_range, paged_list
from reengineering.cases import (
    MEETING_STEP,
    PLAN_STEP,
    SURVEY_STEP,
    CaseSummary,
    CaseView,
    StepView,
)
from reengineering.reminders import format_date
from storage.cases_models import CaseStatus, ExtensionStatus, StepStatus
from surveys.actors import Actor

MESSAGE_LIMIT = 4000
PROFILE_STEP = "R1"  # seed 003 §2.2: touchpoints and the client segment profile
LIST_PAGE = 10  # cases a page of /cases shows, in its text and its buttons
MARKS = {
    StepStatus.DONE: "✅",
    StepStatus.ACTIVE: "▶️",
    StepStatus.PENDING: "⏳",
    StepStatus.SKIPPED: "➖",
}


@dataclass(frozen=True)
class Card:
    view: CaseView
    research_open: bool


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


def _heading(view: CaseView) -> list[str]:
    lines = [
        "📁 "
        + _("<b>Reengineering {number}</b>: «{process}»").format(
            number=view.number, process=escape(view.process_name)
        ),
        _("Ground: {ground} (arose {date})").format(
            ground=escape(view.ground_title), date=format_date(view.arose_on)
        ),
    ]
    if view.template_title:
        lines.append(_("Regulation: {title}").format(title=escape(view.template_title)))
    if view.owner_name:
        lines.append(_("Process owner: {name}").format(name=escape(view.owner_name)))
    if view.status == CaseStatus.CLOSED and view.closed_on is not None:
        lines.append(
            "🏁 "
            + _("Closed {date}: {outcome}").format(
                date=format_date(view.closed_on), outcome=escape(view.outcome_title or "")
            )
        )
    return lines


def card_text(view: CaseView) -> str:
    lines = _heading(view)
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
    for step_id, head in view.signing:
        lines.append(
            "✍️ "
            + _("{step}: the conclusion awaits the signature of the head ({name})").format(
                step=step_id, name=escape(head)
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
    owner = view.owner_id is not None and view.owner_id == actor.person_id
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
        if step.step_id == PROFILE_STEP and (owner or actor.is_officer):
            builder.button(text=_("R1: client segment profile (Excel)"), callback_data=cb("sp"))
        if owner and step.acting == "owner" and step.due_on and step.step_id not in asked:
            builder.button(
                text=_("{step}: ask for more time").format(step=step.step_id),
                callback_data=cb("ext"),
            )


def _research_button(builder: InlineKeyboardBuilder, card: Card, active: set[str]) -> None:
    case_id = card.view.id
    if card.research_open:
        builder.button(
            text=_("Close the survey and build the R4 lists"),
            callback_data=CaseCb(c=case_id, a="rc"),
        )
    elif SURVEY_STEP in active:
        builder.button(
            text=_("Launch the R3 survey of clients and performers"),
            callback_data=CaseCb(c=case_id, a="rl"),
        )


def _plan_buttons(builder: InlineKeyboardBuilder, view: CaseView, actor: Actor) -> None:
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


def _extension_buttons(builder: InlineKeyboardBuilder, view: CaseView) -> None:
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


def _due_buttons(builder: InlineKeyboardBuilder, view: CaseView) -> None:
    """The officer sets the due dates the regulation does not count (seeds 000, 001)."""
    for step in view.steps:
        if step.due_by_officer and step.status in (StepStatus.ACTIVE, StepStatus.PENDING):
            builder.button(
                text=_("{step}: set the due date").format(step=step.step_id),
                callback_data=CaseCb(c=view.id, a="due", s=step.step_id),
            )


def card_keyboard(card: Card, actor: Actor) -> InlineKeyboardMarkup:
    """Only what this viewer may do now; the domain still checks every press."""
    view = card.view
    builder = InlineKeyboardBuilder()
    active = {step.step_id for step in view.active_steps}
    if view.status == CaseStatus.OPEN:
        _step_buttons(builder, view, actor)
        _research_button(builder, card, active)
        if active & {PLAN_STEP, MEETING_STEP}:
            _plan_buttons(builder, view, actor)
        if actor.is_officer:
            _extension_buttons(builder, view)
            builder.button(
                text=_("Give the case to another owner"), callback_data=CaseCb(c=view.id, a="ow")
            )
            _due_buttons(builder, view)
    if view.plan_items:
        builder.button(text=_("Action plan (Excel)"), callback_data=CaseCb(c=view.id, a="px"))
    builder.button(text=_("« All cases"), callback_data=CaseCb(c=0, a="l"))
    builder.adjust(1)
    return builder.as_markup()


def case_list(
    summaries: list[CaseSummary], actor: Actor, page: int = 0
) -> tuple[str, InlineKeyboardMarkup]:
    """The open cases, a page of them at a time (#17.1 «Every list pages»)."""
    lines = [_("<b>Open reengineering cases</b>")] if summaries else [_("No open cases.")]
    page = page_in_range(page, len(summaries), LIST_PAGE)
    shown = summaries[page * LIST_PAGE : (page + 1) * LIST_PAGE]
    for summary in shown:
        mark = "⚠️" if summary.overdue else "▶️"
        line = f"{mark} {summary.number} «{escape(summary.process_name)}»"
        if summary.active_steps:
            line += " — " + ", ".join(summary.active_steps)
        if summary.next_due is not None:
            line += " " + _("until {date}").format(date=format_date(summary.next_due))
        lines.append(line)
    entries = [
        ListEntry(s.process_name, CaseCb(c=s.id), mark=f"{'⚠️' if s.overdue else '▶️'} {s.number} · ")
        for s in summaries
    ]
    after = []
    if actor.is_officer:
        after.append(
            InlineKeyboardButton(
                text=_("➕ Open a case by instruction"), callback_data=CaseOpenCb().pack()
            )
        )
    markup = paged_list(
        entries, page, lambda target: PageCb(l="cs", pg=target), size=LIST_PAGE, after=after
    )
    return "\n".join(lines), markup
