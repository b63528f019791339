"""The web channel's aiohttp application, and serving it beside the bot in `otklik run`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from aiohttp import web

from core.i18n import translator
from core.settings import Settings
from storage.database import SessionPool
from surveys.service import SurveyPolicy
from web import guard
from web.routes import CHANNEL, CONTEXT, WebContext, add_routes, rate_limited

log = logging.getLogger(__name__)
MAX_FORM_BYTES = 64 * 1024  # the longest answer is 1000 characters


def create_web_app(
    settings: Settings, pool: SessionPool, policy: SurveyPolicy, clock: Callable[[], datetime]
) -> web.Application:
    """The landing pages and the form; answers are stored as collected through the web."""
    app = web.Application(middlewares=[rate_limited], client_max_size=MAX_FORM_BYTES)
    app[CONTEXT] = WebContext(
        pool=pool,
        policy=replace(policy, collected_via=CHANNEL),
        clock=clock,
        signer=guard.Signer(settings.secret()),
        secret=settings.secret(),
        rate_limit=guard.RateLimit(settings.web_rate_per_minute, clock),
        _=translator(settings.locale),
        locale=settings.locale,
        max_bot_name=settings.max_bot_name,
        secure_cookies=(settings.public_url or "").startswith("https://"),
    )
    add_routes(app)
    return app


def split_listen(listen: str) -> tuple[str, int]:
    """`host:port` (an IPv6 host in brackets) as aiohttp's site wants it."""
    host, _colon, port = listen.rpartition(":")
    return host.strip("[]") or "127.0.0.1", int(port)


async def serve_web(app: web.Application, listen: str, stop: asyncio.Event) -> None:
    """Serve until `stop` is set; the reverse proxy in front of it terminates TLS."""
    runner = web.AppRunner(app, access_log=None)  # addresses are personal data: no access log
    await runner.setup()
    host, port = split_listen(listen)
    await web.TCPSite(runner, host, port).start()
    log.info("web form listening on %s", listen)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
