"""A tiny round-robin HTTP load balancer for the webhook replicas of `bench/crash.py`.

Each request goes to the next upstream in turn, with its method, path, query, body and the
headers that matter (content type, Telegram's secret-token header). When the chosen upstream
is down (connection refused or reset, or no answer within the timeout) the answer is 502, so
the sandbox's webhook delivery backs off and retries, as Telegram does; there is no failover
to another upstream and no health checking, on purpose: a crashed replica must cost retries.

    python bench/_balancer.py --listen 127.0.0.1:8443 http://127.0.0.1:9001 http://127.0.0.1:9002

Counters (requests, answers by status, upstream errors by upstream) are served as JSON on
``GET /_balancer``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import signal
from collections import Counter
from collections.abc import Sequence

import aiohttp
from aiohttp import web

FORWARDED = ("Content-Type", "X-Telegram-Bot-Api-Secret-Token")


class Balancer:
    """Round robin over `upstreams` (base URLs such as ``http://127.0.0.1:9001``)."""

    def __init__(self, upstreams: Sequence[str], *, timeout: float = 15.0) -> None:
        if not upstreams:
            raise ValueError("at least one upstream is needed")
        self.upstreams = [u.rstrip("/") for u in upstreams]
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._turn = itertools.cycle(range(len(self.upstreams)))
        self._session: aiohttp.ClientSession | None = None
        self.requests = 0
        self.statuses: Counter[int] = Counter()
        self.upstream_errors: Counter[str] = Counter()

    def counters(self) -> dict[str, object]:
        return {
            "requests": self.requests,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "upstream_errors": dict(self.upstream_errors),
        }

    async def forward(self, request: web.Request) -> web.Response:
        if request.path == "/_balancer" and request.method == "GET":
            return web.json_response(self.counters())
        self.requests += 1
        upstream = self.upstreams[next(self._turn)]
        if self._session is None:
            # No keep-alive: a killed upstream then fails the one request that reaches it,
            # never a stale pooled connection of the next request.
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0, force_close=True)
            )
        body = await request.read()
        headers = {name: request.headers[name] for name in FORWARDED if name in request.headers}
        try:
            async with self._session.request(
                request.method,
                upstream + request.path_qs,
                data=body,
                headers=headers,
                timeout=self.timeout,
            ) as answer:
                payload = await answer.read()
                status = answer.status
                content_type = answer.content_type
        except (aiohttp.ClientError, OSError, TimeoutError) as error:
            self.upstream_errors[f"{upstream} {type(error).__name__}"] += 1
            self.statuses[502] += 1
            return web.Response(status=502, text=f"upstream {upstream} unavailable")
        self.statuses[status] += 1
        return web.Response(status=status, body=payload, content_type=content_type)

    def app(self) -> web.Application:
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self.forward)
        app.on_cleanup.append(self._close)
        return app

    async def _close(self, _app: web.Application) -> None:
        if self._session is not None:
            await self._session.close()


async def serve(listen: str, upstreams: Sequence[str]) -> None:
    host, _, port = listen.rpartition(":")
    balancer = Balancer(upstreams)
    runner = web.AppRunner(balancer.app(), access_log=None, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, host or "127.0.0.1", int(port)).start()
    print(f"balancer on {listen} → {', '.join(upstreams)}", flush=True)
    done = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(number, done.set)
    try:
        await done.wait()
    finally:
        print(json.dumps(balancer.counters()), flush=True)
        await runner.cleanup()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", required=True, help="HOST:PORT to accept requests on")
    parser.add_argument("upstreams", nargs="+", help="base URLs, e.g. http://127.0.0.1:9001")
    args = parser.parse_args(argv)
    asyncio.run(serve(args.listen, args.upstreams))


if __name__ == "__main__":
    main()
