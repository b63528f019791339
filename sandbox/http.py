"""The aiohttp host of a sandbox: serves the routes it is given on 127.0.0.1.

It knows no messenger: the Telegram stand-in hands it its Bot API and control routes,
and a second stand-in hands it its own.
"""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from sandbox.errors import ApiError
from sandbox.faults import NON_JSON_KINDS, FaultRule
from sandbox.jsontypes import JsonDict, dumps
from sandbox.state import SandboxState


def json_response(body: JsonDict, status: int = 200) -> web.Response:
    """A compact UTF-8 JSON answer."""
    return web.json_response(body, status=status, dumps=dumps)


async def answer_fault(
    state: SandboxState,
    request: web.Request,
    rule: FaultRule,
    error_response: Callable[[ApiError], web.Response],
) -> web.StreamResponse:
    """Answer an injected fault the way the wire fails; the messenger shapes JSON errors.

    ``timeout`` holds the request, then drops the connection; ``disconnect`` drops it at
    once; HTML and plain-text kinds are what a proxy in front of the API answers.
    """
    state.counters["faults_injected"] += 1
    state.faults_by_kind[rule.kind] += 1
    if rule.kind in ("timeout", "disconnect"):
        if rule.kind == "timeout":
            await state.sleep_unless_closing(rule.hold)
        if request.transport is not None:
            request.transport.close()
        return web.Response(status=504)  # never reaches the client
    if rule.kind in NON_JSON_KINDS:
        content_type, text = rule.body()
        return web.Response(status=rule.status, text=text, content_type=content_type)
    return error_response(rule.error())


class HttpHost:
    """One aiohttp application on ``host:port`` (``port=0`` picks a free port)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None

    @property
    def running(self) -> bool:
        return self._runner is not None

    @property
    def base_url(self) -> str:
        if self._runner is None:
            raise RuntimeError("SandboxServer is not started")
        return f"http://{self.host}:{self.port}"

    async def start(self, app: web.Application) -> None:
        """Bind and serve ``app``; afterwards ``base_url`` and ``port`` are valid."""
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self._runner = runner
        self.port = int(runner.addresses[0][1])

    async def stop(self) -> None:
        """Close the port (the port number stays, so a restart binds it again)."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
