"""Inline keyboards, built from domain views; every label goes through i18n."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from handlers.callbacks import AnswerCb, ConsentCb, MenuCb, NavCb, OptInCb
from surveys.questionnaire import CRITICALITY_LEVELS, QuestionKind
from surveys.service import BACK, DONE, SKIP, TOGGLE
from surveys.views import QuestionView

PAGE_SIZE = 8


def criticality_label(level: str) -> str:
    return {"low": _("Low"), "medium": _("Medium"), "high": _("High")}[level]


def question_keyboard(view: QuestionView, locale: str) -> InlineKeyboardMarkup:
    """Rows built directly: this runs on every answer, and the builder copies each button."""
    question = view.question
    rows: list[list[InlineKeyboardButton]] = []

    def button(text: str, value: str) -> InlineKeyboardButton:
        data = AnswerCb(s=view.session_id, v=view.version, x=value).pack()
        return InlineKeyboardButton(text=text, callback_data=data)

    if question.kind == QuestionKind.RATING:
        scale = view.definition.scale
        rows.append(
            [
                button(f"{score} ⭐" if score == scale.max else str(score), str(score))
                for score in range(scale.min, scale.max + 1)
            ]
        )
    elif question.kind == QuestionKind.SINGLE:
        rows.extend([button(option.label(locale), option.id)] for option in question.options)
    elif question.kind == QuestionKind.MULTI:
        for option in question.options:
            mark = "✅ " if option.id in view.selected else "▫️ "
            rows.append([button(mark + option.label(locale), TOGGLE + option.id)])
    elif question.kind == QuestionKind.STAGE:
        rows.extend([button(stage, str(index))] for index, stage in enumerate(view.context.stages))
    elif question.kind == QuestionKind.CRITICALITY:
        rows.append([button(criticality_label(level), level) for level in CRITICALITY_LEVELS])

    footer: list[InlineKeyboardButton] = []
    if view.can_go_back:
        footer.append(button(_("← Back"), BACK))
    if question.kind == QuestionKind.MULTI:
        footer.append(button(_("Done ✔"), DONE))
    if question.optional:
        footer.append(button(_("Skip"), SKIP))
    if footer:
        rows.append(footer)
    return InlineKeyboardMarkup(inline_keyboard=rows)


def consent_keyboard(touchpoint_id: int, process_id: int) -> InlineKeyboardMarkup:
    def button(text: str, ok: bool) -> list[InlineKeyboardButton]:
        data = ConsentCb(tp=touchpoint_id, pr=process_id, ok=ok).pack()
        return [InlineKeyboardButton(text=text, callback_data=data)]

    return InlineKeyboardMarkup(
        inline_keyboard=[button(_("Agree and continue"), True), button(_("No, thanks"), False)]
    )


def opt_in_keyboard(
    session_id: int, recontact: bool, answer: bool, *, commented: bool
) -> InlineKeyboardMarkup:
    """Shown with every thanks; an answer is offered only to someone who left a comment."""

    def button(text: str, kind: str, on: bool) -> list[InlineKeyboardButton]:
        data = OptInCb(s=session_id, k=kind).pack()
        return [InlineKeyboardButton(text=("✅ " if on else "") + text, callback_data=data)]

    rows = [button(_("You may ask me again later"), "recontact", recontact)]
    if commented or answer:
        rows.append(button(_("I want an answer to my feedback"), "answer", answer))
    return InlineKeyboardMarkup(inline_keyboard=rows)


def choice_list(
    level: str, items: Sequence[tuple[int, str]], page: int, parent: int, back: CallbackData | None
) -> InlineKeyboardMarkup:
    """A paged list of directions, processes or touchpoints."""
    builder = InlineKeyboardBuilder()
    start = page * PAGE_SIZE
    for item_id, label in items[start : start + PAGE_SIZE]:
        builder.button(text=label[:60], callback_data=NavCb(lvl=level, id=item_id))
    builder.adjust(1)
    paging: list[InlineKeyboardButton] = []
    if page > 0:
        paging.append(
            InlineKeyboardButton(
                text="«", callback_data=NavCb(lvl=level + "*", id=parent, pg=page - 1).pack()
            )
        )
    if start + PAGE_SIZE < len(items):
        paging.append(
            InlineKeyboardButton(
                text="»", callback_data=NavCb(lvl=level + "*", id=parent, pg=page + 1).pack()
            )
        )
    if paging:
        builder.row(*paging)
    if back is not None:
        builder.row(InlineKeyboardButton(text=_("← Back"), callback_data=back.pack()))
    return builder.as_markup()


def main_menu(is_employee: bool, is_officer: bool) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Rate a service"), callback_data=MenuCb(item="find"))
    if is_employee:
        builder.button(text=_("Rate an internal service"), callback_data=MenuCb(item="rate"))
        builder.button(
            text=_("Send a request to an internal service"), callback_data=MenuCb(item="request")
        )
    if is_officer:
        builder.button(text=_("Create an employee invite"), callback_data=MenuCb(item="invite"))
        builder.button(text=_("Late internal requests"), callback_data=MenuCb(item="late"))
    builder.button(text=_("Delete my data"), callback_data=MenuCb(item="forget"))
    builder.adjust(1)
    return builder.as_markup()
