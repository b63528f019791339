"""Webhook intake: the update is in the inbox before Telegram gets its 200."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from urllib.parse import urlsplit

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import Update
from aiohttp import web

from bot.config import Settings, SettingsError
from bot.intake import Inbox
from bot.patience import until_done

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def webhook_secret(settings: Settings) -> str:
    """OTKLIK_WEBHOOK_SECRET, or one derived from the secret key so every replica agrees."""
    if settings.webhook_secret:
        return settings.webhook_secret.get_secret_value()
    return hmac.new(settings.secret(), b"telegram-webhook", hashlib.sha256).hexdigest()


def webhook_app(inbox: Inbox, path: str, secret: str) -> web.Application:
    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given, secret):
            return web.Response(status=401, text="bad secret token")
        try:
            update = Update.model_validate(await request.json(), context={"bot": inbox.bot})
        except (json.JSONDecodeError, ValueError):
            return web.Response(status=400, text="not an update")
        fresh = await inbox.store([update])  # a failure here answers 500: Telegram will retry
        inbox.handle_soon(update, fresh=bool(fresh))
        return web.Response(text="ok")

    async def health(_request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post(path, receive)
    app.router.add_get("/healthz", health)
    return app


async def serve_webhook(
    inbox: Inbox,
    stop: asyncio.Event,
    *,
    url: str,
    listen: str,
    secret: str,
    max_connections: int,
    allowed_updates: list[str] | None,
    register: bool = True,
) -> None:
    """Serve until `stop`; register the webhook with Telegram (pending updates kept)."""
    path = urlsplit(url).path or "/"
    host, _, port = listen.rpartition(":")
    runner = web.AppRunner(webhook_app(inbox, path, secret), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host or "127.0.0.1", int(port))
    try:
        await site.start()
    except OSError as error:  # most often another replica already listens there
        await runner.cleanup()
        raise SettingsError(
            f"Не удалось слушать {listen} для вебхука ({error.strerror or error}): "
            "адрес занят другим процессом? Укажите другой --listen."
        ) from error
    log.info("webhook listening on %s, path %s", listen, path)
    try:
        await inbox.recover()
        if register:
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
                    f"Telegram не принял адрес вебхука {url}: {error.message}"
                ) from error
        await stop.wait()
    finally:
        await runner.cleanup()
        await inbox.drain()
