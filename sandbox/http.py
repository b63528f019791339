"""The aiohttp host of a sandbox: serves the routes it is given on 127.0.0.1.

It knows no messenger: the Telegram stand-in hands it its Bot API and control routes,
and a second stand-in hands it its own.
"""

from __future__ import annotations

from aiohttp import web

from sandbox.jsontypes import JsonDict, dumps


def json_response(body: JsonDict, status: int = 200) -> web.Response:
    """A compact UTF-8 JSON answer."""
    return web.json_response(body, status=status, dumps=dumps)


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
