"""Who may touch a case: its owner (the process owner, or the one an instruction named for
this case, seed 003 §1.4), the officer every case.

Buttons are checked by a filter that loads the case the callback data names and injects it
into the handler as ``case`` (aiogram's context-addition-from-filter pattern); a press it
stops reaches ``handlers.cases.denied``. Typed answers name their case in the FSM data and
open it with ``case_session``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiogram.filters import Filter
from aiogram.types import CallbackQuery, TelegramObject
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.callbacks import CaseCb
from reengineering.case_queries import CaseRef, case_ref
from storage.database import read_only_of
from storage.uow import UnitOfWork
from surveys.actors import Actor


class Denied(Exception):
    """The viewer may not see this case (or it does not exist): one answer for both."""


def may_see(actor: Actor | None, case: CaseRef) -> bool:
    if actor is None or actor.person_id is None:
        return False
    if actor.is_officer:
        return True
    if case.owner_id is not None:  # given to another owner for this case only
        return case.owner_id == actor.person_id
    return case.process_id in actor.owned_process_ids


class CaseAccess(Filter):
    """Passes a case button only for a viewer who may see its case, injecting it as ``case``."""

    async def __call__(
        self,
        query: CallbackQuery,
        callback_data: CaseCb,
        uow: UnitOfWork,
        actor: Actor | None = None,
    ) -> dict[str, Any] | bool:
        async with read_only_of(uow.pool)() as session:
            case = await case_ref(session, callback_data.c)
        if case is None or not may_see(actor, case):
            return False
        return {"case": case}


def case_access() -> CaseAccess:
    return CaseAccess()


@asynccontextmanager
async def case_session(uow: UnitOfWork, actor: Actor, case_id: int) -> AsyncIterator[AsyncSession]:
    """A transaction on a case the viewer may see; Denied otherwise (before anything runs)."""
    async with uow.transaction() as session:
        case: CaseRef | None = await case_ref(session, case_id)
        if case is None or not may_see(actor, case):
            raise Denied(case_id)
        yield session


class OfficerAccess(Filter):
    """Passes only for the officer with a person record (who decides and opens cases)."""

    async def __call__(self, event: TelegramObject, actor: Actor | None = None) -> bool:
        return actor is not None and actor.is_officer and actor.person_id is not None


def officer_access() -> OfficerAccess:
    return OfficerAccess()
