"""Process owners and officers: /stats with indexes, charts, pains, comments and reports.

An owner sees only their own processes, even with crafted callback data; an officer sees all.
"""

from __future__ import annotations

import asyncio
import importlib
import io
from contextlib import suppress
from datetime import date
from html import escape
from types import ModuleType

import sqlalchemy as sa
from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.render import OUT, render
from analytics.report_kinds import REPORT_KINDS
from analytics.scan import rules_from
from analytics.summary import ProcessSummary, summarize_processes
from analytics.wording import collection_labels, collection_order
from core.clock import Clock
from core.heap import settle_heap
from core.periods import last_complete_month
from core.settings import Settings
from handlers.callbacks import PageCb, ReportCb, StatsCb
from handlers.keyboards import ListEntry, paged_list
from handlers.stats_lines import in_time_text, month_name, months_name, scope_text
from registry.links import deep_link, max_link
from storage.models import Process
from storage.recipients import unreachable_people
from storage.uow import UnitOfWork
from surveys.actors import Actor
from surveys.questionnaire import load_builtin_questionnaires
from surveys.unreachable import WELCOME_PAYLOAD, report

router = Router(name=__name__)

REPORTS = {"pain-map": "p", "segments": "s", "dynamics": "d", "internal": "i"}


def _problem_labels() -> dict[str, str]:
    labels: dict[str, str] = {}
    for definition in load_builtin_questionnaires():
        for question in definition.questions:
            labels.update({o.id: o.ru for o in question.options})
    return labels


def _may_see(actor: Actor, process_id: int) -> bool:
    return actor.is_officer or process_id in actor.owned_process_ids


def _number(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}".replace(".", ",")


def collection_split(
    collected: dict[str, int], *, internal: bool = False, min_cell: int = 1
) -> str:
    """«Telegram 12 · MAX 3 · Веб-форма 5», or "" when one channel (or none) has answers.

    An internal process's split is left out when a channel has fewer than ``min_cell``
    answers: a small team's channel could point to a person (report_common's guard).
    """
    shown = {via: n for via, n in collected.items() if n}
    if len(shown) < 2 or (internal and min(shown.values()) < min_cell):
        return ""
    labels = collection_labels(_)
    parts = [f"{labels.get(via, via)} {shown[via]}" for via in sorted(shown, key=collection_order)]
    return escape(" · ".join(parts))


def summary_text(summary: ProcessSummary, min_cell: int = 1) -> str:
    csat = summary.last_csat
    lines = [
        f"<b>{escape(summary.name)}</b> ({escape(summary.code)})",
        _("Figures for {month}").format(month=month_name(summary.month)),
        _("Mean score: {mean} · CSAT: {csat} · responses: {n}").format(
            mean=_number(summary.last_mean),
            csat="—" if csat is None else f"{csat:.0%}",
            n=summary.last_n,
        ),
    ]
    split = collection_split(summary.collected, internal=summary.internal, min_cell=min_cell)
    if split:
        lines.append(_("Responses by collection channel: {split}").format(split=split))
    if summary.verdict is not None:
        lines.append(escape(summary.verdict.reason))
    if summary.top_problems:
        labels = _problem_labels()
        pains = ", ".join(f"{labels.get(k, k)} ({n})" for k, n in summary.top_problems)
        lines.append(
            _("Top pains for {period}: {pains}").format(
                period=months_name(summary.pains_since, summary.month), pains=escape(pains)
            )
        )
    for comment in summary.comments:
        lines.append(f"💬 <i>{escape(comment[:200])}</i>")
    return "\n".join(lines)


async def _load(module: str) -> ModuleType:
    """Import a heavy module (matplotlib, pandas) on a worker thread: a first import takes
    seconds, and on the loop every chat would wait for it."""
    loaded = await asyncio.to_thread(importlib.import_module, module)
    settle_heap()  # its objects live as long as the process: out of every full collection
    return loaded


async def _scope(uow: UnitOfWork, actor: Actor) -> list[int]:
    async with uow.reading() as session:
        query = sa.select(Process.id).where(Process.active)
        if not actor.is_officer:
            query = query.where(Process.id.in_(actor.owned_process_ids))
        return list((await session.scalars(query)).all())


@router.message(Command("stats"))
async def stats(
    message: Message, uow: UnitOfWork, actor: Actor, settings: Settings, clock: Clock, bot: Bot
) -> None:
    if not (actor.is_officer or actor.is_owner):
        await message.answer(
            _("Statistics are available to process owners and the client-centricity officer.")
        )
        return
    month = last_complete_month(clock().astimezone(settings.tz).date())
    process_ids = await _scope(uow, actor)
    summaries = await uow.report(
        lambda session: summarize_processes(
            session,
            process_ids,
            _,
            month=month,
            rules=rules_from(settings),
            details=not actor.is_officer,
        )
    )
    await message.answer(scope_text(actor, summaries, month))
    if not summaries:
        await message.answer(_("No processes to show yet."))
    elif actor.is_officer:
        await _officer_overview(message, summaries, month)
    if actor.is_officer:
        if summaries:
            await message.answer(await in_time_text(uow, process_ids, month, settings, clock))
        await _unreachable(message, uow, bot, settings)  # launch day: most owners, before data
        return
    if not summaries:
        return
    for summary in summaries:
        await _send_process(message, summary, settings)
    await message.answer(await in_time_text(uow, process_ids, month, settings, clock))


async def _unreachable(message: Message, uow: UnitOfWork, bot: Bot, settings: Settings) -> None:
    """Who the bot cannot reach yet, why, and the link to pass on (surveys.unreachable)."""
    async with uow.reading() as session:
        people = await unreachable_people(session)
    if people:
        me = await bot.me()
        link = deep_link(me.username, WELCOME_PAYLOAD) if me.username else None
        name = settings.max_bot_name
        in_max = max_link(name, WELCOME_PAYLOAD) if name else None
        await message.answer(report(people, link, _, html=True, max_link=in_max))


async def _officer_overview(message: Message, summaries: list[ProcessSummary], month: date) -> None:
    charts = await _load("analytics.chart_overview")  # matplotlib: loaded on demand
    rows = [
        charts.OverviewRow(
            s.name,
            s.last_mean,
            s.last_csat,
            s.last_n,
            s.detected or bool(s.verdict and s.verdict.triggered),
            s.internal,
        )
        for s in summaries
    ]
    buffer = io.BytesIO()
    await render(
        charts.overview_chart,
        rows,
        OUT,
        out=buffer,
        locale=get_i18n().current_locale,
        period=month_name(month),
    )
    await message.answer_photo(
        BufferedInputFile(buffer.getvalue(), "overview.png"),
        caption=_(
            "All processes for {month}, worst first; services for citizens and for employees "
            "are ranked apart. 🔻 — a sustained decline."
        ).format(month=month_name(month)),
    )
    text = _("Choose a process for details:")
    split = collection_split(_collected_total(summaries))
    if split:
        text = "\n".join(
            (
                _("Responses for {month} by collection channel: {split}").format(
                    month=month_name(month), split=split
                ),
                text,
            )
        )
    await message.answer(text, reply_markup=overview_keyboard(summaries, 0))


def overview_keyboard(summaries: list[ProcessSummary], page: int) -> InlineKeyboardMarkup:
    """Every process, a page at a time (#17.1: «/stats offers 20 of 23 processes with no
    paging … Every list pages»), then the dynamics report of all of them."""
    entries = [
        ListEntry(
            summary.name,
            StatsCb(p=summary.process_id),
            mark=(
                "🔻 " if summary.detected or (summary.verdict and summary.verdict.triggered) else ""
            )
            + f"{_number(summary.last_mean)} · ",
        )
        for summary in summaries
    ]
    reports = [
        InlineKeyboardButton(
            text=_("Dynamics of all processes (Excel)"), callback_data=ReportCb(k="d", p=0).pack()
        ),
        InlineKeyboardButton(  # seed 004 §14: the internal survey against the previous one
            text=_("Internal services against the previous survey (Excel)"),
            callback_data=ReportCb(k="i", p=0).pack(),
        ),
    ]
    return paged_list(entries, page, lambda target: PageCb(l="st", pg=target), after=reports)


@router.callback_query(PageCb.filter(F.l == "st"))
async def overview_page(
    query: CallbackQuery,
    callback_data: PageCb,
    uow: UnitOfWork,
    actor: Actor,
    settings: Settings,
    clock: Clock,
) -> None:
    """Another page of the officer's processes; the list is the officer's only."""
    if not actor.is_officer:
        await query.answer(_("You do not have access to this process."), show_alert=True)
        return
    await query.answer()
    month = last_complete_month(clock().astimezone(settings.tz).date())
    process_ids = await _scope(uow, actor)
    summaries = await uow.report(
        lambda session: summarize_processes(
            session, process_ids, _, month=month, rules=rules_from(settings), details=False
        )
    )
    if isinstance(query.message, Message):
        with suppress(TelegramBadRequest):  # the page shown already: «message is not modified»
            await query.message.edit_reply_markup(
                reply_markup=overview_keyboard(summaries, callback_data.pg)
            )


def _collected_total(summaries: list[ProcessSummary]) -> dict[str, int]:
    """The month's answers per collection channel over all processes (counts only)."""
    total: dict[str, int] = {}
    for summary in summaries:
        for via, n in summary.collected.items():
            total[via] = total.get(via, 0) + n
    return total


async def _send_process(message: Message, summary: ProcessSummary, settings: Settings) -> None:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Pain map (Excel)"), callback_data=ReportCb(k="p", p=summary.process_id))
    builder.button(
        text=_("Segment profile (Excel)"), callback_data=ReportCb(k="s", p=summary.process_id)
    )
    builder.adjust(1)
    if summary.series is not None:
        charts = await _load("analytics.chart_trend")
        buffer = io.BytesIO()
        await render(
            charts.trend_chart,
            summary.name,
            summary.series.points,
            summary.verdict,
            OUT,
            out=buffer,
            locale=get_i18n().current_locale,
            scale_max=summary.series.scale_max,
            min_responses=settings.decline_min_responses,  # small months drawn hollow
        )
        await message.answer_photo(BufferedInputFile(buffer.getvalue(), "trend.png"))
    text = summary_text(summary, settings.min_cell_respondents)
    await message.answer(text, reply_markup=builder.as_markup())


@router.callback_query(StatsCb.filter())
async def process_details(
    query: CallbackQuery,
    callback_data: StatsCb,
    uow: UnitOfWork,
    actor: Actor,
    settings: Settings,
    clock: Clock,
) -> None:
    if not _may_see(actor, callback_data.p):
        await query.answer(_("You do not have access to this process."), show_alert=True)
        return
    await query.answer()
    month = last_complete_month(clock().astimezone(settings.tz).date())
    summaries = await uow.report(
        lambda session: summarize_processes(
            session, [callback_data.p], _, month=month, rules=rules_from(settings)
        )
    )
    if summaries and isinstance(query.message, Message):
        await _send_process(query.message, summaries[0], settings)


@router.callback_query(ReportCb.filter())
async def send_report(
    query: CallbackQuery,
    callback_data: ReportCb,
    uow: UnitOfWork,
    actor: Actor,
    settings: Settings,
    clock: Clock,
) -> None:
    kind = {code: name for name, code in REPORTS.items()}.get(callback_data.k)
    allowed = kind is not None and (
        actor.is_officer if callback_data.p == 0 else _may_see(actor, callback_data.p)
    )
    if not allowed or kind is None:
        await query.answer(_("You do not have access to this process."), show_alert=True)
        return
    await query.answer(_("Preparing the report…"))
    month = last_complete_month(clock().astimezone(settings.tz).date())
    reports = await _load("bot.reports")  # pandas, openpyxl: loaded on demand
    buffer = io.BytesIO()

    async def build(session: AsyncSession) -> tuple[str | None, object]:
        process = await session.get(Process, callback_data.p) if callback_data.p else None
        code = process.code if process else None
        summary = await reports.build_report(
            session,
            kind,
            buffer,
            _,
            process_code=code,
            case_id=None,
            month=month,
            settings=settings,
        )
        return code, summary

    code, summary = await uow.report(build)
    if isinstance(query.message, Message):
        caption = _(REPORT_KINDS[kind])  # the names live with the reports (msgids)
        period = getattr(summary, "period", None)
        if period is not None:
            caption = _("{report} for {period}").format(
                report=caption, period=months_name(period[0], period[1])
            )
        await query.message.answer_document(
            BufferedInputFile(buffer.getvalue(), f"{kind}-{code or 'all'}-{month:%Y-%m}.xlsx"),
            caption=caption,
        )
