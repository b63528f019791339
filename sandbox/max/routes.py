"""MAX's Bot API over HTTP: paths at the root (``/me``, ``/updates``, ``/messages`` ...).

The token comes in the ``Authorization`` header (what current clients send) or the
``access_token`` query parameter (what the schema still declares).  Every request counts
against MAX's 30 requests per second when limits are on, and faults are injected here, at
the wire, by operation name (``sendMessage``, ``getUpdates``, ``answerOnCallback`` ...).
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable

from aiohttp import BodyPartReader, web
from multidict import MultiDict

from sandbox.errors import ApiError
from sandbox.faults import FaultRule
from sandbox.http import answer_fault, json_response
from sandbox.max.api import Call, MaxApi
from sandbox.max.errors import MaxError, as_max, bad_request, not_found, unauthorized
from sandbox.max.sandbox import MaxSandbox

PATHS: dict[str, dict[str, str]] = {
    "/me": {"GET": "getMyInfo"},
    "/me/commands": {"PATCH": "setCommands"},
    "/updates": {"GET": "getUpdates"},
    "/messages": {
        "GET": "getMessages",
        "POST": "sendMessage",
        "PUT": "editMessage",
        "DELETE": "deleteMessage",
    },
    "/messages/{messageId}": {"GET": "getMessageById"},
    "/answers": {"POST": "answerOnCallback"},
    "/uploads": {"POST": "getUploadUrl"},
    "/chats": {"GET": "getChats"},
    "/chats/{chatId}": {"GET": "getChat"},
    "/chats/{chatId}/actions": {"POST": "sendAction"},
    "/subscriptions": {"GET": "getSubscriptions", "POST": "subscribe", "DELETE": "unsubscribe"},
}


def error_response(error: ApiError) -> web.Response:
    """Any error in MAX's ``{"code", "message"}`` shape, with its HTTP status."""
    shaped = as_max(error)
    return json_response(shaped.payload(), shaped.error_code)


class MaxRoutes:
    """The HTTP face of one MAX stand-in's :class:`MaxApi`, plus its upload host."""

    def __init__(self, sandbox: MaxSandbox, api: MaxApi) -> None:
        self.sb = sandbox
        self.api = api
        self.operations = api.table()

    def routes(self) -> list[web.RouteDef]:
        """Bot API paths, the upload host, and MAX-shaped 404s for anything else.

        The catch-all must come after the control API's routes (``MaxSandboxServer`` adds it
        last), so it only answers paths nobody serves.
        """
        table = [web.route("*", path, self.handler(methods)) for path, methods in PATHS.items()]
        return [
            *table,
            web.post("/_upload/{slot}", self.handle_upload),
            web.get("/_files/{token}", self.handle_file),
        ]

    def fallback(self) -> web.RouteDef:
        return web.route("*", "/{tail:.*}", self.unknown_path)

    async def unknown_path(self, request: web.Request) -> web.StreamResponse:
        return error_response(not_found(f"Path {request.path} is not recognized", "not.found"))

    def handler(
        self, methods: dict[str, str]
    ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handle(request: web.Request) -> web.StreamResponse:
            operation = methods.get(request.method)
            if operation is None:
                return error_response(
                    MaxError(405, "method.not.allowed", f"Method {request.method} is not allowed")
                )
            return await self.handle(request, operation)

        return handle

    def token_of(self, request: web.Request) -> str | None:
        header = request.headers.get("Authorization")
        if header:
            return header.removeprefix("Bearer ").strip()
        return request.query.get("access_token")

    async def handle(self, request: web.Request, operation: str) -> web.StreamResponse:
        sb = self.sb
        if not sb.token_ok(self.token_of(request)):
            return self.failed(unauthorized())
        key = operation.lower()
        sb.calls[key] += 1
        limited = sb.rate_limiter.check(None, time.monotonic())
        if limited is not None:
            sb.counters["rate_limited"] += 1
            return self.failed(limited)
        try:
            call = Call(
                query=MultiDict(request.query),
                body=await self.read_json(request),
                path=dict(request.match_info),
                base_url=str(request.url.origin()),
            )
        except MaxError as exc:
            return self.failed(exc)
        rule = sb.faults.match(key, self.chat_of(call))
        if rule is not None and not rule.deliver:
            return await self.fault(request, rule)
        try:
            result = await self.operations[key](call)
        except ApiError as exc:
            response = self.failed(exc)
        else:
            sb.calls_ok[key] += 1
            response = json_response(result)
        if rule is not None:
            return await self.fault(request, rule)
        return response

    def failed(self, error: ApiError) -> web.Response:
        self.sb.errors[error.error_code] += 1
        return error_response(error)

    async def fault(self, request: web.Request, rule: FaultRule) -> web.StreamResponse:
        return await answer_fault(self.sb, request, rule, error_response)

    async def read_json(self, request: web.Request) -> object:
        if request.method not in ("POST", "PUT", "PATCH") or not request.can_read_body:
            return None
        raw = await request.read()
        if not raw.strip():
            return None
        try:
            return json.loads(raw)
        except ValueError:
            raise bad_request("Invalid JSON body") from None

    def chat_of(self, call: Call) -> int | None:
        """The chat a call concerns, for faults aimed at one chat."""
        query = call.query
        try:
            if query.get("chat_id"):
                return int(query["chat_id"])
            if query.get("user_id"):
                return self.sb.private_chat_id(int(query["user_id"]))
        except ValueError:
            return None
        record = self.sb.find_mid(query.get("message_id", ""))
        if record is not None:
            return record.chat_id
        callback = self.sb.callbacks.get(query.get("callback_id", ""))
        return callback.chat_id if callback is not None else None

    # ------------------------------------------------------------ upload host
    async def handle_upload(self, request: web.Request) -> web.StreamResponse:
        """The upload URL: multipart field ``data`` (or the raw body, resumable style)."""
        filename: str | None = None
        ctype: str | None = None
        if request.content_type.startswith("multipart/"):
            data = b""
            reader = await request.multipart()
            async for part in reader:
                if isinstance(part, BodyPartReader) and part.name == "data":
                    filename = part.filename
                    ctype = part.headers.get("Content-Type")
                    data = await part.read()
                    break
            else:
                return error_response(bad_request("multipart field 'data' is missing"))
        else:
            data = await request.read()
            disposition = request.headers.get("Content-Disposition", "")
            if "filename=" in disposition:
                filename = disposition.split("filename=", 1)[1].strip('"; ')
            ctype = request.content_type
        self.sb.calls["upload"] += 1
        rule = self.sb.faults.match("upload", None)
        if rule is not None and not rule.deliver:
            return await self.fault(request, rule)
        try:
            result = self.api.receive_upload(request.match_info["slot"], data, filename, ctype)
        except ApiError as exc:
            return self.failed(exc)
        self.sb.calls_ok["upload"] += 1
        if rule is not None:
            return await self.fault(request, rule)
        return json_response(result)

    async def handle_file(self, request: web.Request) -> web.StreamResponse:
        stored = self.sb.uploads.get(request.match_info["token"])
        if stored is None or not stored.uploaded:
            return error_response(not_found("File not found"))
        self.sb.counters["file_downloads"] += 1
        return web.Response(
            body=stored.data, content_type=stored.content_type or "application/octet-stream"
        )
