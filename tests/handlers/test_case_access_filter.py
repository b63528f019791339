"""Every case button but the list is guarded by the access filter, and the refusal comes last."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackQueryFilter

from handlers import cases
from handlers.callbacks import CaseCb, CaseOpenCb, ExtensionCb
from handlers.cases import denied
from handlers.cases.access import CaseAccess, OfficerAccess

UNGUARDED = {"back_to_list"}  # «« All cases» names no case (c=0); /cases checks the role


def _case_handlers() -> list[tuple[str, type, list[object]]]:
    found = []
    for router in cases.router.sub_routers:
        if router is denied.router:
            continue
        for handler in router.callback_query.handlers:
            filters = [f.callback for f in handler.filters or []]
            for event_filter in filters:
                if isinstance(event_filter, CallbackQueryFilter):
                    found.append((handler.callback.__name__, event_filter.callback_data, filters))
    return found


def test_every_case_button_is_checked_by_a_filter() -> None:
    handlers = _case_handlers()
    assert len(handlers) > 15
    unguarded = []
    for name, payload, filters in handlers:
        if payload is CaseCb:
            guard: type = CaseAccess
        elif payload in (CaseOpenCb, ExtensionCb):
            guard = OfficerAccess
        else:
            continue  # research invitations: checked against the invitation's token
        if name not in UNGUARDED and not any(isinstance(f, guard) for f in filters):
            unguarded.append(name)
    assert unguarded == []


def test_the_refusal_is_the_last_case_router() -> None:
    assert cases.router.sub_routers[-1] is denied.router
