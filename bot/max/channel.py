"""The MAX channel's parts, built from the settings: the maxapi client and aiogram's Bot."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.enums import ParseMode
from aiogram.types import BotCommand
from maxapi import Bot as MaxClient
from maxapi.client.default import DefaultConnectionProperties
from maxapi.exceptions.max import MaxApiError, MaxConnection
from maxapi.types.command import BotCommand as MaxCommand

from bot.max.ids import MessageIds
from bot.max.pacing import MaxPacer
from bot.max.session import MaxSession
from bot.max.updates import UpdateTranslator
from bot.typography import typeset
from core.settings import Settings
from storage.database import SessionPool

log = logging.getLogger(__name__)
# aiogram's Bot wants a token of Telegram's shape; MAX's own goes to the maxapi client only.
ADAPTER_TOKEN = "1:max-channel"
MAX_RATE_PER_SECOND = 30.0  # MAX Bot API: 30 requests per second
# The outbox's share of them: the rest stays for the replies to people who are writing now
# (every request also waits its turn in the channel's one MaxPacer).
MAX_OUTBOX_PER_SECOND = 20.0


@dataclass
class MaxChannel:
    client: MaxClient
    ids: MessageIds
    translator: UpdateTranslator
    bot: Bot
    pacer: MaxPacer


def create_max_channel(settings: Settings, pool: SessionPool) -> MaxChannel:
    """maxapi with no retries of its own: the callers' loops (outbox, polling) back off."""
    client = MaxClient(
        settings.max_bot_token(),
        auto_requests=False,  # no extra GET /chats per event under the 30 rps budget
        auto_check_subscriptions=False,
        default_connection=DefaultConnectionProperties(max_retries=0),
        after_upload_retry_delay=0.5,
    )
    client.set_api_url(settings.max_api_url)
    ids = MessageIds(pool)
    translator = UpdateTranslator(ids)
    pacer = MaxPacer()
    session = MaxSession(client, ids, translator, pacer)
    bot = Bot(
        ADAPTER_TOKEN,
        session=typeset(session),
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )
    return MaxChannel(client, ids, translator, bot, pacer)


async def set_max_commands(channel: MaxChannel, commands: list[BotCommand]) -> bool:
    """The bot's one command list in MAX (PATCH /me/commands; MAX has no per-chat scopes).

    Issue #17, point 2: in MAX every chat sees the same menu, so it is the citizens', and
    /help says what each person can do. False when MAX refused: the bot works without it.
    """
    listed = [MaxCommand(name=c.command, description=c.description) for c in commands]
    try:
        await channel.client.set_commands(*listed)
    except (MaxApiError, MaxConnection) as error:
        log.warning("the MAX command menu was not set: %s", type(error).__name__)
        return False
    return True
