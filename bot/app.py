"""Starting the bot for real: storage first, then Telegram and long polling."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from collections.abc import Coroutine
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramAPIError, TelegramUnauthorizedError

from bot.bootstrap import open_storage
from bot.delivery import OutboxSender
from bot.factory import bot_commands, create_bot, create_dispatcher, survey_policy
from bot.intake import Inbox, durable_polling
from bot.max.channel import (
    MAX_OUTBOX_PER_SECOND,
    MaxChannel,
    create_max_channel,
    set_max_commands,
)
from bot.max.polling import durable_max_polling
from bot.max.webhook import PATH_SUFFIX, max_route, max_start, max_webhook_secret
from bot.patience import (
    Stopped,
    Unreachable,
    max_refused,
    max_unreachable,
    telegram_refused,
    telegram_unreachable,
    until_done,
)
from bot.single_intake import IntakeLease
from bot.webhook import serve_webhook, webhook_secret
from core.channels import Channel
from core.clock import Clock, utcnow
from core.heap import tune_collector
from core.i18n import translator
from core.settings import Settings, SettingsError
from handlers.menus import MenuKeeper
from jobs.leader import Leadership
from jobs.setup import create_scheduler
from storage.database import SessionPool
from storage.models import OrganizationSettings
from web.app import create_web_app, serve_web

log = logging.getLogger(__name__)


async def remember_bot_username(pool: SessionPool, username: str) -> None:
    async with pool() as session, session.begin():
        organization = await session.scalar(sa.select(OrganizationSettings).limit(1))
        if organization is None:
            organization = OrganizationSettings(name="")
            session.add(organization)
        organization.bot_username = username


async def prepare(
    bot: Bot,
    pool: SessionPool,
    settings: Settings,
    stop: asyncio.Event | None = None,
    menus: MenuKeeper | None = None,
) -> str:
    """Who the bot is, and its command menu; waits out Telegram's (or a proxy's) failures."""
    try:
        me = await until_done(
            bot.me, what="getMe", stop=stop, unreachable_after=settings.startup_connect_seconds
        )
    except TelegramUnauthorizedError:
        raise telegram_refused(settings) from None
    except Unreachable:  # issue #17, point 10: «an API address that cannot be reached»
        raise telegram_unreachable(settings) from None
    await remember_bot_username(pool, me.username or "")
    commands = bot_commands(settings.locale)
    try:
        await until_done(lambda: bot.set_my_commands(commands), what="setMyCommands", stop=stop)
    except TelegramAPIError as error:  # the menu is a convenience: the bot works without it
        log.warning("the command menu was not set: %s", error.message)
    if menus is not None:  # the staff the registry knows get their roles' menus (#17.2)
        await menus.sync()
    return me.username or ""


async def prepare_max(channel: MaxChannel, settings: Settings, stop: asyncio.Event) -> str:
    """Who the bot is in MAX; waits out MAX's failures like Telegram's."""
    try:
        me = await until_done(
            channel.bot.me,
            what="MAX getMe",
            stop=stop,
            unreachable_after=settings.startup_connect_seconds,
        )
    except TelegramUnauthorizedError:
        raise max_refused(settings) from None
    except Unreachable:
        raise max_unreachable(settings) from None
    await channel.ids.forget_old()
    await set_max_commands(channel, bot_commands(settings.locale))  # the citizens' menu
    return me.username or ""


def channel_senders(
    settings: Settings,
    pool: SessionPool,
    clock: Clock,
    telegram: Bot | None,
    maxc: MaxChannel | None,
) -> list[OutboxSender]:
    """One outbox sender per channel, each within its messenger's limits."""
    senders = []
    if telegram is not None:
        rate = settings.outbox_rate_per_second
        senders.append(OutboxSender(telegram, pool, rate_per_second=rate, clock=clock))
    if maxc is not None:
        senders.append(
            OutboxSender(
                maxc.bot,
                pool,
                rate_per_second=MAX_OUTBOX_PER_SECOND,
                clock=clock,
                channel=Channel.MAX,
            )
        )
    return senders


async def run_bot(
    settings: Settings,
    *,
    webhook_url: str | None = None,
    register_webhook: bool = True,
    clock: Clock = utcnow,
    bot: Bot | None = None,
) -> None:
    """Long polling, or a webhook server when `webhook_url` is given; either way durable.

    Telegram runs when its token is set (or a `bot` is given), MAX when OTKLIK_MAX_TOKEN is
    (long polling); both share the dispatcher, the inbox table and the outbox. Every replica
    takes updates; scheduled jobs and the outbox senders run only in the replica that holds
    the scheduler lease, so nothing is sent twice.
    """
    storage = await open_storage(settings)
    intake = IntakeLease(
        storage.pool, webhook=bool(webhook_url), clock=clock, _=translator(settings.locale)
    )
    try:
        await intake.take()  # before any Bot API call: a second poller must touch nothing
    except SettingsError:
        await storage.engine.dispose()
        raise
    if bot is None and settings.has_telegram:
        bot = create_bot(settings)
    maxc = create_max_channel(settings, storage.pool) if settings.has_max else None
    dispatcher: Dispatcher = create_dispatcher(settings, storage.pool, clock=clock)
    tune_collector()  # a process that serves updates from here on
    leadership = Leadership(storage.pool, clock=clock)
    scheduler = create_scheduler(
        settings, storage.pool, clock, leadership, fsm_storage=dispatcher.storage
    )
    stop = asyncio.Event()
    await leadership.renew()
    background = [
        asyncio.create_task(intake.keep(stop)),
        asyncio.create_task(leadership.run(stop)),
        *(
            asyncio.create_task(sender.run(stop, should_run=lambda: leadership.is_leader))
            for sender in channel_senders(settings, storage.pool, clock, bot, maxc)
        ),
    ]
    if settings.public_url:  # the web form and the landing page every QR code opens
        web_app = create_web_app(settings, storage.pool, survey_policy(settings), clock)
        background.append(asyncio.create_task(serve_web(web_app, settings.web_listen, stop)))
    try:
        loop = asyncio.get_running_loop()
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signal_number, stop.set)
        if bot is not None:
            menus = MenuKeeper(bot, storage.pool, translator(settings.locale))
            username = await prepare(bot, storage.pool, settings, stop, menus)
            log.info("bot @%s started", username)
            # Roles changed elsewhere (the registry import, the CLI) reach the menus too.
            background.append(asyncio.create_task(menus.run(stop, lambda: leadership.is_leader)))
        if maxc is not None:
            log.info("MAX bot %s started", await prepare_max(maxc, settings, stop))
        # What start-up built lives as long as the process: keep it out of every collection.
        gc.collect()
        gc.freeze()
        scheduler.start()
        intakes = channel_intakes(
            settings, dispatcher, storage.pool, stop, bot, maxc, webhook_url, register_webhook
        )
        await asyncio.gather(*intakes)
    except Stopped:  # asked to stop while still waiting for Telegram at start-up
        log.info("stopped before Telegram answered")
    finally:
        stop.set()
        await asyncio.gather(*background)
        if scheduler.running:
            scheduler.shutdown(wait=False)
        for channel_bot in (bot, maxc.bot if maxc else None):
            if channel_bot is not None:
                await channel_bot.session.close()
        await storage.engine.dispose()


def channel_intakes(
    settings: Settings,
    dispatcher: Dispatcher,
    pool: SessionPool,
    stop: asyncio.Event,
    bot: Bot | None,
    maxc: MaxChannel | None,
    webhook_url: str | None,
    register: bool,
) -> list[Coroutine[Any, Any, None]]:
    """Each channel's durable intake: long polling, or one webhook server for both
    (MAX's at the webhook's path plus /max)."""
    workers = settings.handler_workers
    inbox = Inbox(pool, dispatcher, bot, workers=workers) if bot is not None else None
    max_inbox = (
        Inbox(pool, dispatcher, maxc.bot, workers=workers, channel=Channel.MAX)
        if maxc is not None
        else None
    )
    if not webhook_url:
        found: list[Coroutine[Any, Any, None]] = []
        if inbox is not None:
            allowed = dispatcher.resolve_used_update_types()
            found.append(durable_polling(inbox, stop, allowed_updates=allowed))
        if maxc is not None and max_inbox is not None:
            found.append(
                durable_max_polling(max_inbox, maxc.client, maxc.translator, stop, pacer=maxc.pacer)
            )
        return found
    routes, starts = [], []
    if maxc is not None and max_inbox is not None:
        url = webhook_url.rstrip("/") + PATH_SUFFIX
        path = urlsplit(url).path
        secret = max_webhook_secret(settings)
        routes.append(max_route(max_inbox, maxc.translator, path, secret))
        starts.append(max_start(max_inbox, maxc.client, url, secret, register, stop))
    return [
        serve_webhook(
            inbox,
            stop,
            url=webhook_url,
            listen=settings.webhook_listen,
            secret=webhook_secret(settings),
            max_connections=settings.webhook_max_connections,
            allowed_updates=dispatcher.resolve_used_update_types(),
            register=register,
            _=translator(settings.locale),
            routes=routes,
            starts=starts,
        )
    ]
