"""Role filters applied once per router."""

from __future__ import annotations

from typing import Any

from aiogram.filters import Filter
from aiogram.types import TelegramObject


class IsOfficer(Filter):
    """Passes only for a client-centricity officer (data prepared by ActorMiddleware)."""

    async def __call__(self, event: TelegramObject, **data: Any) -> bool:
        actor = data.get("actor")
        return bool(actor is not None and actor.is_officer)
