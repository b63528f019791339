"""The aiohttp server: Telegram's Bot API on ``/bot{token}/{method}`` plus ``/_sandbox``.

``SandboxServer`` *is* a :class:`sandbox.core.Sandbox`, so in-process tests call the
control methods directly on it while other processes use :class:`sandbox.client.SandboxClient`.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from sandbox.botapi import BotApi, Described
from sandbox.control import control_routes
from sandbox.core import JsonDict, Sandbox, SandboxConfig
from sandbox.errors import ApiError
from sandbox.limits import NON_JSON_KINDS, FaultRule
from sandbox.params import Params, read_params
from sandbox.webhook import WebhookManager


def dumps(value: Any) -> str:
    """Compact UTF-8 JSON, the way Telegram answers."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def api_response(body: JsonDict, status: int = 200) -> web.Response:
    return web.json_response(body, status=status, dumps=dumps)


class SandboxServer(Sandbox):
    """A local Telegram Bot API stand-in on 127.0.0.1 (``port=0`` picks a free port)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        config: SandboxConfig | None = None,
        **config_fields: Any,
    ) -> None:
        config = config or SandboxConfig()
        for key, value in config_fields.items():
            if not hasattr(config, key):
                raise TypeError(f"unknown SandboxConfig field {key!r}")
            setattr(config, key, value)
        super().__init__(config)
        self.host = host
        self.port = port
        self.api = BotApi(self)
        self.webhook = WebhookManager(self, self._execute)
        self._runner: web.AppRunner | None = None

    # ------------------------------------------------------------ lifecycle
    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` — pass to ``TelegramAPIServer.from_base``."""
        if self._runner is None:
            raise RuntimeError("SandboxServer is not started")
        return f"http://{self.host}:{self.port}"

    def make_app(self) -> web.Application:
        app = web.Application(client_max_size=self.config.max_upload_bytes + 1024 * 1024)
        app.add_routes(
            [
                web.route("*", "/bot{token}/{method}", self._handle_bot),
                web.get("/file/bot{token}/{path:.+}", self._handle_file),
                *control_routes(self),
            ]
        )
        return app

    async def start(self) -> None:
        """Bind and serve; afterwards ``base_url`` and ``port`` are valid."""
        if self._runner is not None:
            return
        self.closing = False
        self._closing_event = asyncio.Event()
        runner = web.AppRunner(
            self.make_app(), access_log=None, handle_signals=False, shutdown_timeout=1.0
        )
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self._runner = runner
        self.port = int(runner.addresses[0][1])

    async def stop(self) -> None:
        """Release long polls and held requests, stop webhook delivery, close the port."""
        if self._runner is None:
            return
        self.mark_closing()
        assert self.webhook is not None
        await self.webhook.close()
        runner, self._runner = self._runner, None
        await runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def run_forever(self) -> None:
        """Serve until SIGINT/SIGTERM (used by ``python -m sandbox``)."""
        await self.start()
        done = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, done.set)
            except (NotImplementedError, RuntimeError):  # pragma: no cover - non-POSIX
                pass
        print(f"Otklik sandbox listening on {self.base_url}", file=sys.stderr, flush=True)
        try:
            await done.wait()
        finally:
            await self.stop()

    # ------------------------------------------------------------- Bot API
    async def _execute(self, method: str, params: Params) -> Any:
        """Run a method outside HTTP (calls returned in webhook answers)."""
        self.calls[method.lower()] += 1
        try:
            result = await self.api.call(method, params)
        except ApiError as exc:
            self.errors[exc.error_code] += 1
            raise
        self.calls_ok[method.lower()] += 1
        return result

    async def _handle_bot(self, request: web.Request) -> web.StreamResponse:
        if not self.token_ok(request.match_info["token"]):
            return api_response(ApiError(401, "Unauthorized").payload(), 401)
        method = request.match_info["method"].lower()
        if method not in self.api.methods:
            return api_response(ApiError(404, "Not Found: method not found").payload(), 404)
        try:
            params = await read_params(request, self.config.max_upload_bytes)
        except ApiError as exc:
            return api_response(exc.payload(), exc.error_code)
        self.calls[method] += 1
        chat_ref = params.chat_id_raw()
        rule = self.faults.match(method, chat_ref if isinstance(chat_ref, int) else None)
        if rule is not None and not rule.deliver:
            return await self._fault(request, rule)
        status = 200
        try:
            result = await self.api.call(method, params)
        except ApiError as exc:
            self.errors[exc.error_code] += 1
            body, status = exc.payload(), exc.error_code
        else:
            self.calls_ok[method] += 1
            if isinstance(result, Described):
                body = {"ok": True, "result": result.result, "description": result.description}
            else:
                body = {"ok": True, "result": result}
        if rule is not None:
            return await self._fault(request, rule)
        return api_response(body, status)

    async def _fault(self, request: web.Request, rule: FaultRule) -> web.StreamResponse:
        """Answer an injected fault; timeouts hold the request, then drop the connection."""
        self.counters["faults_injected"] += 1
        self.faults_by_kind[rule.kind] += 1
        if rule.kind in ("timeout", "disconnect"):
            if rule.kind == "timeout":
                await self.sleep_unless_closing(rule.hold)
            if request.transport is not None:
                request.transport.close()
            return web.Response(status=504)  # never reaches the client
        if rule.kind in NON_JSON_KINDS:
            content_type, text = rule.body()
            return web.Response(status=rule.status, text=text, content_type=content_type)
        error = rule.error()
        return api_response(error.payload(), error.error_code)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if not self.token_ok(request.match_info["token"]):
            return api_response(ApiError(401, "Unauthorized").payload(), 401)
        stored = self.files.by_path.get(request.match_info["path"])
        if stored is None:
            return api_response(ApiError(404, "Not Found").payload(), 404)
        self.counters["file_downloads"] += 1
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream"
        )
