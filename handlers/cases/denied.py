"""Last among the case routers: a case button the access filters stopped is refused here.

One answer whether the case is someone else's or does not exist, so ids reveal nothing.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery

from handlers.callbacks import CaseCb, CaseOpenCb, ExtensionCb
from handlers.cases.flow import denied_text, refuse

router = Router(name=__name__)


@router.callback_query(CaseCb.filter())
@router.callback_query(CaseOpenCb.filter())
@router.callback_query(ExtensionCb.filter())
async def case_denied(query: CallbackQuery) -> None:
    await refuse(query, denied_text())
