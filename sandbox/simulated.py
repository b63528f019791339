"""Simulated people for the demo, end-to-end tests and benchmarks, on either stand-in.

Each action injects what a person does and waits (event-driven, no sleeping) until the
bot's answer changes the chat and shows the expected words.  The person's chat is
``private_chat_id(user_id)`` (Telegram: the user id; MAX: the dialog) and buttons are read
from either view shape, so the same script runs on Telegram and on MAX.
"""

from __future__ import annotations

from typing import Any, Protocol

from sandbox.jsontypes import JsonDict
from sandbox.waiting import MessagesPredicate


class PersonFacing(Protocol):
    """What a simulated person needs of a stand-in (both stand-ins have it)."""

    def private_chat_id(self, user_id: int) -> int: ...

    def messages(self, chat_id: int) -> list[JsonDict]: ...

    def last_message(self, chat_id: int) -> JsonDict | None: ...

    def inject_message(self, user_id: int, text: str | None = None) -> JsonDict: ...

    def inject_start(self, user_id: int, payload: str | None = None) -> JsonDict: ...

    def press_button(self, user_id: int, text: str) -> JsonDict: ...

    def find_button(self, chat_id: int, text: str, *, callback_only: bool = False) -> Any: ...

    async def wait_for(
        self,
        chat_id: int,
        predicate: MessagesPredicate,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[JsonDict]: ...


def callback_buttons(message: JsonDict) -> list[JsonDict]:
    """The callback buttons of a message view, Telegram's or MAX's."""
    telegram = (message.get("reply_markup") or {}).get("inline_keyboard")
    if telegram:
        return [b for row in telegram for b in row if "callback_data" in b]
    rows = message.get("keyboard") or []
    return [b for row in rows for b in row if b.get("type") == "callback"]


def screen(message: JsonDict) -> str:
    """What a person sees of a message, to notice that it changed."""
    return repr((message.get("text"), message.get("reply_markup"), message.get("keyboard")))


class SimulatedUser:
    """One person in a private chat with the bot."""

    def __init__(self, sandbox: PersonFacing, user_id: int, *, timeout: float = 15.0) -> None:
        self.sandbox = sandbox
        self.user_id = user_id
        self.timeout = timeout

    @property
    def chat_id(self) -> int:
        return self.sandbox.private_chat_id(self.user_id)

    def texts(self, last: int = 3) -> list[str]:
        messages = self.sandbox.messages(self.chat_id)
        return [str(m.get("text") or m.get("caption") or "") for m in messages[-last:]]

    @property
    def last_text(self) -> str:
        message = self.sandbox.last_message(self.chat_id)
        return str(message.get("text") or "") if message else ""

    def _snapshot(self) -> dict[int, tuple[str, object]]:
        return {
            int(m["message_id"]): (screen(m), m.get("text"))
            for m in self.sandbox.messages(self.chat_id)
        }

    async def _settle(self, before: dict[int, tuple[str, object]], expect: str | None) -> None:
        """Wait for a bot message that is new or changed since `before` and shows `expect`.

        An answered message that only lost its buttons is no answer: the bot goes on below.
        """

        def ready(messages: list[JsonDict]) -> bool:
            for message in messages:
                seen = before.get(int(message["message_id"]))
                if seen is not None and (
                    seen[0] == screen(message)
                    or (seen[1] == message.get("text") and not callback_buttons(message))
                ):
                    continue
                if expect is None or expect in str(message.get("text") or ""):
                    return True
            return False

        try:
            await self.sandbox.wait_for(self.chat_id, ready, self.timeout)
        except TimeoutError as error:
            raise TimeoutError(
                f"user {self.user_id}: expected {expect!r}, chat shows {self.texts()!r}"
            ) from error

    async def say(self, text: str, *, expect: str | None = None) -> None:
        before = self._snapshot()
        self.sandbox.inject_message(self.user_id, text)
        await self._settle(before, expect)

    async def start(self, payload: str | None = None, *, expect: str | None = None) -> None:
        """Open the bot's deep link with ``payload`` and press Start."""
        before = self._snapshot()
        self.sandbox.inject_start(self.user_id, payload)
        await self._settle(before, expect)

    async def tap(self, label: str, *, expect: str | None = None) -> None:
        before = self._snapshot()
        self.sandbox.press_button(self.user_id, label)
        await self._settle(before, expect)

    def has_button(self, label: str) -> bool:
        return self.sandbox.find_button(self.chat_id, label, callback_only=True) is not None

    def buttons(self) -> list[str]:
        """Labels of the callback buttons under the newest bot message that has any."""
        for message in reversed(self.sandbox.messages(self.chat_id)):
            found = callback_buttons(message)
            if found:
                return [str(b["text"]) for b in found if not str(b["text"]).startswith("←")]
        return []

    async def wait_for_button(self, label: str) -> None:
        """Wait until a callback button matching `label` is on screen (a card was rendered)."""
        await self.sandbox.wait_for(self.chat_id, lambda _m: self.has_button(label), self.timeout)
