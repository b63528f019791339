"""MAX's webhook: updates POSTed by MAX go to the inbox before MAX gets its 200.

It is served by the same server as Telegram's (bot.webhook), at the webhook's path plus
``/max``; MAX names the subscription's secret in ``X-Max-Bot-Api-Secret``. Registration
(POST /subscriptions) is retried while MAX fails, and never stops the bot.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging

import aiohttp
from aiohttp import web
from maxapi import Bot as MaxClient
from maxapi.exceptions.max import MaxApiError, MaxConnection

from bot.intake import Inbox
from bot.max.updates import UpdateTranslator
from bot.webhook import Route, Start, parse_update_body, secret_matches
from core.settings import Settings

log = logging.getLogger(__name__)
MAX_SECRET_HEADER = "X-Max-Bot-Api-Secret"
PATH_SUFFIX = "/max"


def max_webhook_secret(settings: Settings) -> str:
    """Derived from the secret key, so every replica agrees (MAX wants 5–256 of [A-Za-z0-9_-])."""
    return hmac.new(settings.secret(), b"max-webhook", hashlib.sha256).hexdigest()


def max_route(inbox: Inbox, translator: UpdateTranslator, path: str, secret: str) -> Route:
    async def receive(request: web.Request) -> web.Response:
        if not secret_matches(request.headers.get(MAX_SECRET_HEADER, ""), secret):
            return web.Response(status=401, text="bad secret")
        payload = parse_update_body(await request.read())
        if payload is None:
            return web.Response(status=400, text="not an update")
        try:
            updates = await translator.translate(inbox.bot, [payload])
        except (KeyError, TypeError, ValueError):  # a malformed update, or pydantic's error
            return web.Response(status=400, text="not an update")
        fresh = await inbox.store(updates)  # a failure here answers 500: MAX will retry
        for update in updates:
            inbox.handle_soon(update, fresh=update.update_id in fresh)
        return web.Response(text="ok")

    def add(app: web.Application) -> None:
        app.router.add_post(path, receive)

    return add


def max_start(
    inbox: Inbox, client: MaxClient, url: str, secret: str, register: bool, stop: asyncio.Event
) -> Start:
    """Handle what a crash left pending, then subscribe the webhook (in the background)."""

    async def subscribe() -> None:
        delay = 1.0
        while not stop.is_set():
            try:
                await client.subscribe_webhook(url=url, secret=secret)
                log.info("MAX webhook subscribed")
                return
            except (MaxApiError, MaxConnection, aiohttp.ClientError, OSError) as error:
                log.warning("MAX webhook subscription failed (%s)", type(error).__name__)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 60.0)

    async def start() -> None:
        await inbox.recover()
        if register:
            task = asyncio.create_task(subscribe())
            stop_task = asyncio.create_task(stop.wait())
            task.add_done_callback(lambda _t: stop_task.cancel())
            stop_task.add_done_callback(lambda _t: task.cancel())

    return start
