"""HTTP control API under ``/_sandbox``: the same operations as the in-process methods.

Bodies and answers are JSON; answers use the Bot API envelope ``{"ok": true, "result": ...}``
and failures ``{"ok": false, "error": "..."}`` with a 4xx status.  Bodies of POST endpoints
are passed as keyword arguments to the method of the same name on the sandbox.  This module
holds the envelope and the routes every stand-in shares: config, limits, faults, reset,
stats (:class:`AdminControl`) and users, chats, input, reads and waits
(:class:`WorldControl`); a messenger adds only what it alone has (Telegram's webhook,
MAX's uploaded files).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from sandbox.errors import ControlError
from sandbox.http import json_response
from sandbox.jsontypes import JsonDict
from sandbox.state import SandboxState

Route = Callable[[web.Request], Awaitable[web.StreamResponse]]
RouteTable = list[tuple[str, str, Route]]
PREFIX = "/_sandbox"
MAX_WAIT = 60.0


def ok(result: Any) -> web.Response:
    return json_response({"ok": True, "result": result})


def fail(message: str, status: int) -> web.Response:
    return json_response({"ok": False, "error": message}, status)


async def body_of(request: web.Request) -> dict[str, Any]:
    """The JSON object a control request carries ({} without a body)."""
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except ValueError:
        raise ControlError("body must be JSON") from None
    if not isinstance(body, dict):
        raise ControlError("body must be a JSON object")
    return body


def flag(request: web.Request, name: str) -> bool:
    return request.query.get(name, "").lower() in ("1", "true", "yes")


def number(request: web.Request, name: str, default: float) -> float:
    raw = request.query.get(name)
    return float(raw) if raw not in (None, "") else default


def wait_timeout(request: web.Request) -> float:
    """A long poll's ``timeout`` query parameter, capped at ``MAX_WAIT``."""
    return min(MAX_WAIT, number(request, "timeout", 10.0))


def guard(handler: Route) -> Route:
    """Map ControlError and bad arguments to JSON 4xx answers."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except ControlError as exc:
            return fail(exc.message, exc.status)
        except TimeoutError as exc:
            return fail(str(exc) or "timeout", 408)
        except (TypeError, ValueError, KeyError) as exc:
            return fail(f"{exc.__class__.__name__}: {exc}", 400)

    return wrapped


def routes_of(table: RouteTable) -> list[web.RouteDef]:
    """``(method, path under /_sandbox, handler)`` rows as guarded aiohttp routes."""
    return [web.route(method, PREFIX + path, guard(handler)) for method, path, handler in table]


class AdminControl:
    """Routes shared by every stand-in: health, config, rate limits, faults, reset, stats."""

    def __init__(
        self,
        state: SandboxState,
        health: Callable[[], JsonDict],
        stats: Callable[[], JsonDict],
    ) -> None:
        self.state = state
        self._health = health
        self._stats = stats

    def routes(self) -> list[web.RouteDef]:
        return routes_of(
            [
                ("GET", "/health", self.health),
                ("GET", "/config", self.get_config),
                ("PATCH", "/config", self.patch_config),
                ("POST", "/config", self.patch_config),
                ("GET", "/rate_limits", self.get_rate_limits),
                ("POST", "/rate_limits", self.set_rate_limits),
                ("GET", "/faults", self.list_faults),
                ("POST", "/faults", self.add_fault),
                ("DELETE", "/faults", self.clear_faults),
                ("DELETE", "/faults/{fault_id}", self.remove_fault),
                ("POST", "/reset", self.reset),
                ("GET", "/stats", self.stats),
            ]
        )

    async def health(self, request: web.Request) -> web.StreamResponse:
        return ok(self._health())

    async def get_config(self, request: web.Request) -> web.StreamResponse:
        return ok(self.state.get_config())

    async def patch_config(self, request: web.Request) -> web.StreamResponse:
        return ok(self.state.update_config(**await body_of(request)))

    async def get_rate_limits(self, request: web.Request) -> web.StreamResponse:
        return ok(self.state.get_rate_limits())

    async def set_rate_limits(self, request: web.Request) -> web.StreamResponse:
        return ok(self.state.set_rate_limits(**await body_of(request)))

    async def list_faults(self, request: web.Request) -> web.StreamResponse:
        return ok(self.state.list_faults())

    async def add_fault(self, request: web.Request) -> web.StreamResponse:
        return ok(self.state.add_fault(**await body_of(request)))

    async def clear_faults(self, request: web.Request) -> web.StreamResponse:
        self.state.clear_faults()
        return ok(True)

    async def remove_fault(self, request: web.Request) -> web.StreamResponse:
        return ok(self.state.remove_fault(int(request.match_info["fault_id"])))

    async def reset(self, request: web.Request) -> web.StreamResponse:
        self.state.reset(**await body_of(request))
        return ok(True)

    async def stats(self, request: web.Request) -> web.StreamResponse:
        return ok(self._stats())


def chat_id_of(request: web.Request) -> int:
    return int(request.match_info["chat_id"])


class WorldControl:
    """Control routes over one stand-in's world, the same for every messenger.

    ``world`` is a Telegram or MAX stand-in: both have the same methods (``inject_message``,
    ``inject_start``, ``press_button``, ``messages``, ``watch_chat`` ...) with the same
    arguments, which is what lets one end-to-end test drive either channel.
    """

    def __init__(self, world: Any) -> None:
        self.sb = world

    def routes(self) -> list[web.RouteDef]:
        return routes_of(
            [
                ("POST", "/users", self.register_user),
                ("POST", "/users/{user_id}/block", self.block_user),
                ("GET", "/chats", self.list_chats),
                ("POST", "/chats", self.create_chat),
                ("GET", "/chats/{chat_id}", self.get_chat),
                ("GET", "/chats/{chat_id}/messages", self.messages),
                ("GET", "/chats/{chat_id}/last", self.last),
                ("GET", "/chats/{chat_id}/button", self.button),
                ("GET", "/chats/{chat_id}/wait", self.wait),
                ("POST", "/messages", self.inject_message),
                ("POST", "/edited_messages", self.inject_edited),
                ("POST", "/callbacks", self.inject_callback),
                ("POST", "/press", self.press),
                ("POST", "/updates", self.inject_update),
                ("GET", "/updates", self.pending),
                ("GET", "/callbacks", self.callbacks),
                ("GET", "/callbacks/{query_id}", self.callback),
                ("GET", "/callbacks/{query_id}/wait", self.callback_wait),
                ("POST", "/start", self.inject_start),
                ("GET", "/users/{user_id}/chat", self.private_chat),
                ("GET", "/deep_link", self.deep_link),
            ]
        )

    # ---------------------------------------------------------- users/chats
    async def register_user(self, request: web.Request) -> web.StreamResponse:
        return ok(self.sb.register_user(**await body_of(request)))

    async def block_user(self, request: web.Request) -> web.StreamResponse:
        body = await body_of(request)
        self.sb.block_user(int(request.match_info["user_id"]), **body)
        return ok(True)

    async def list_chats(self, request: web.Request) -> web.StreamResponse:
        return ok(self.sb.list_chats())

    async def create_chat(self, request: web.Request) -> web.StreamResponse:
        return ok(self.sb.create_chat(**await body_of(request)))

    # ---------------------------------------------------------------- reads
    async def get_chat(self, request: web.Request) -> web.StreamResponse:
        since = int(number(request, "since_message_id", 0))
        return ok(self.sb.chat(chat_id_of(request), since_message_id=since))

    async def messages(self, request: web.Request) -> web.StreamResponse:
        return ok(
            self.sb.messages(
                chat_id_of(request),
                include_deleted=flag(request, "include_deleted"),
                include_user=flag(request, "include_user"),
                since_message_id=int(number(request, "since_message_id", 0)),
            )
        )

    async def last(self, request: web.Request) -> web.StreamResponse:
        return ok(self.sb.last_message(chat_id_of(request)))

    async def button(self, request: web.Request) -> web.StreamResponse:
        message_id = request.query.get("message_id")
        return ok(
            self.sb.find_button(
                chat_id_of(request),
                request.query["text"],
                message_id=int(message_id) if message_id else None,
                callback_only=flag(request, "callback_only"),
            )
        )

    async def wait(self, request: web.Request) -> web.StreamResponse:
        """The long poll behind ``SandboxClient.watch_chat``: ``Sandbox.watch_chat`` itself."""
        return ok(
            await self.sb.watch_chat(
                chat_id_of(request),
                int(number(request, "after_version", -1)),
                wait_timeout(request),
                since_message_id=int(number(request, "since_message_id", 0)),
            )
        )

    # ---------------------------------------------------------------- input
    async def inject_message(self, request: web.Request) -> web.StreamResponse:
        return ok(self.sb.inject_message(**await body_of(request)))

    async def inject_edited(self, request: web.Request) -> web.StreamResponse:
        return ok(self.sb.inject_edited_message(**await body_of(request)))

    async def inject_callback(self, request: web.Request) -> web.StreamResponse:
        return ok(self.sb.inject_callback(**await body_of(request)))

    async def press(self, request: web.Request) -> web.StreamResponse:
        return ok(self.sb.press_button(**await body_of(request)))

    async def inject_update(self, request: web.Request) -> web.StreamResponse:
        body = await body_of(request)
        return ok(self.sb.inject_update(body.get("update", body)))

    async def pending(self, request: web.Request) -> web.StreamResponse:
        return ok(self.sb.pending_updates())

    # ------------------------------------------------------------ callbacks
    async def callbacks(self, request: web.Request) -> web.StreamResponse:
        return ok(self.sb.callback_answers())

    async def callback(self, request: web.Request) -> web.StreamResponse:
        return ok(self.sb.callback_answer(request.match_info["query_id"]))

    async def callback_wait(self, request: web.Request) -> web.StreamResponse:
        query_id = request.match_info["query_id"]
        return ok(await self.sb.watch_callback(query_id, wait_timeout(request)))

    async def inject_start(self, request: web.Request) -> web.StreamResponse:
        return ok(self.sb.inject_start(**await body_of(request)))

    async def private_chat(self, request: web.Request) -> web.StreamResponse:
        return ok(self.sb.private_chat_id(int(request.match_info["user_id"])))

    async def deep_link(self, request: web.Request) -> web.StreamResponse:
        return ok(self.sb.deep_link(request.query.get("payload")))
