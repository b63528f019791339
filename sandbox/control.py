"""HTTP control API under ``/_sandbox``: the same operations as the in-process methods.

Bodies and answers are JSON; answers use the Bot API envelope ``{"ok": true, "result": ...}``
and failures ``{"ok": false, "error": "..."}`` with a 4xx status.  Bodies of POST endpoints
are passed as keyword arguments to the method of the same name on the sandbox.  This module
holds the envelope and the routes every stand-in shares (config, limits, faults, reset,
stats); each messenger adds the routes of its world (``sandbox.telegram.control``).
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
