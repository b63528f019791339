"""The one way the sandbox waits: keyed events fired on change, and waits built on them.

The server side wakes waiters with :class:`Signals`; :func:`wait_for` and
:func:`wait_for_message` poll nothing: they repeat one long wait on a chat's version
(:class:`ChatWatch`), which the in-process sandbox answers from its events and the HTTP
client answers by long-polling ``/_sandbox/chats/{id}/wait``, served by the same events.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable
from typing import Any, Protocol

JsonDict = dict[str, Any]
MessagesPredicate = Callable[[list[JsonDict]], bool]
MessagePredicate = Callable[[JsonDict], bool]


class Signals:
    """One-shot asyncio events by key, created lazily by waiters and fired on change."""

    def __init__(self) -> None:
        self._events: dict[Hashable, asyncio.Event] = {}

    def fire(self, key: Hashable) -> None:
        """Wake whoever waits on ``key``."""
        event = self._events.pop(key, None)
        if event is not None:
            event.set()

    def fire_all(self) -> None:
        for event in self._events.values():
            event.set()
        self._events.clear()

    async def wait(self, key: Hashable, timeout: float) -> bool:  # noqa: ASYNC109 - a long poll
        """Wait for the next ``fire(key)``; False when ``timeout`` passed first."""
        event = self._events.get(key)
        if event is None:
            event = self._events[key] = asyncio.Event()
        try:
            async with asyncio.timeout(max(0.0, timeout)):
                await event.wait()
        except TimeoutError:
            return False
        return True


class ChatWatch(Protocol):
    """Something that can wait for a chat to change: the sandbox itself or its client."""

    async def watch_chat(
        self,
        chat_id: int,
        after_version: int,
        timeout: float,  # noqa: ASYNC109 - a long poll that returns, never raises
        *,
        since_message_id: int = 0,
    ) -> JsonDict:
        """One long wait: ``{"version", "changed", "closing", "messages", "chat"}``."""
        ...


async def wait_for(
    watch: ChatWatch,
    chat_id: int,
    predicate: MessagesPredicate,
    timeout: float = 5.0,  # noqa: ASYNC109
    *,
    since_message_id: int = 0,
) -> list[JsonDict]:
    """Wait until ``predicate(bot messages of the chat)`` holds; return those messages."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    version = -1
    while True:
        snapshot = await watch.watch_chat(
            chat_id, version, deadline - loop.time(), since_message_id=since_message_id
        )
        messages: list[JsonDict] = snapshot["messages"]
        if predicate(messages):
            return messages
        if loop.time() >= deadline or (not snapshot["changed"] and snapshot.get("closing")):
            raise TimeoutError(f"chat {chat_id}: condition not met within {timeout}s")
        version = snapshot["version"]


async def wait_for_message(
    watch: ChatWatch,
    chat_id: int,
    predicate: MessagePredicate | None = None,
    *,
    after_message_id: int = 0,
    timeout: float = 5.0,  # noqa: ASYNC109
) -> JsonDict:
    """First bot message with id > ``after_message_id`` matching ``predicate``."""
    found: list[JsonDict] = []

    def check(messages: list[JsonDict]) -> bool:
        for message in messages:
            if message["message_id"] > after_message_id and (
                predicate is None or predicate(message)
            ):
                found.append(message)
                return True
        return False

    await wait_for(watch, chat_id, check, timeout, since_message_id=after_message_id)
    return found[0]
