"""HTTP control API under ``/_sandbox``: the same operations as the in-process methods.

Bodies and answers are JSON; answers use the Bot API envelope ``{"ok": true, "result": ...}``
and failures ``{"ok": false, "error": "..."}`` with a 4xx status.  Bodies of POST endpoints
are passed as keyword arguments to the method of the same name on ``Sandbox``.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from sandbox.errors import ControlError

if TYPE_CHECKING:
    from sandbox.server import SandboxServer

Route = Callable[[web.Request], Awaitable[web.StreamResponse]]
MAX_WAIT = 60.0


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result}, dumps=_dumps)


def _fail(message: str, status: int) -> web.Response:
    return web.json_response({"ok": False, "error": message}, status=status, dumps=_dumps)


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except ValueError:
        raise ControlError("body must be JSON") from None
    if not isinstance(body, dict):
        raise ControlError("body must be a JSON object")
    return body


def _flag(request: web.Request, name: str) -> bool:
    return request.query.get(name, "").lower() in ("1", "true", "yes")


def _num(request: web.Request, name: str, default: float) -> float:
    raw = request.query.get(name)
    return float(raw) if raw not in (None, "") else default


def _guard(handler: Route) -> Route:
    """Map ControlError and bad arguments to JSON 4xx answers."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except ControlError as exc:
            return _fail(exc.message, exc.status)
        except TimeoutError as exc:
            return _fail(str(exc) or "timeout", 408)
        except (TypeError, ValueError, KeyError) as exc:
            return _fail(f"{exc.__class__.__name__}: {exc}", 400)

    return wrapped


def control_routes(sb: SandboxServer) -> list[web.RouteDef]:
    """Build the ``/_sandbox`` routes bound to one server."""

    def chat_id(request: web.Request) -> int:
        return int(request.match_info["chat_id"])

    async def health(request: web.Request) -> web.StreamResponse:
        return _ok({"base_url": sb.base_url, "bot": sb.bot_user})

    async def get_config(request: web.Request) -> web.StreamResponse:
        return _ok(sb.get_config())

    async def patch_config(request: web.Request) -> web.StreamResponse:
        return _ok(sb.update_config(**await _body(request)))

    async def get_rate_limits(request: web.Request) -> web.StreamResponse:
        return _ok(sb.get_rate_limits())

    async def set_rate_limits(request: web.Request) -> web.StreamResponse:
        return _ok(sb.set_rate_limits(**await _body(request)))

    async def list_faults(request: web.Request) -> web.StreamResponse:
        return _ok(sb.list_faults())

    async def add_fault(request: web.Request) -> web.StreamResponse:
        return _ok(sb.add_fault(**await _body(request)))

    async def clear_faults(request: web.Request) -> web.StreamResponse:
        sb.clear_faults()
        return _ok(True)

    async def remove_fault(request: web.Request) -> web.StreamResponse:
        return _ok(sb.remove_fault(int(request.match_info["fault_id"])))

    async def reset(request: web.Request) -> web.StreamResponse:
        sb.reset(**await _body(request))
        return _ok(True)

    async def stats(request: web.Request) -> web.StreamResponse:
        return _ok(sb.stats())

    async def register_user(request: web.Request) -> web.StreamResponse:
        return _ok(sb.register_user(**await _body(request)))

    async def block_user(request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        sb.block_user(int(request.match_info["user_id"]), **body)
        return _ok(True)

    async def list_chats(request: web.Request) -> web.StreamResponse:
        return _ok(sb.list_chats())

    async def create_chat(request: web.Request) -> web.StreamResponse:
        return _ok(sb.create_chat(**await _body(request)))

    async def get_chat(request: web.Request) -> web.StreamResponse:
        since = int(_num(request, "since_message_id", 0))
        return _ok(sb.chat(chat_id(request), since_message_id=since))

    async def messages(request: web.Request) -> web.StreamResponse:
        return _ok(
            sb.messages(
                chat_id(request),
                include_deleted=_flag(request, "include_deleted"),
                include_user=_flag(request, "include_user"),
                since_message_id=int(_num(request, "since_message_id", 0)),
            )
        )

    async def last(request: web.Request) -> web.StreamResponse:
        return _ok(sb.last_message(chat_id(request)))

    async def button(request: web.Request) -> web.StreamResponse:
        message_id = request.query.get("message_id")
        return _ok(
            sb.find_button(
                chat_id(request),
                request.query["text"],
                message_id=int(message_id) if message_id else None,
                callback_only=_flag(request, "callback_only"),
            )
        )

    async def wait(request: web.Request) -> web.StreamResponse:
        cid = chat_id(request)
        after = int(_num(request, "after_version", -1))
        timeout = min(MAX_WAIT, _num(request, "timeout", 10.0))
        version = await sb.wait_version(cid, after, timeout)
        since = int(_num(request, "since_message_id", 0))
        snapshot = sb.chat(cid, since_message_id=since)
        found = snapshot.pop("messages") if snapshot is not None else []
        return _ok(
            {"version": version, "changed": version > after, "messages": found, "chat": snapshot}
        )

    async def inject_message(request: web.Request) -> web.StreamResponse:
        return _ok(sb.inject_message(**await _body(request)))

    async def inject_edited(request: web.Request) -> web.StreamResponse:
        return _ok(sb.inject_edited_message(**await _body(request)))

    async def inject_callback(request: web.Request) -> web.StreamResponse:
        return _ok(sb.inject_callback(**await _body(request)))

    async def press(request: web.Request) -> web.StreamResponse:
        return _ok(sb.press_button(**await _body(request)))

    async def inject_update(request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        return _ok(sb.inject_update(body.get("update", body)))

    async def pending(request: web.Request) -> web.StreamResponse:
        return _ok(sb.pending_updates())

    async def callbacks(request: web.Request) -> web.StreamResponse:
        return _ok(sb.callback_answers())

    async def callback(request: web.Request) -> web.StreamResponse:
        return _ok(sb.callback_answer(request.match_info["query_id"]))

    async def callback_wait(request: web.Request) -> web.StreamResponse:
        timeout = min(MAX_WAIT, _num(request, "timeout", 10.0))
        return _ok(await sb.wait_for_callback_answer(request.match_info["query_id"], timeout))

    async def webhook(request: web.Request) -> web.StreamResponse:
        assert sb.webhook is not None
        return _ok(sb.webhook.info())

    p = "/_sandbox"
    table: list[tuple[str, str, Route]] = [
        ("GET", f"{p}/health", health),
        ("GET", f"{p}/config", get_config),
        ("PATCH", f"{p}/config", patch_config),
        ("POST", f"{p}/config", patch_config),
        ("GET", f"{p}/rate_limits", get_rate_limits),
        ("POST", f"{p}/rate_limits", set_rate_limits),
        ("GET", f"{p}/faults", list_faults),
        ("POST", f"{p}/faults", add_fault),
        ("DELETE", f"{p}/faults", clear_faults),
        ("DELETE", f"{p}/faults/{{fault_id}}", remove_fault),
        ("POST", f"{p}/reset", reset),
        ("GET", f"{p}/stats", stats),
        ("POST", f"{p}/users", register_user),
        ("POST", f"{p}/users/{{user_id}}/block", block_user),
        ("GET", f"{p}/chats", list_chats),
        ("POST", f"{p}/chats", create_chat),
        ("GET", f"{p}/chats/{{chat_id}}", get_chat),
        ("GET", f"{p}/chats/{{chat_id}}/messages", messages),
        ("GET", f"{p}/chats/{{chat_id}}/last", last),
        ("GET", f"{p}/chats/{{chat_id}}/button", button),
        ("GET", f"{p}/chats/{{chat_id}}/wait", wait),
        ("POST", f"{p}/messages", inject_message),
        ("POST", f"{p}/edited_messages", inject_edited),
        ("POST", f"{p}/callbacks", inject_callback),
        ("POST", f"{p}/press", press),
        ("POST", f"{p}/updates", inject_update),
        ("GET", f"{p}/updates", pending),
        ("GET", f"{p}/callbacks", callbacks),
        ("GET", f"{p}/callbacks/{{query_id}}", callback),
        ("GET", f"{p}/callbacks/{{query_id}}/wait", callback_wait),
        ("GET", f"{p}/webhook", webhook),
    ]
    return [web.route(method, path, _guard(handler)) for method, path, handler in table]
