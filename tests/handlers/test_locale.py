"""OTKLIK_LOCALE=en switches the bot's own texts to English; questions follow the YAML."""

from __future__ import annotations

from bot.factory import create_dispatcher
from core.settings import Settings
from storage.database import SessionPool
from surveys.catalogue import sync_questionnaires
from tests.conftest import SmallRegistry
from tests.mocked_bot import Telegram, make_bot


async def test_english_catalogue(
    settings: Settings, session_pool: SessionPool, registry: SmallRegistry
) -> None:
    await sync_questionnaires(session_pool)
    bot, session = make_bot()
    english = settings.model_copy(update={"locale": "en"})
    telegram = Telegram(bot, create_dispatcher(english, session_pool), session)
    await telegram.send(42, "/start")
    assert "Hello! This is the feedback bot." in (telegram.last(42).text or "")
    await telegram.send(42, "/start t-SUP01-EPGU")
    await telegram.tap(42, "Agree and continue")
    assert "How satisfied are you" in (telegram.last(42).text or "")
