"""The Bot API dispatch table: every implemented method, by case-insensitive name.

Each handler takes :class:`Params` and returns the ``result`` value (or raises
:class:`ApiError`), so the HTTP layer, webhook replies and tests share one code path.
"""

from __future__ import annotations

from typing import Any

from sandbox.errors import ApiError
from sandbox.telegram.bot_methods import BotMethods
from sandbox.telegram.methods import Described, Handler
from sandbox.telegram.params import Params
from sandbox.telegram.sandbox import Sandbox
from sandbox.telegram.send_methods import SendMethods
from sandbox.telegram.webhook import WebhookManager

__all__ = ["BotApi", "Described"]


class BotApi:
    """Dispatch table of implemented Bot API methods (names are case-insensitive)."""

    def __init__(self, sandbox: Sandbox, webhook: WebhookManager) -> None:
        self.sb = sandbox
        self.methods: dict[str, Handler] = {
            **BotMethods(sandbox, webhook).table(),
            **SendMethods(sandbox, webhook).table(),
        }

    async def call(self, method: str, params: Params) -> Any:
        """Run one method; raises ApiError exactly as the HTTP endpoint would answer."""
        handler = self.methods.get(method.lower())
        if handler is None:
            raise ApiError(404, "Not Found: method not found")
        return await handler(params)
