"""A respondent's link and typed answer are taken by the first router, not after 25 others.

A message used to pass every router's filters (about 60 checks) before the respondent's
handlers near the end of the tree; the `answers` router, tried first, now takes what can only
be the respondent's, and leaves everything else where it was.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Router
from aiogram.types import Message, TelegramObject

from tests.mocked_bot import Telegram

CITIZEN = 5101


def _router(root: Router, name: str) -> Router:
    for router in root.chain_tail:
        if router.name == name:
            return router
    raise AssertionError(f"no router {name}")


def _recorder(seen: list[str]) -> Callable[..., Awaitable[Any]]:
    async def record(
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if isinstance(event, Message):
            seen.append(event.text or "")
        return await handler(event, data)

    return record


async def test_link_and_typed_answer_go_to_the_first_router(telegram: Telegram) -> None:
    taken_first: list[str] = []
    _router(telegram.dp, "handlers.respondent.answers").message.middleware(_recorder(taken_first))
    await telegram.send(CITIZEN, "/start t-SUP01-EPGU")
    await telegram.tap(CITIZEN, "Дать согласие")
    await telegram.tap(CITIZEN, "2")  # a low score: the comment is asked
    await telegram.send(CITIZEN, "Долго ждал в очереди")
    assert taken_first == ["/start t-SUP01-EPGU", "Долго ждал в очереди"]
    assert "Долго ждал" not in (telegram.last(CITIZEN).text or "")  # the next question


async def test_other_links_and_commands_stay_with_their_routers(telegram: Telegram) -> None:
    taken_first: list[str] = []
    _router(telegram.dp, "handlers.respondent.answers").message.middleware(_recorder(taken_first))
    await telegram.send(CITIZEN, "/start hello")  # the greeting link: handlers.common
    await telegram.send(CITIZEN, "/help")
    await telegram.send(CITIZEN, "/start no-such-link")  # the generic payload handler below
    assert taken_first == []
    assert "не распознана" in (telegram.last(CITIZEN).text or "")
