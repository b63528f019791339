"""Webhook intake: the update is in the inbox before Telegram gets its 200."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import Update
from aiohttp import web

from bot.intake import Inbox
from bot.patience import until_done
from core.i18n import Translator, translator
from core.settings import Settings, SettingsError

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# A real update nests a few levels (update → message → reply → entities); far more is an attack.
MAX_JSON_DEPTH = 64
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_BRACKET = re.compile(rb"[\[\]{}]")


def secret_matches(given: str, secret: str) -> bool:
    """Constant-time on bytes: a non-ASCII header is a wrong secret, not a TypeError (500)."""
    return hmac.compare_digest(
        given.encode("utf-8", "surrogateescape"), secret.encode("utf-8", "surrogateescape")
    )


def too_deep(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Nesting deeper than ``limit``, counted without recursion (json.loads would recurse)."""
    depth = 0
    for match in _JSON_BRACKET.finditer(_JSON_STRING.sub(b'""', body)):
        depth += 1 if match.group() in (b"[", b"{") else -1
        if depth > limit:
            return True
    return False


def parse_update_body(body: bytes) -> dict[str, Any] | None:
    """The JSON object of an update, or None for anything that cannot be one (answered 400)."""
    if too_deep(body):
        return None
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        return None
    return parsed if isinstance(parsed, dict) else None


def webhook_secret(settings: Settings) -> str:
    """OTKLIK_WEBHOOK_SECRET, or one derived from the secret key so every replica agrees."""
    if settings.webhook_secret:
        return settings.webhook_secret.get_secret_value()
    return hmac.new(settings.secret(), b"telegram-webhook", hashlib.sha256).hexdigest()


Route = Callable[[web.Application], None]  # another channel's webhook on the same server
Start = Callable[[], Awaitable[None]]  # what it does once the server listens


def webhook_app(
    inbox: Inbox | None, path: str, secret: str, routes: Sequence[Route] = ()
) -> web.Application:
    async def receive(request: web.Request) -> web.Response:
        assert inbox is not None
        given = request.headers.get(SECRET_HEADER, "")
        if not secret_matches(given, secret):
            return web.Response(status=401, text="bad secret token")
        payload = parse_update_body(await request.read())
        if payload is None:
            return web.Response(status=400, text="not an update")
        try:
            update = Update.model_validate(payload, context={"bot": inbox.bot})
        except ValueError:  # pydantic's ValidationError
            return web.Response(status=400, text="not an update")
        fresh = await inbox.store([update])  # a failure here answers 500: Telegram will retry
        inbox.handle_soon(update, fresh=bool(fresh))
        return web.Response(text="ok")

    async def health(_request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    if inbox is not None:
        app.router.add_post(path, receive)
    for route in routes:
        route(app)
    app.router.add_get("/healthz", health)
    return app


async def serve_webhook(
    inbox: Inbox | None,
    stop: asyncio.Event,
    *,
    url: str,
    listen: str,
    secret: str,
    max_connections: int,
    allowed_updates: list[str] | None,
    register: bool = True,
    _: Translator | None = None,
    routes: Sequence[Route] = (),
    starts: Sequence[Start] = (),
) -> None:
    """Serve until `stop`; register the webhook with Telegram (pending updates kept).

    `inbox` is Telegram's (None when only MAX runs); `routes` and `starts` add another
    channel's webhook to the same server (bot.max.webhook).
    """
    _ = _ or translator()
    path = urlsplit(url).path or "/"
    host, _colon, port = listen.rpartition(":")
    runner = web.AppRunner(webhook_app(inbox, path, secret, routes), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host or "127.0.0.1", int(port))
    try:
        await site.start()
    except OSError as error:  # most often another replica already listens there
        await runner.cleanup()
        raise SettingsError(
            _(
                "Cannot listen on {listen} for the webhook ({reason}): "
                "is the address taken by another process? Give another --listen."
            ).format(listen=listen, reason=error.strerror or error)
        ) from error
    log.info("webhook listening on %s, path %s", listen, path)
    try:
        for start in starts:
            await start()
        if inbox is not None:
            await inbox.recover()
        if inbox is not None and register:
            try:
                await until_done(
                    lambda: inbox.bot.set_webhook(
                        url,
                        secret_token=secret,
                        max_connections=max_connections,
                        drop_pending_updates=False,
                        allowed_updates=allowed_updates,
                    ),
                    what="setWebhook",
                    stop=stop,
                )
            except TelegramBadRequest as error:
                raise SettingsError(
                    _("Telegram did not accept the webhook address {url}: {reason}").format(
                        url=url, reason=error.message
                    )
                ) from error
        await stop.wait()
    finally:
        await runner.cleanup()
        if inbox is not None:
            await inbox.drain()
