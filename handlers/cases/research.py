"""The R3 research survey: choose performers' departments, launch, close (R4 lists), and the
invited people's «Пройти опрос» with consent."""

from __future__ import annotations

from contextlib import suppress

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, FSInputFile, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.labels import BUTTON_LIMIT, labels_apart
from core.settings import Settings
from handlers.asking import begin
from handlers.callbacks import CaseCb, ResearchCb, ResearchConsentCb
from handlers.cases.access import case_access
from handlers.cases.flow import act, load_card, message_of, person, refuse, show, today_of
from handlers.render import in_max
from reengineering.case_files import case_dir
from reengineering.case_queries import (
    CaseRef,
    case_ref,
    departments,
    process_department,
    research_open,
)
from reengineering.cases import SURVEY_LIST_STEP, CaseError
from reengineering.research import count_invitees, launch_research
from reengineering.research import research_invitation as invited_to
from reengineering.research_close import close_research
from storage.uow import UnitOfWork
from surveys import profiles
from surveys import service as surveys
from surveys.actors import Actor
from surveys.service import SurveyPolicy

router = Router(name=__name__)


async def _departments_keyboard(
    uow: UnitOfWork, case_id: int, chosen: set[int]
) -> InlineKeyboardMarkup:
    async with uow.transaction() as session:
        rows = await departments(session)
    builder = InlineKeyboardBuilder()
    names = labels_apart([name for _id, name in rows], BUTTON_LIMIT - 3)  # after the mark
    for (department_id, _name), name in zip(rows, names, strict=True):
        mark = "✅" if department_id in chosen else "▫️"
        builder.button(
            text=f"{mark} {name}",
            callback_data=CaseCb(c=case_id, a="dep", x=str(department_id)),
        )
    builder.button(text=_("Launch the survey"), callback_data=CaseCb(c=case_id, a="go"))
    builder.button(text=_("Cancel"), callback_data=CaseCb(c=case_id))
    builder.adjust(1)
    return builder.as_markup()


@router.callback_query(CaseCb.filter(F.a == "rl"), case_access())
async def research_departments(
    query: CallbackQuery, case: CaseRef, uow: UnitOfWork, state: FSMContext
) -> None:
    """Performers are chosen by department; the process's own department is preselected."""
    async with uow.transaction() as session:
        department_id = await process_department(session, case.process_id)
    chosen = {department_id} if department_id else set()
    await state.update_data(rs_case=case.id, rs_deps=sorted(chosen))
    markup = await _departments_keyboard(uow, case.id, chosen)
    await query.answer()
    if (message := message_of(query)) is not None:
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


@router.callback_query(CaseCb.filter(F.a == "dep"), case_access())
async def research_toggle(
    query: CallbackQuery,
    callback_data: CaseCb,
    case: CaseRef,
    uow: UnitOfWork,
    state: FSMContext,
) -> None:
    chosen = await _chosen_departments(state, case.id)
    if callback_data.x.isdigit():
        chosen ^= {int(callback_data.x)}
    await state.update_data(rs_case=case.id, rs_deps=sorted(chosen))
    await query.answer()
    if (message := message_of(query)) is not None:
        with suppress(TelegramBadRequest):
            await message.edit_reply_markup(
                reply_markup=await _departments_keyboard(uow, case.id, chosen)
            )


@router.callback_query(CaseCb.filter(F.a == "go"), case_access())
async def research_launch(
    query: CallbackQuery,
    callback_data: CaseCb,
    case: CaseRef,
    uow: UnitOfWork,
    actor: Actor,
    state: FSMContext,
    settings: Settings,
    clock: Clock,
) -> None:
    chosen = await _chosen_departments(state, case.id)
    now = clock()
    if chosen and callback_data.x != ANYWAY and await _would_invite_nobody(uow, case, chosen):
        await query.answer()
        if (message := message_of(query)) is not None:
            await message.edit_text(
                _(
                    "Nobody would be invited now: the chosen departments have no employees "
                    "known to the bot, and no client of the process agreed to be asked again. "
                    "Only those known at the launch are invited. Launch anyway?"
                ),
                reply_markup=_nobody_keyboard(case.id),
            )
        return

    async def action(session: AsyncSession) -> str:
        if not chosen:  # said only to those who may launch it (access is checked first)
            raise CaseError(_("Choose at least one department of performers."))
        launched = await launch_research(
            session, case.id, person(actor), department_ids=sorted(chosen),
            now=now, tz=settings.tz, _=_,
        )  # fmt: skip
        return _(
            "The survey is launched: {performers} employees and {clients} clients are invited."
        ).format(performers=launched.performers, clients=launched.clients)

    if await act(query, uow, actor, case, today_of(settings, now), action):
        await state.update_data(rs_case=None, rs_deps=[])


ANYWAY = "anyway"


async def _would_invite_nobody(uow: UnitOfWork, case: CaseRef, chosen: set[int]) -> bool:
    async with uow.transaction() as session:
        performers, clients = await count_invitees(session, case.process_id, sorted(chosen))
    return performers + clients == 0


def _nobody_keyboard(case_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Launch anyway"), callback_data=CaseCb(c=case_id, a="go", x=ANYWAY))
    builder.button(text=_("Choose other departments"), callback_data=CaseCb(c=case_id, a="rl"))
    builder.button(text=_("Cancel"), callback_data=CaseCb(c=case_id))
    builder.adjust(1)
    return builder.as_markup()


@router.callback_query(CaseCb.filter(F.a == "rc"), case_access())
async def research_close(
    query: CallbackQuery,
    case: CaseRef,
    uow: UnitOfWork,
    actor: Actor,
    settings: Settings,
    clock: Clock,
) -> None:
    """The owner or the officer closes the survey; the R4 workbook comes as a document."""
    now = clock()
    folder = case_dir(settings.data_dir, case.id)
    try:
        async with uow.transaction() as session:
            path = await close_research(
                session, case.id, now=now, folder=folder, tz=settings.tz, _=_
            )
            card = await load_card(session, case.id, today_of(settings, now))
    except CaseError as error:
        await refuse(query, str(error))
        return
    await query.answer(_("The survey is closed."))
    message = message_of(query)
    if message is not None:
        await message.answer_document(
            FSInputFile(path, filename=f"case-{case.id}-{SURVEY_LIST_STEP}-research.xlsx"),
            caption=_("The lists of difficulties, needs and best practices (step {step}).").format(
                step=SURVEY_LIST_STEP
            ),
        )
    await show(message, card, actor, edit=False)


async def _ask_consent(bot: Bot, actor: Actor, case_id: int, token: str) -> None:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("Agree and continue"), callback_data=ResearchConsentCb(c=case_id, t=token, ok=True)
    )
    builder.button(
        text=_("No, thanks"), callback_data=ResearchConsentCb(c=case_id, t=token, ok=False)
    )
    builder.adjust(2)
    await bot.send_message(
        actor.telegram_id,
        _(
            "<b>Before we start</b>\n\nThe answers are stored pseudonymously: without your "
            "name, username or MAX id, and are used only to improve the process. You "
            "can delete the link between you and your answers at any time with /forget."
        )
        if in_max(actor.telegram_id)
        else _(
            "<b>Before we start</b>\n\nThe answers are stored pseudonymously: without your "
            "name, username or Telegram id, and are used only to improve the process. You "
            "can delete the link between you and your answers at any time with /forget."
        ),
        reply_markup=builder.as_markup(),
    )


async def _start_research(
    query: CallbackQuery,
    case_id: int,
    token: str,
    bot: Bot,
    uow: UnitOfWork,
    actor: Actor,
    clock: Clock,
    policy: SurveyPolicy,
    *,
    consent_given: bool,
) -> None:
    """Start the research questionnaire the person was invited to (performer or client).

    The token of the invitation must have been sent to this very chat: anyone else, or a
    guessed token, is refused before anything is stored.
    """
    async with uow.transaction() as session:
        case = await case_ref(session, case_id)
        running = case is not None and case.is_open and await research_open(session, case_id)
        code = await invited_to(session, case_id, token, actor.telegram_id)
        if running and code is not None and consent_given:
            await surveys.give_consent(session, actor.key, clock())
        respondent = await profiles.get_respondent(session, actor.key)
        consented = respondent is not None and respondent.consent_at is not None
    if case is None or not running:
        await query.answer(_("This survey is already closed. Thank you!"), show_alert=True)
        return
    if code is None:
        await query.answer(
            _(
                "This survey is for the people invited to it. If you received an invitation, "
                "please use the button under it."
            ),
            show_alert=True,
        )
        return
    await query.answer()
    if not consented:
        await _ask_consent(bot, actor, case_id, token)
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
        query, callback_data.c, callback_data.t, bot, uow, actor, clock, policy, consent_given=False
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
        if (message := message_of(query)) is not None:
            with suppress(TelegramBadRequest):
                await message.edit_text(_("Understood. Nothing has been saved. Thank you!"))
        return
    await _start_research(
        query, callback_data.c, callback_data.t, bot, uow, actor, clock, policy, consent_given=True
    )
