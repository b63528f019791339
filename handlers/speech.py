"""The Telegram rendering of `core.speech`: an action becomes an inline button.

Each intent's callback format is its `CallbackData` class in `handlers.callbacks`, whose
filter parses what is packed here; nothing else writes callback data for these buttons.
"""

from __future__ import annotations

from collections.abc import Callable

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from core.speech import Action, Actions, Intent
from handlers.callbacks import (
    AlertCb,
    CampaignCb,
    CaseCb,
    RegistryCb,
    RelayCb,
    RequestCb,
    ResearchCb,
    SignCb,
)

CALLBACKS: dict[Intent, Callable[..., CallbackData]] = {
    Intent.ALERT_REPLY: lambda alert: AlertCb(a=alert, x="reply"),
    Intent.ALERT_ACK: lambda alert: AlertCb(a=alert, x="ack"),
    Intent.FEEDBACK_REPLY: lambda alert: RelayCb(a=alert),
    Intent.CAMPAIGN_TAKE: lambda campaign: CampaignCb(c=campaign),
    Intent.RESEARCH_TAKE: lambda case, token: ResearchCb(c=case, t=token),
    Intent.CASE_OPEN: lambda case: CaseCb(c=case),
    Intent.REQUEST_ANSWER: lambda request: RequestCb(r=request, x="answer"),
    Intent.REQUEST_DONE: lambda request: RequestCb(r=request, x="done"),
    Intent.REQUEST_REFUSE: lambda request: RequestCb(r=request, x="refuse"),
    Intent.REGISTRY_PUBLISHED: lambda change: RegistryCb(c=change),
    Intent.SIGNATURE_SIGN: lambda signature: SignCb(g=signature, ok=True),
    Intent.SIGNATURE_RETURN: lambda signature: SignCb(g=signature, ok=False),
}


def callback_data(action: Action) -> str:
    """The packed callback of an action (at most 64 bytes, or `pack` raises)."""
    return CALLBACKS[action.intent](*action.ids).pack()


def button(action: Action) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=action.label, callback_data=callback_data(action))


def inline_keyboard(actions: Actions) -> InlineKeyboardMarkup | None:
    """The inline keyboard of the actions, or None when none are offered."""
    if not actions:
        return None
    return InlineKeyboardMarkup(inline_keyboard=[[button(a) for a in row] for row in actions])
