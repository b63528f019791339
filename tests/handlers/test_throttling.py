"""Per-user flood control through the real dispatcher: warned once, in Russian, nothing stored."""

from __future__ import annotations

from aiogram.methods import SendMessage

from storage.database import SessionPool
from tests.handlers.helpers import count_responses
from tests.mocked_bot import Telegram

FLOODER = 5301
CALM = 5302


async def test_a_flood_is_cut_with_one_russian_warning_and_others_are_served(
    telegram: Telegram, session_pool: SessionPool
) -> None:
    for _ in range(25):
        await telegram.send(FLOODER, "привет")
    warnings = [
        r
        for r in telegram.session.requests
        if isinstance(r, SendMessage) and "Слишком много запросов" in r.text
    ]
    assert len(warnings) == 1, "told once per window, not once per update"
    handled = [
        r
        for r in telegram.session.requests
        if isinstance(r, SendMessage) and r.chat_id == FLOODER and r not in warnings
    ]
    assert len(handled) == 20, "the first 20 updates of the window are served"
    await telegram.send(CALM, "/start t-SUP01-EPGU")
    assert "Прежде чем начать" in (telegram.last(CALM).text or ""), "others are not slowed"
    assert await count_responses(session_pool) == 0
