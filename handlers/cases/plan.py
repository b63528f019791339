"""The action-plan wizard (section, measure, due date, responsible, result, report) and its
workbook; the six prototype measures of a digital service."""

from __future__ import annotations

from datetime import date
from html import escape
from typing import Any

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, FSInputFile, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.settings import Settings
from handlers.callbacks import CaseCb
from handlers.cases.access import case_access
from handlers.cases.dates import DateTyped, date_step
from handlers.cases.flow import (
    act,
    after_typed,
    ask,
    message_of,
    person,
    refuse,
    stale_text,
    today_of,
    typed,
)
from handlers.filters import TYPED_TEXT
from reengineering.case_files import case_dir
from reengineering.case_queries import CaseRef
from reengineering.cases import plan_annex
from reengineering.plan import add_plan_item, create_plan, plan_items
from storage.uow import UnitOfWork
from surveys.actors import Actor

router = Router(name=__name__)


class PlanStates(StatesGroup):
    """One measure of the plan, field by field; the data names the case and section."""

    measure = State()
    due = State()
    responsible = State()
    result = State()
    report = State()


@router.callback_query(CaseCb.filter(F.a == "pa"), case_access())
async def plan_sections(query: CallbackQuery, case: CaseRef) -> None:
    builder = InlineKeyboardBuilder()
    for number, title in plan_annex(case.template_id).sections.items():
        builder.button(
            text=f"{number}. {title}", callback_data=CaseCb(c=case.id, a="sec", x=str(number))
        )
    builder.adjust(1)
    await query.answer()
    if (message := message_of(query)) is not None:
        await message.answer(
            _("Which section of the plan is the measure in?"), reply_markup=builder.as_markup()
        )


@router.callback_query(CaseCb.filter(F.a == "sec"), case_access())
async def plan_section_chosen(
    query: CallbackQuery,
    callback_data: CaseCb,
    case: CaseRef,
    uow: UnitOfWork,
    actor: Actor,
    state: FSMContext,
) -> None:
    section = int(callback_data.x) if callback_data.x.isdigit() else 0
    sections = plan_annex(case.template_id).sections
    if section not in sections:
        await refuse(query, stale_text())
        return
    prompt = _("Section «{section}». Write the name of the measure. /cancel — stop.").format(
        section=escape(sections[section])
    )
    target = PlanStates.measure
    await ask(query, uow, actor, state, callback_data, target, prompt, section=section)


@router.message(StateFilter(PlanStates.measure), TYPED_TEXT)
async def plan_measure(message: Message, state: FSMContext) -> None:
    if (measure := await typed(message)) is None:
        return
    await state.update_data(measure=measure)
    await state.set_state(PlanStates.due)
    await message.answer(_("Due date of the measure, as DD.MM.YYYY:"))


@date_step(router, PlanStates.due)
async def plan_due_on(message: Message, due: date, typed: DateTyped) -> None:
    state = typed.state
    if due < typed.today:
        await message.answer(_("The due date has already passed. Type a later date."))
        return
    await state.update_data(due=due.isoformat())
    await state.set_state(PlanStates.responsible)
    await message.answer(_("Who is responsible for the measure (name, position)?"))


@router.message(StateFilter(PlanStates.responsible), TYPED_TEXT)
async def plan_responsible(message: Message, state: FSMContext) -> None:
    if (responsible := await typed(message)) is None:
        return
    await state.update_data(responsible=responsible)
    await state.set_state(PlanStates.result)
    await message.answer(_("The expected result of the measure:"))


@router.message(StateFilter(PlanStates.result), TYPED_TEXT)
async def plan_result(message: Message, state: FSMContext) -> None:
    if (result := await typed(message)) is None:
        return
    await state.update_data(result=result)
    await state.set_state(PlanStates.report)
    await message.answer(_("The reporting document:"))


@router.message(StateFilter(PlanStates.report), TYPED_TEXT)
async def plan_report(
    message: Message,
    uow: UnitOfWork,
    actor: Actor,
    state: FSMContext,
    settings: Settings,
    clock: Clock,
) -> None:
    if (report := await typed(message)) is None:
        return
    now = clock()
    today = today_of(settings, now)

    async def action(session: AsyncSession, data: dict[str, Any]) -> str:
        item_id = await add_plan_item(
            session, data["case"], person(actor), section=int(data["section"]),
            measure=data["measure"], due_on=date.fromisoformat(data["due"]),
            responsible_name=data["responsible"], expected_result=data["result"],
            report_document=report, on=today, at=now,
            _=_,
        )  # fmt: skip
        numbers = [item.number for item in await plan_items(session, data["case"])
                   if item.id == item_id]  # fmt: skip
        return _("Measure {number} is added to the action plan.").format(
            number=numbers[0] if numbers else ""
        )

    await after_typed(message, uow, actor, state, today, action, "")


@router.callback_query(CaseCb.filter(F.a == "dig"), case_access())
async def digital_service(
    query: CallbackQuery,
    case: CaseRef,
    uow: UnitOfWork,
    actor: Actor,
    settings: Settings,
    clock: Clock,
) -> None:
    now = clock()
    today = today_of(settings, now)

    async def action(session: AsyncSession) -> str:
        await create_plan(
            session, case.id, person(actor), uses_digital_service=True, on=today, at=now, _=_
        )
        return _("The six prototype measures are added to the plan.")

    await act(query, uow, actor, case, today, action)


@router.callback_query(CaseCb.filter(F.a == "px"), case_access())
async def plan_workbook(
    query: CallbackQuery, case: CaseRef, uow: UnitOfWork, settings: Settings
) -> None:
    from reengineering.plan_xlsx import write_action_plan_xlsx  # openpyxl: loaded on demand

    out = case_dir(settings.data_dir, case.id) / f"case{case.id}_action_plan.xlsx"
    async with uow.reading() as session:  # no write lock while openpyxl writes the plan
        out.parent.mkdir(parents=True, exist_ok=True)
        await write_action_plan_xlsx(session, case.id, out, _)
    await query.answer(_("Preparing the report…"))
    if (message := message_of(query)) is not None:
        await message.answer_document(FSInputFile(out, filename=f"action-plan-case-{case.id}.xlsx"))
