"""The Telegram stand-in served: Bot API on ``/bot{token}/{method}`` plus ``/_sandbox``.

``SandboxServer`` *is* a :class:`sandbox.telegram.sandbox.Sandbox`, so in-process tests call
the control methods directly on it while other processes use
:class:`sandbox.client.SandboxClient`.  It hands its routes to a :class:`sandbox.http.HttpHost`.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from sandbox.control import AdminControl, WorldControl
from sandbox.errors import ApiError
from sandbox.http import HttpHost
from sandbox.state import SandboxConfig
from sandbox.telegram.botapi import BotApi
from sandbox.telegram.control import CommandsControl, WebhookControl
from sandbox.telegram.params import Params
from sandbox.telegram.routes import BotApiRoutes
from sandbox.telegram.sandbox import Sandbox
from sandbox.telegram.webhook import WebhookManager


class SandboxServer(Sandbox):
    """A local Telegram Bot API stand-in on 127.0.0.1 (``port=0`` picks a free port)."""

    webhook: WebhookManager

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
        self.http = HttpHost(host, port)
        self.webhook = WebhookManager(self, self._execute)
        self.api = BotApi(self, self.webhook)

    # ------------------------------------------------------------ lifecycle
    @property
    def host(self) -> str:
        return self.http.host

    @property
    def port(self) -> int:
        return self.http.port

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` — pass to ``TelegramAPIServer.from_base``."""
        return self.http.base_url

    def routes(self) -> list[web.RouteDef]:
        """Everything this server answers: the Bot API and the control API."""
        admin = AdminControl(self, self._health, self.stats)
        return [
            *BotApiRoutes(self, self.api, self.call_method).routes(),
            *admin.routes(),
            *WorldControl(self).routes(),
            *WebhookControl(self.webhook).routes(),
            *CommandsControl(self).routes(),
        ]

    def make_app(self) -> web.Application:
        app = web.Application(client_max_size=self.config.max_upload_bytes + 1024 * 1024)
        app.add_routes(self.routes())
        return app

    def _health(self) -> dict[str, Any]:
        return {"base_url": self.base_url, "bot": self.bot_user}

    async def start(self) -> None:
        """Bind and serve; afterwards ``base_url`` and ``port`` are valid."""
        if self.http.running:
            return
        self.open()
        await self.http.start(self.make_app())

    async def stop(self) -> None:
        """Release long polls and held requests, stop webhook delivery, close the port."""
        if not self.http.running:
            return
        self.mark_closing()
        await self.webhook.close()
        await self.http.stop()

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
    async def call_method(self, method: str, params: Params) -> Any:
        """Run one Bot API method, over HTTP or from a webhook answer (a subclass may watch)."""
        return await self.api.call(method, params)

    async def _execute(self, method: str, params: Params) -> Any:
        """Run a method outside HTTP (calls returned in webhook answers)."""
        self.calls[method.lower()] += 1
        try:
            result = await self.call_method(method, params)
        except ApiError as exc:
            self.errors[exc.error_code] += 1
            raise
        self.calls_ok[method.lower()] += 1
        return result
