"""Inline keyboards, built from domain views; every label goes through i18n."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from handlers.callbacks import AnswerCb, ConsentCb, MenuCb, NavCb, OptInCb
from surveys.questionnaire import CRITICALITY_LEVELS, QuestionKind
from surveys.service import BACK, DONE, SKIP, TOGGLE, QuestionView

PAGE_SIZE = 8


def criticality_label(level: str) -> str:
    return {"low": _("Low"), "medium": _("Medium"), "high": _("High")}[level]


def question_keyboard(view: QuestionView, locale: str) -> InlineKeyboardMarkup:
    question = view.question
    builder = InlineKeyboardBuilder()

    def cb(value: str) -> str:
        return AnswerCb(s=view.session_id, v=view.version, x=value).pack()

    if question.kind == QuestionKind.RATING:
        scale = view.definition.scale
        for score in range(scale.min, scale.max + 1):
            builder.button(
                text=f"{score} ⭐" if score == scale.max else str(score),
                callback_data=cb(str(score)),
            )
        builder.adjust(scale.max - scale.min + 1)
    elif question.kind == QuestionKind.SINGLE:
        for option in question.options:
            builder.button(text=option.label(locale), callback_data=cb(option.id))
        builder.adjust(1)
    elif question.kind == QuestionKind.MULTI:
        for option in question.options:
            mark = "✅ " if option.id in view.selected else "▫️ "
            builder.button(text=mark + option.label(locale), callback_data=cb(TOGGLE + option.id))
        builder.adjust(1)
    elif question.kind == QuestionKind.STAGE:
        for index, stage in enumerate(view.context.stages):
            builder.button(text=stage, callback_data=cb(str(index)))
        builder.adjust(1)
    elif question.kind == QuestionKind.CRITICALITY:
        for level in CRITICALITY_LEVELS:
            builder.button(text=criticality_label(level), callback_data=cb(level))
        builder.adjust(3)

    footer: list[InlineKeyboardButton] = []
    if view.can_go_back:
        footer.append(InlineKeyboardButton(text=_("← Back"), callback_data=cb(BACK)))
    if question.kind == QuestionKind.MULTI:
        footer.append(InlineKeyboardButton(text=_("Done ✔"), callback_data=cb(DONE)))
    if question.optional:
        footer.append(InlineKeyboardButton(text=_("Skip"), callback_data=cb(SKIP)))
    if footer:
        builder.row(*footer)
    return builder.as_markup()


def consent_keyboard(touchpoint_id: int, process_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("Agree and continue"),
        callback_data=ConsentCb(tp=touchpoint_id, pr=process_id, ok=True),
    )
    builder.button(
        text=_("No, thanks"), callback_data=ConsentCb(tp=touchpoint_id, pr=process_id, ok=False)
    )
    builder.adjust(1)
    return builder.as_markup()


def opt_in_keyboard(session_id: int, recontact: bool, answer: bool) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=("✅ " if recontact else "") + _("You may ask me again later"),
        callback_data=OptInCb(s=session_id, k="recontact"),
    )
    builder.button(
        text=("✅ " if answer else "") + _("I want an answer to my feedback"),
        callback_data=OptInCb(s=session_id, k="answer"),
    )
    builder.adjust(1)
    return builder.as_markup()


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
    if is_officer:
        builder.button(text=_("Create an employee invite"), callback_data=MenuCb(item="invite"))
    builder.button(text=_("Delete my data"), callback_data=MenuCb(item="forget"))
    builder.adjust(1)
    return builder.as_markup()
