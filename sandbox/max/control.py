"""The MAX stand-in's own part of the ``/_sandbox`` control API: files bots uploaded, the menu."""

from __future__ import annotations

from aiohttp import web

from sandbox.control import ok, routes_of
from sandbox.max.sandbox import MaxSandbox


class FileControl:
    """``GET /_sandbox/files/{token}``: an uploaded file with its bytes (base64)."""

    def __init__(self, sandbox: MaxSandbox) -> None:
        self.sb = sandbox

    def routes(self) -> list[web.RouteDef]:
        return routes_of([("GET", "/files/{token}", self.file)])

    async def file(self, request: web.Request) -> web.StreamResponse:
        return ok(self.sb.file(request.match_info["token"]))


class CommandsControl:
    """``GET /_sandbox/commands``: the bot's one command list (every chat sees the same)."""

    def __init__(self, sandbox: MaxSandbox) -> None:
        self.sb = sandbox

    def routes(self) -> list[web.RouteDef]:
        return routes_of([("GET", "/commands", self.commands)])

    async def commands(self, request: web.Request) -> web.StreamResponse:
        return ok({"scope": "bot", "commands": list(self.sb.bot_commands)})
