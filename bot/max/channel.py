"""The MAX channel's parts, built from the settings: the maxapi client and aiogram's Bot."""

from __future__ import annotations

from dataclasses import dataclass

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.enums import ParseMode
from maxapi import Bot as MaxClient
from maxapi.client.default import DefaultConnectionProperties

from bot.max.ids import MessageIds
from bot.max.pacing import MaxPacer
from bot.max.session import MaxSession
from bot.max.updates import UpdateTranslator
from core.settings import Settings
from storage.database import SessionPool

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
        ADAPTER_TOKEN, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML)
    )
    return MaxChannel(client, ids, translator, bot, pacer)
