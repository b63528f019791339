"""What the Telegram stand-in stores: messages, chats and callback queries."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sandbox.jsontypes import JsonDict


@dataclass(slots=True)
class MessageRecord:
    """A message as stored: its current Telegram shape plus sandbox bookkeeping."""

    message: JsonDict
    from_bot: bool
    history: list[JsonDict] = field(default_factory=list)
    deleted: bool = False
    callback_data: frozenset[str] = frozenset()
    sent_markup: JsonDict | None = None

    def view(self) -> JsonDict:
        """Telegram message dict extended with ``history`` and ``deleted``."""
        out = dict(self.message)
        out["history"] = list(self.history)
        out["deleted"] = self.deleted
        if self.sent_markup is not None and "inline_keyboard" not in self.sent_markup:
            out["reply_keyboard"] = self.sent_markup
        return out


@dataclass(slots=True)
class ChatRecord:
    """Per-chat state; message ids are a per-chat counter like in Telegram."""

    chat: JsonDict
    chat_instance: str
    next_message_id: int = 1
    messages: dict[int, MessageRecord] = field(default_factory=dict)
    bot_message_ids: list[int] = field(default_factory=list)
    version: int = 0
    blocked: bool = False
    reply_keyboard: JsonDict | None = None
    chat_actions: Counter[str] = field(default_factory=Counter)
    callback_answers: dict[str, JsonDict] = field(default_factory=dict)

    @property
    def id(self) -> int:
        return int(self.chat["id"])

    def take_message_id(self) -> int:
        mid = self.next_message_id
        self.next_message_id += 1
        return mid


@dataclass(slots=True)
class CallbackRecord:
    """A callback query the bot may answer exactly once, within ``callback_ttl``."""

    query_id: str
    user_id: int
    chat_id: int | None
    message_id: int
    data: str
    created: float
    answer: JsonDict | None = None
