"""Telegram UI, one router per audience, included in one deliberate order."""

from __future__ import annotations

from functools import cache

from aiogram import F, Router

from bot.filters import IsOfficer, inline
from handlers import (
    campaigns,
    cases,
    common,
    employee,
    errors,
    fallback,
    feedback,
    finder,
    officer,
    owner,
    respondent,
)


@cache
def build_root_router() -> Router:
    """Built once per process: aiogram routers are module singletons with decorators."""
    root = Router(name="otklik")
    # Private chats only: the bot is a one-to-one conversation; groups and channels are ignored.
    root.message.filter(inline(F.chat.type == "private"))
    root.callback_query.filter(inline(F.message.chat.type == "private"))
    officer.router.message.filter(IsOfficer())
    officer.router.callback_query.filter(IsOfficer())
    root.include_routers(
        errors.router,  # errors first: catches what any router below raises
        respondent.answers,  # consent, answers, opt-in: most updates, tried first
        employee.router,  # invite links before the generic /start <payload>
        officer.router,  # officer-only, filtered once at router level
        campaigns.router,  # «Пройти опрос» under campaign invitations
        feedback.router,  # closed loop: answers typed in a state win over survey text
        cases.router,  # /cases: owners' and officer's reengineering cases (checked per case)
        owner.router,  # /stats: owners see their processes, officers all (checked per object)
        common.router,  # /start, /help, /forget
        respondent.router,  # questionnaires started by a link, typed answers, search
        finder.router,  # finding a service without a QR code (area → service → touchpoint)
        fallback.router,  # last: anything nobody else took
    )
    return root
