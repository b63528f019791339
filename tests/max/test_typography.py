"""Both messengers' bots send through the session that nests quotes the Russian way."""

from __future__ import annotations

from aiogram.methods import SendMessage

from bot.factory import create_bot
from bot.max.channel import create_max_channel
from bot.typography import NestedQuotes
from core.settings import Settings
from storage.database import SessionPool


async def test_telegram_and_max_sessions_fix_nested_quotes(
    both_settings: Settings, session_pool: SessionPool
) -> None:
    bots = [create_bot(both_settings), create_max_channel(both_settings, session_pool).bot]
    try:
        for bot in bots:
            [fixer] = [m for m in bot.session.middleware if isinstance(m, NestedQuotes)]
            method = SendMessage(chat_id=1, text="Процесс «Выдача «справки»»")

            async def sent(_bot: object, request: SendMessage) -> str:
                return request.text

            assert await fixer(sent, bot, method) == "Процесс «Выдача „справки“»"  # type: ignore[arg-type]
    finally:
        for bot in bots:
            await bot.session.close()
