"""Simulated people for the demo, end-to-end tests and benchmarks.

Each action injects an update into the sandbox and waits (event-driven, no sleeping)
until the bot's answer changes the chat and shows the expected words.
"""

from __future__ import annotations

from sandbox.jsontypes import JsonDict
from sandbox.telegram.sandbox import Sandbox


class SimulatedUser:
    """One person in a private chat with the bot."""

    def __init__(self, sandbox: Sandbox, user_id: int, *, timeout: float = 15.0) -> None:
        self.sandbox = sandbox
        self.user_id = user_id
        self.timeout = timeout

    def texts(self, last: int = 3) -> list[str]:
        messages = self.sandbox.messages(self.user_id)
        return [str(m.get("text") or m.get("caption") or "") for m in messages[-last:]]

    @property
    def last_text(self) -> str:
        message = self.sandbox.last_message(self.user_id)
        return str(message.get("text") or "") if message else ""

    def _snapshot(self) -> dict[int, str]:
        return {
            int(m["message_id"]): repr((m.get("text"), m.get("reply_markup")))
            for m in self.sandbox.messages(self.user_id)
        }

    async def _settle(self, before: dict[int, str], expect: str | None) -> None:
        """Wait for a bot message that is new or changed since `before` and shows `expect`."""

        def ready(messages: list[JsonDict]) -> bool:
            for message in messages:
                state = repr((message.get("text"), message.get("reply_markup")))
                if before.get(int(message["message_id"])) == state:
                    continue
                if expect is None or expect in str(message.get("text") or ""):
                    return True
            return False

        try:
            await self.sandbox.wait_for(self.user_id, ready, self.timeout)
        except TimeoutError as error:
            raise TimeoutError(
                f"user {self.user_id}: expected {expect!r}, chat shows {self.texts()!r}"
            ) from error

    async def say(self, text: str, *, expect: str | None = None) -> None:
        before = self._snapshot()
        self.sandbox.inject_message(self.user_id, text)
        await self._settle(before, expect)

    async def tap(self, label: str, *, expect: str | None = None) -> None:
        before = self._snapshot()
        self.sandbox.press_button(self.user_id, label)
        await self._settle(before, expect)

    def has_button(self, label: str) -> bool:
        return self.sandbox.find_button(self.user_id, label, callback_only=True) is not None

    def buttons(self) -> list[str]:
        """Labels of the callback buttons under the newest bot message that has any."""
        for message in reversed(self.sandbox.messages(self.user_id)):
            keyboard = (message.get("reply_markup") or {}).get("inline_keyboard")
            if keyboard:
                return [
                    str(b["text"])
                    for row in keyboard
                    for b in row
                    if "callback_data" in b and not str(b["text"]).startswith("←")
                ]
        return []

    async def wait_for_button(self, label: str) -> None:
        """Wait until a callback button matching `label` is on screen (a card was rendered)."""
        await self.sandbox.wait_for(self.user_id, lambda _m: self.has_button(label), self.timeout)
