"""Inline keyboards, built from domain views; every label goes through i18n."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from core.labels import BUTTON_LIMIT, labels_apart
from handlers.callbacks import AnswerCb, ConsentCb, MenuCb, NavCb, OptInCb, PageCb
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
    pack = AnswerCb.packer(view.session_id, view.version)

    def button(text: str, value: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(text=text, callback_data=pack(value))

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


@dataclass(frozen=True)
class ListEntry:
    """One item of a paged list: its name, its button's data, and a mark shown before it."""

    name: str
    data: CallbackData
    mark: str = ""


def page_count(count: int, size: int = PAGE_SIZE) -> int:
    return max(1, -(-count // size))


def page_in_range(page: int, count: int, size: int = PAGE_SIZE) -> int:
    """A page that exists: a stale button after the list shrank shows its last page."""
    return min(max(page, 0), page_count(count, size) - 1)


def pager_row(
    page: int, pages: int, page_data: Callable[[int], CallbackData]
) -> list[InlineKeyboardButton]:
    """«‹ Назад», «стр. 2 из 3», «Далее ›»; nothing when the list fits on one page.

    Issue #17, point 1: «Every list pages».
    """
    if pages <= 1:
        return []
    row: list[InlineKeyboardButton] = []
    if page > 0:
        row.append(_button(_("‹ Back"), page_data(page - 1)))
    where = _("page {page} of {pages}").format(page=page + 1, pages=pages)
    row.append(_button(where, page_data(page)))
    if page < pages - 1:
        row.append(_button(_("Next ›"), page_data(page + 1)))
    return row


def _button(text: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def paged_list(
    entries: Sequence[ListEntry],
    page: int,
    page_data: Callable[[int], CallbackData],
    *,
    size: int = PAGE_SIZE,
    after: Sequence[InlineKeyboardButton] = (),
) -> InlineKeyboardMarkup:
    """One page of a list, one button a row, the pager, then the buttons ``after`` it.

    Names are shortened together (core.labels), so two items never look the same.
    """
    page = page_in_range(page, len(entries), size)
    marks = max((len(entry.mark) for entry in entries), default=0)
    names = labels_apart([entry.name for entry in entries], BUTTON_LIMIT - marks)
    start = page * size
    rows = [
        [_button(entry.mark + name, entry.data)]
        for entry, name in zip(
            entries[start : start + size], names[start : start + size], strict=True
        )
    ]
    paging = pager_row(page, page_count(len(entries), size), page_data)
    if paging:
        rows.append(paging)
    rows.extend([button] for button in after)
    return InlineKeyboardMarkup(inline_keyboard=rows)


def choice_list(
    level: str, items: Sequence[tuple[int, str]], page: int, parent: int, back: CallbackData | None
) -> InlineKeyboardMarkup:
    """A paged list of directions, processes or touchpoints."""
    entries = [ListEntry(label, NavCb(lvl=level, id=item_id)) for item_id, label in items]
    after = [] if back is None else [_button(_("← Back"), back)]
    return paged_list(
        entries, page, lambda target: NavCb(lvl=level + "*", id=parent, pg=target), after=after
    )


def search_results(found: Sequence[tuple[int, str]], page: int) -> InlineKeyboardMarkup:
    """The places a search found, as «Service: place», the place never cut off (#17.1)."""
    entries = [ListEntry(label, NavCb(lvl="t", id=touchpoint_id)) for touchpoint_id, label in found]
    return paged_list(entries, page, lambda target: PageCb(l="sr", pg=target))


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
        builder.button(text=_("Reengineering regulation"), callback_data=MenuCb(item="regulation"))
    builder.button(text=_("Delete my data"), callback_data=MenuCb(item="forget"))
    builder.adjust(1)
    return builder.as_markup()
