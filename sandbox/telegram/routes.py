"""Telegram's Bot API over HTTP: ``/bot{token}/{method}`` and ``/file/bot{token}/{path}``.

Faults are injected here, at the wire: a rule may answer instead of the method, or after
it (``deliver``), or hold the request and drop the connection.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from sandbox.errors import ApiError
from sandbox.faults import FaultRule
from sandbox.http import answer_fault, json_response
from sandbox.jsontypes import JsonDict
from sandbox.telegram.botapi import BotApi, Described
from sandbox.telegram.params import Params, read_params
from sandbox.telegram.sandbox import Sandbox

Call = Callable[[str, Params], Awaitable[Any]]


class BotApiRoutes:
    """The HTTP face of one sandbox's :class:`BotApi`; ``call`` runs a method."""

    def __init__(self, sandbox: Sandbox, api: BotApi, call: Call | None = None) -> None:
        self.sb = sandbox
        self.api = api
        self.call = call or api.call

    def routes(self) -> list[web.RouteDef]:
        return [
            web.route("*", "/bot{token}/{method}", self.handle_bot),
            web.get("/file/bot{token}/{path:.+}", self.handle_file),
        ]

    async def handle_bot(self, request: web.Request) -> web.StreamResponse:
        sb = self.sb
        if not sb.token_ok(request.match_info["token"]):
            return json_response(ApiError(401, "Unauthorized").payload(), 401)
        method = request.match_info["method"].lower()
        if method not in self.api.methods:
            return json_response(ApiError(404, "Not Found: method not found").payload(), 404)
        try:
            params = await read_params(request, sb.config.max_upload_bytes)
        except ApiError as exc:
            return json_response(exc.payload(), exc.error_code)
        sb.calls[method] += 1
        chat_ref = params.chat_id_raw()
        rule = sb.faults.match(method, chat_ref if isinstance(chat_ref, int) else None)
        if rule is not None and not rule.deliver:
            return await self.fault(request, rule)
        status = 200
        body: JsonDict
        try:
            result = await self.call(method, params)
        except ApiError as exc:
            sb.errors[exc.error_code] += 1
            body, status = exc.payload(), exc.error_code
        else:
            sb.calls_ok[method] += 1
            if isinstance(result, Described):
                body = {"ok": True, "result": result.result, "description": result.description}
            else:
                body = {"ok": True, "result": result}
        if rule is not None:
            return await self.fault(request, rule)
        return json_response(body, status)

    async def fault(self, request: web.Request, rule: FaultRule) -> web.StreamResponse:
        """Answer an injected fault in Telegram's shape."""
        return await answer_fault(self.sb, request, rule, _error_response)

    async def handle_file(self, request: web.Request) -> web.StreamResponse:
        if not self.sb.token_ok(request.match_info["token"]):
            return json_response(ApiError(401, "Unauthorized").payload(), 401)
        stored = self.sb.files.by_path.get(request.match_info["path"])
        if stored is None:
            return json_response(ApiError(404, "Not Found").payload(), 404)
        self.sb.counters["file_downloads"] += 1
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream"
        )


def _error_response(error: ApiError) -> web.Response:
    return json_response(error.payload(), error.error_code)
