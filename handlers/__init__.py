"""Telegram UI, one router per audience, included in one deliberate order.

Each handler module declares its handlers on a module-level `router`, which is only a
declaration and is never attached: `build_root_router()` builds a fresh tree per
dispatcher from those declarations, so a second dispatcher in one process (tests, the
demo) needs no detaching of routers from the previous one.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.dispatcher.event.telegram import TelegramEventObserver

from handlers import (
    campaigns,
    cases,
    common,
    employee,
    errors,
    fallback,
    feedback,
    finder,
    inquiries,
    officer,
    owner,
    quiet,
    regulation,
    respondent,
)
from handlers.filters import InPrivateChat, IsOfficer


def _fresh(declared: Router) -> Router:
    """A new router with the handlers (and observer middlewares) declared on `declared`,
    and a fresh copy of each router it includes (a package of conversations, handlers.cases)."""
    router = Router(name=declared.name)
    for event_name, observer in declared.observers.items():
        target = router.observers[event_name]
        target.handlers.extend(observer.handlers)
        if isinstance(observer, TelegramEventObserver) and isinstance(
            target, TelegramEventObserver
        ):
            for middleware in observer.outer_middleware:
                target.outer_middleware(middleware)
            for middleware in observer.middleware:
                target.middleware(middleware)
    for included in declared.sub_routers:
        router.include_router(_fresh(included))
    return router


def build_root_router() -> Router:
    """A new router tree for one dispatcher, from the handler modules' declarations."""
    root = Router(name="otklik")
    # Private chats only: the bot is a one-to-one conversation; groups and channels are ignored.
    root.message.filter(InPrivateChat())
    root.callback_query.filter(InPrivateChat())
    officer_router = _fresh(officer.router)
    officer_router.include_router(_fresh(regulation.router))  # the organisation's regulation
    officer_router.message.filter(IsOfficer())
    officer_router.callback_query.filter(IsOfficer())
    root.include_routers(
        _fresh(respondent.answers),  # consent, answers, opt-in: most updates, tried first
        _fresh(employee.router),  # invite links before the generic /start <payload>
        officer_router,  # officer-only, filtered once at router level
        _fresh(campaigns.router),  # «Пройти опрос» under campaign invitations
        _fresh(feedback.router),  # closed loop: answers typed in a state win over survey text
        _fresh(inquiries.router),  # internal requests: texts typed in a state, owners' buttons
        _fresh(cases.router),  # /cases: owners' and officer's cases (checked per case)
        _fresh(owner.router),  # /stats: owners see their processes, officers all (per object)
        _fresh(quiet.router),  # /quiet: a member of staff's quiet hours
        _fresh(common.router),  # /start, /help, /forget
        _fresh(respondent.router),  # questionnaires started by a link, typed answers, search
        _fresh(finder.router),  # a service found without a QR code: area → service → place
        _fresh(fallback.router),  # anything nobody else took
        # aiogram hands a handler's exception to the whole tree as an error event, so this
        # router catches it wherever it stands; last, no message or button passes it by.
        _fresh(errors.router),
    )
    return root
