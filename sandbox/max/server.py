"""The MAX stand-in served: the MAX Bot API at the root, its upload host, and ``/_sandbox``.

``MaxSandboxServer`` *is* a :class:`sandbox.max.sandbox.MaxSandbox`, so in-process tests call
the control methods on it, while other processes use :class:`sandbox.client.SandboxClient`,
the same client as for the Telegram stand-in.  Point maxapi at it with
``bot.set_api_url(server.base_url)``.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from sandbox.control import AdminControl, WorldControl
from sandbox.http import HttpHost
from sandbox.max.api import MaxApi
from sandbox.max.control import CommandsControl, FileControl
from sandbox.max.routes import MaxRoutes
from sandbox.max.sandbox import MaxSandbox
from sandbox.max.world import MaxConfig


class MaxSandboxServer(MaxSandbox):
    """A local MAX Bot API stand-in on 127.0.0.1 (``port=0`` picks a free port)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        config: MaxConfig | None = None,
        **config_fields: Any,
    ) -> None:
        config = config or MaxConfig()
        for key, value in config_fields.items():
            if not hasattr(config, key):
                raise TypeError(f"unknown MaxConfig field {key!r}")
            setattr(config, key, value)
        super().__init__(config)
        self.http = HttpHost(host, port)
        self.api = MaxApi(self)

    @property
    def host(self) -> str:
        return self.http.host

    @property
    def port(self) -> int:
        return self.http.port

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` — the API base URL (maxapi: ``bot.set_api_url``)."""
        return self.http.base_url

    def routes(self) -> list[web.RouteDef]:
        """The Bot API, the control API, then MAX-shaped 404s for every other path."""
        api = MaxRoutes(self, self.api)
        return [
            *api.routes(),
            *AdminControl(self, self._health, self.stats).routes(),
            *WorldControl(self).routes(),
            *FileControl(self).routes(),
            *CommandsControl(self).routes(),
            api.fallback(),
        ]

    def make_app(self) -> web.Application:
        app = web.Application(client_max_size=self.config.max_upload_bytes + 1024 * 1024)
        app.add_routes(self.routes())
        return app

    def _health(self) -> dict[str, Any]:
        return {"base_url": self.base_url, "bot": self.bot_user, "messenger": "max"}

    async def start(self) -> None:
        if self.http.running:
            return
        self.open()
        await self.http.start(self.make_app())
        self.files_base = self.base_url

    async def stop(self) -> None:
        """Release long polls and held requests, close the port."""
        if not self.http.running:
            return
        self.mark_closing()
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
        """Serve until SIGINT/SIGTERM (used by ``python -m sandbox --messenger max``)."""
        await self.start()
        done = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, done.set)
            except (NotImplementedError, RuntimeError):  # pragma: no cover - non-POSIX
                pass
        print(f"Otklik MAX sandbox listening on {self.base_url}", file=sys.stderr, flush=True)
        try:
            await done.wait()
        finally:
            await self.stop()
