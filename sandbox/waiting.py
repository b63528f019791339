"""The one way the sandbox waits: keyed events fired on change, and waits built on them.

The server side wakes waiters with :class:`Signals`.  Every wait a test makes
(``wait_for``, ``wait_for_message``, ``wait_for_callback_answer``) is written once, in
:class:`Waits`, over two long waits: ``watch_chat`` (a chat's version changed) and
``watch_callback`` (a callback was answered).  A stand-in answers them from its events
(:class:`WatchedChats`, shared by the Telegram and MAX stand-ins); the HTTP client answers
them by long-polling ``/_sandbox/chats/{id}/wait`` and ``/_sandbox/callbacks/{id}/wait``,
which are served by the same events.  Nothing polls and nothing sleeps in a loop.
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
    """Something that can wait for a chat to change: a stand-in itself or its client."""

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


class Waits:
    """The waits of the control API, once, for the in-process stand-ins and the client.

    A subclass supplies the two long waits; everything a test waits for is built here.
    """

    async def watch_chat(
        self,
        chat_id: int,
        after_version: int,
        timeout: float,  # noqa: ASYNC109 - a long poll that returns, never raises
        *,
        since_message_id: int = 0,
    ) -> JsonDict:
        """One long wait on a chat (:class:`ChatWatch`)."""
        raise NotImplementedError

    async def watch_callback(
        self,
        query_id: str,
        timeout: float,  # noqa: ASYNC109 - a long poll that returns, never raises
    ) -> JsonDict | None:
        """One long wait for the bot's answer to a callback; None when still unanswered."""
        raise NotImplementedError

    async def wait_for(
        self,
        chat_id: int,
        predicate: MessagesPredicate,
        timeout: float = 5.0,  # noqa: ASYNC109
        *,
        since_message_id: int = 0,
    ) -> list[JsonDict]:
        """Wait until ``predicate(bot messages of the chat)`` holds; return those messages."""
        return await wait_for(self, chat_id, predicate, timeout, since_message_id=since_message_id)

    async def wait_for_message(
        self,
        chat_id: int,
        predicate: MessagePredicate | None = None,
        *,
        after_message_id: int = 0,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> JsonDict:
        """First bot message with id > ``after_message_id`` matching ``predicate``."""
        return await wait_for_message(
            self, chat_id, predicate, after_message_id=after_message_id, timeout=timeout
        )

    async def wait_for_callback_answer(
        self,
        query_id: str,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> JsonDict:
        """Wait until the bot answers callback ``query_id``; raises TimeoutError otherwise."""
        answer = await self.watch_callback(query_id, timeout)
        if answer is None:
            raise TimeoutError(f"callback query {query_id} not answered within {timeout}s")
        return answer


class WatchedChats(Waits):
    """The server side of the two long waits, for any stand-in with versioned chats.

    The stand-in provides ``chat_changes`` and ``answer_signals`` (:class:`Signals`), a
    ``closing`` flag, ``chat_version``, ``chat`` (a snapshot with ``messages``) and
    ``callback_answer_now`` (the answer so far, raising when the query is unknown).
    """

    chat_changes: Signals
    answer_signals: Signals
    closing: bool

    def chat_version(self, chat_id: int) -> int:
        raise NotImplementedError

    def chat(self, chat_id: int, *, since_message_id: int = 0) -> JsonDict | None:
        raise NotImplementedError

    def callback_answer_now(self, query_id: str) -> JsonDict | None:
        raise NotImplementedError

    async def wait_version(
        self,
        chat_id: int,
        after_version: int,
        timeout: float,  # noqa: ASYNC109 - a long poll that returns, never raises
    ) -> int:
        """Wait until the chat's version exceeds ``after_version``; return the version."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0.0, timeout)
        while self.chat_version(chat_id) <= after_version and not self.closing:
            remaining = deadline - loop.time()
            if remaining <= 0 or not await self.chat_changes.wait(chat_id, remaining):
                break
        return self.chat_version(chat_id)

    async def watch_chat(
        self,
        chat_id: int,
        after_version: int,
        timeout: float,  # noqa: ASYNC109 - a long poll that returns, never raises
        *,
        since_message_id: int = 0,
    ) -> JsonDict:
        version = await self.wait_version(chat_id, after_version, timeout)
        snapshot = self.chat(chat_id, since_message_id=since_message_id)
        found = snapshot.pop("messages") if snapshot is not None else []
        return {
            "version": version,
            "changed": version > after_version,
            "closing": self.closing,
            "messages": found,
            "chat": snapshot,
        }

    async def watch_callback(
        self,
        query_id: str,
        timeout: float,  # noqa: ASYNC109 - a long poll that returns, never raises
    ) -> JsonDict | None:
        answer = self.callback_answer_now(query_id)
        if answer is None and not self.closing:
            await self.answer_signals.wait(query_id, timeout)
            answer = self.callback_answer_now(query_id)
        return answer
