"""The Telegram stand-in's own part of the ``/_sandbox`` control API: its webhook, menus."""

from __future__ import annotations

import json
from typing import Protocol

from aiohttp import web

from sandbox.control import ok, routes_of
from sandbox.errors import bad_request
from sandbox.jsontypes import JsonDict
from sandbox.telegram.webhook import WebhookManager


class WebhookControl:
    """``GET /_sandbox/webhook``: what the bot set with setWebhook and how delivery goes."""

    def __init__(self, webhook: WebhookManager) -> None:
        self.webhook = webhook

    def routes(self) -> list[web.RouteDef]:
        return routes_of([("GET", "/webhook", self.webhook_info)])

    async def webhook_info(self, request: web.Request) -> web.StreamResponse:
        return ok(self.webhook.info())


class HasCommands(Protocol):
    commands: dict[tuple[str, str], list[JsonDict]]


class CommandsControl:
    """``GET /_sandbox/commands?chat_id=…&language_code=…``: the menu a private chat shows.

    Telegram's order of scopes for a private chat: the chat's own scope, then all private
    chats, then the default; each first with the person's language, then without.
    """

    def __init__(self, world: HasCommands) -> None:
        self.world = world  # read per request: a full reset replaces its commands

    def routes(self) -> list[web.RouteDef]:
        return routes_of([("GET", "/commands", self.chat_commands)])

    async def chat_commands(self, request: web.Request) -> web.StreamResponse:
        raw = request.query.get("chat_id", "")
        try:
            chat_id = int(raw)
        except ValueError:
            raise bad_request("chat_id: must be an integer") from None
        language = request.query.get("language_code", "")
        scopes: list[JsonDict] = [
            {"type": "chat", "chat_id": chat_id},
            {"type": "all_private_chats"},
            {"type": "default"},
        ]
        for scope in scopes:
            key = json.dumps(scope, sort_keys=True)
            for lang in dict.fromkeys((language, "")):
                found = self.world.commands.get((key, lang))
                if found:
                    return ok({"scope": scope["type"], "commands": found})
        return ok({"scope": "default", "commands": []})
