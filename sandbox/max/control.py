"""The MAX stand-in's own part of the ``/_sandbox`` control API: the files bots uploaded."""

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
