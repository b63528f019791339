"""What the control API reads of a stand-in's chats, for Telegram's and MAX's alike.

Both worlds keep chats by id with the same record shape (``chat``, ``version``,
``blocked``, ``messages`` by id, ``bot_message_ids`` in order) and callbacks by id with their
``answer``; these reads were written twice.
"""

from __future__ import annotations

import bisect
from typing import Any

from sandbox.errors import ControlError
from sandbox.jsontypes import JsonDict


class ChatReads:
    """Reads over ``chats`` and ``callbacks``, which the stand-in's world provides."""

    chats: Any  # chat id → chat record
    callbacks: Any  # callback id → callback record
    callback_noun = "callback query"  # how the messenger names a button press

    def list_chats(self) -> list[JsonDict]:
        return [
            {
                "chat": c.chat,
                "version": c.version,
                "blocked": c.blocked,
                "bot_messages": len(c.bot_message_ids),
            }
            for c in self.chats.values()
        ]

    def messages(
        self,
        chat_id: int,
        *,
        include_deleted: bool = False,
        include_user: bool = False,
        since_message_id: int = 0,
    ) -> list[JsonDict]:
        """Messages of a chat in order, as views (current state + history + deleted)."""
        chat = self.chats.get(chat_id)
        if chat is None:
            return []
        if include_user:
            records = [r for mid, r in chat.messages.items() if mid > since_message_id]
        else:
            ids = chat.bot_message_ids
            start = bisect.bisect_right(ids, since_message_id)
            records = [chat.messages[mid] for mid in ids[start:]]
        return [r.view() for r in records if include_deleted or not r.deleted]

    def last_message(self, chat_id: int) -> JsonDict | None:
        """The newest not-deleted bot message of a chat."""
        chat = self.chats.get(chat_id)
        if chat is None:
            return None
        for mid in reversed(chat.bot_message_ids):
            record = chat.messages[mid]
            if not record.deleted:
                view: JsonDict = record.view()
                return view
        return None

    def callback_answer(self, query_id: str) -> JsonDict | None:
        """The bot's answer to a button press (None while unanswered)."""
        record = self.callbacks.get(query_id)
        if record is None:
            raise ControlError(f"unknown {self.callback_noun} {query_id}", 404)
        answer: JsonDict | None = record.answer
        return answer

    def callback_answer_now(self, query_id: str) -> JsonDict | None:
        return self.callback_answer(query_id)

    def callback_answers(self) -> dict[str, JsonDict | None]:
        return {qid: r.answer for qid, r in self.callbacks.items()}

    def chat_version(self, chat_id: int) -> int:
        """Monotonic change counter of a chat (0 when it does not exist yet)."""
        chat = self.chats.get(chat_id)
        return int(chat.version) if chat is not None else 0
