"""The Telegram stand-in's own part of the ``/_sandbox`` control API: its webhook."""

from __future__ import annotations

from aiohttp import web

from sandbox.control import ok, routes_of
from sandbox.telegram.webhook import WebhookManager


class WebhookControl:
    """``GET /_sandbox/webhook``: what the bot set with setWebhook and how delivery goes."""

    def __init__(self, webhook: WebhookManager) -> None:
        self.webhook = webhook

    def routes(self) -> list[web.RouteDef]:
        return routes_of([("GET", "/webhook", self.webhook_info)])

    async def webhook_info(self, request: web.Request) -> web.StreamResponse:
        return ok(self.webhook.info())
