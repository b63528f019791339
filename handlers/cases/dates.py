"""Dates people type for deadlines and meetings: a non-working day is pointed out, with the
next working day offered as a button.

A deadline on a Sunday or a holiday would pass unnoticed, and a meeting cannot be held then.
The button carries only the date: the conversation's state says what it is for, and the
step it leads to (registered with :func:`date_step`) checks the person and the case exactly
as when the date is typed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __

from core.calendar import add_working_days, is_working_day
from core.clock import Clock
from core.settings import Settings
from handlers.callbacks import DayCb
from handlers.cases.flow import TypedAction, after_typed, message_of, parse_date, today_of
from handlers.filters import TYPED_TEXT
from reengineering.reminders import format_date
from storage.uow import UnitOfWork
from surveys.actors import Actor

router = Router(name=__name__)


@dataclass(frozen=True)
class DateTyped:
    """What a date step needs of the handler's data, and the moment it was typed."""

    uow: UnitOfWork
    actor: Actor
    state: FSMContext
    settings: Settings
    now: datetime
    today: date

    @classmethod
    def of(cls, state: FSMContext, data: dict[str, Any]) -> DateTyped:
        settings: Settings = data["settings"]
        now = data["clock"]()
        return cls(data["uow"], data["actor"], state, settings, now, today_of(settings, now))

    async def done(self, message: Message, action: TypedAction, text: str) -> None:
        """The domain call on the remembered case, then its card (flow.after_typed)."""
        await after_typed(
            message, self.uow, self.actor, self.state, self.today, action, text,
            keep_state_on_error=True,
        )  # fmt: skip


DateStep = Callable[[Message, date, DateTyped], Awaitable[None]]
_STEPS: dict[str, DateStep] = {}

WEEKDAYS = (
    __("Monday"),
    __("Tuesday"),
    __("Wednesday"),
    __("Thursday"),
    __("Friday"),
    __("Saturday"),
    __("Sunday"),
)


def date_step(router: Router, expected: State) -> Callable[[DateStep], DateStep]:
    """What a date typed in ``expected`` means: ``step(message, day, typed)``, reached from the
    typed date (after the day-off check) and from the offered working day's button."""

    def register(step: DateStep) -> DateStep:
        _STEPS[str(expected.state)] = step

        async def typed_date(message: Message, state: FSMContext, **data: Any) -> None:
            if (day := await working_date(message, data)) is not None:
                await step(message, day, DateTyped.of(state, data))

        router.message.register(typed_date, StateFilter(expected), TYPED_TEXT)
        return step

    return register


def weekday(day: date) -> str:
    return str(WEEKDAYS[day.weekday()])


async def working_date(message: Message, data: dict[str, Any]) -> date | None:
    """The typed date if it is a real working day; otherwise say why, and offer the next one.

    ``data`` is the handler's data (settings and clock): a past date goes on as typed, for
    the step to refuse it with its own reason.
    """
    day = parse_date(message.text or "")
    if day is None:
        await message.answer(
            _("The date is not recognised. Type it as DD.MM.YYYY, for example 12.05.2025.")
        )
        return None
    if not await offered_instead(message, day, data):
        return day
    return None


async def offered_instead(message: Message, day: date, data: dict[str, Any]) -> bool:
    """Whether ``day`` is a coming day off and the next working day was offered instead."""
    settings: Settings = data["settings"]
    clock: Clock = data["clock"]
    if is_working_day(day) or day < today_of(settings, clock()):
        return False
    following = add_working_days(day, 1)
    text = _(
        "{date} ({weekday}) is a day off in the production calendar. The nearest working day "
        "is {next} ({next_weekday}). Choose it or type another date."
    ).format(
        date=format_date(day),
        weekday=weekday(day),
        next=format_date(following),
        next_weekday=weekday(following),
    )
    label = _("Set {date}").format(date=format_date(following))
    button = InlineKeyboardButton(
        text=label, callback_data=DayCb(d=following.strftime("%Y%m%d")).pack()
    )
    await message.answer(text, reply_markup=InlineKeyboardMarkup(inline_keyboard=[[button]]))
    return True


@router.callback_query(DayCb.filter())
async def offered_day(
    query: CallbackQuery, callback_data: DayCb, state: FSMContext, **data: Any
) -> None:
    """The offered day pressed: the conversation goes on as if it had been typed."""
    step = _STEPS.get(str(await state.get_state()))
    message = message_of(query)
    try:
        day = datetime.strptime(callback_data.d, "%Y%m%d").date()
    except ValueError:
        day = None
    if step is None or message is None or day is None:
        await query.answer(_("This button is no longer active."))
        return
    await query.answer()
    with suppress(TelegramBadRequest):
        await message.edit_reply_markup(reply_markup=None)
    if not await offered_instead(message, day, data):  # a crafted date is checked as typed
        await step(message, day, DateTyped.of(state, data))
