"""Per-user flood control through the real dispatcher: warned once, in Russian, nothing stored."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import sqlalchemy as sa
from aiogram.methods import SendMessage

from bot.intake import Inbox
from storage.database import SessionPool
from storage.delivery_models import InboxUpdate
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


async def test_throttled_updates_are_done_with_their_reason_and_never_replayed(
    telegram: Telegram,
    make_telegram: Callable[[], Telegram],
    session_pool: SessionPool,
) -> None:
    """A flood in one chat leaves nothing pending: restarts replay nothing, reply nothing."""
    inbox = Inbox(session_pool, telegram.dp, telegram.bot)
    flood = [telegram.message_update(FLOODER, "привет") for _ in range(30)]
    fresh = await inbox.store(flood)
    for update in flood:
        inbox.handle_soon(update, fresh=update.update_id in fresh)
    await inbox.drain()
    async with session_pool() as session:
        rows = (
            await session.execute(
                sa.select(InboxUpdate.status, InboxUpdate.reason).where(
                    InboxUpdate.update_id.in_([u.update_id for u in flood])
                )
            )
        ).all()
    assert Counter(map(tuple, rows)) == {("done", None): 20, ("done", "throttled"): 10}
    for _restart in range(3):
        restarted = make_telegram()
        replayed = await Inbox(session_pool, restarted.dp, restarted.bot).recover()
        assert replayed == 0 and restarted.session.requests == [], "nothing stale is replayed"


async def test_flood_control_forgets_a_sender_once_their_window_has_passed() -> None:
    """Issue #13 (personal data): the flood window kept every sender's Telegram id in memory
    until 100 000 of them piled up, and the warned ones for ever."""
    from datetime import UTC, datetime

    from aiogram.types import Chat, Message, Update, User

    from bot.middlewares import ThrottlingMiddleware

    now = [1000.0]
    throttle = ThrottlingMiddleware(limit=2, window=10.0, monotonic=lambda: now[0])

    async def handled(_event: object, _data: dict[str, object]) -> str:
        return "handled"

    def update(user_id: int, update_id: int) -> tuple[Update, dict[str, object]]:
        user = User(id=user_id, is_bot=False, first_name="Тест")
        message = Message(
            message_id=update_id, date=datetime.now(UTC), chat=Chat(id=user_id, type="private"),
            from_user=user, text="привет",
        )  # fmt: skip
        return Update(update_id=update_id, message=message), {"event_from_user": user}

    for update_id in range(3):  # the third is throttled (and warned: no bot, nothing sent)
        event, data = update(FLOODER, update_id)
        await throttle(handled, event, data)
    event, data = update(CALM, 10)
    assert await throttle(handled, event, data) == "handled"
    assert throttle.remembered() == 2
    now[0] += 10.5
    event, data = update(CALM, 11)
    assert await throttle(handled, event, data) == "handled"
    assert throttle.remembered() == 1, "only the sender still inside the window is kept"
