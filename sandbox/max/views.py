"""What the bot's messages do to MAX chats, and what tests read and wait for in them.

Reads mirror the Telegram stand-in's (``chat``, ``messages``, ``last_message``,
``find_button``, ``callback_answer(s)``, ``stats``) so one test drives either channel.
"""

from __future__ import annotations

import base64

from sandbox.chat_reads import ChatReads
from sandbox.errors import ControlError
from sandbox.jsontypes import JsonDict
from sandbox.max.records import MaxCallbackRecord, MaxChatRecord, MaxMessageRecord
from sandbox.max.world import MaxWorld, now_ms
from sandbox.waiting import WatchedChats


def _match(rows: list[list[JsonDict]], text: str, callback_only: bool) -> JsonDict | None:
    """First button whose text equals ``text``, else the first containing it."""
    buttons = [b for row in rows for b in row if not callback_only or b.get("type") == "callback"]
    for button in buttons:
        if button["text"] == text:
            return button
    needle = text.casefold()
    return next((b for b in buttons if needle in str(b["text"]).casefold()), None)


class MaxViews(ChatReads, WatchedChats, MaxWorld):
    """Messages stored in chats, snapshots of them, and the server side of the waits."""

    callback_noun = "callback"

    # --------------------------------------------------------------- messages
    def new_message(
        self,
        chat: MaxChatRecord,
        sender: JsonDict,
        body: JsonDict,
        *,
        from_bot: bool,
        fmt: str | None = None,
        source_text: str | None = None,
    ) -> MaxMessageRecord:
        """Store a message in ``chat`` and return its record (no update, no wake)."""
        message_id = chat.take_message_id()
        if chat.user_id is not None:
            other = chat.user_id if from_bot else self.config.bot_id
        else:
            other = None
        message: JsonDict = {
            "sender": sender,
            "recipient": {"chat_id": chat.id, "chat_type": chat.chat["type"], "user_id": other},
            "timestamp": now_ms(),
            "body": {
                "mid": f"mid.{chat.id & 0xFFFFFFFFFFFF:012x}{message_id:016x}",
                "seq": next(self._seq),
                **body,
            },
        }
        if chat.chat["type"] == "channel":
            message["url"] = f"https://max.ru/c/{-chat.id}/{message['body']['mid']}"
        record = MaxMessageRecord(
            message_id, chat.id, message, from_bot, format=fmt, source_text=source_text
        )
        chat.messages[message_id] = record
        self.mids[record.mid] = (chat.id, message_id)
        chat.chat["last_event_time"] = message["timestamp"]
        return record

    def add_bot_message(
        self, chat: MaxChatRecord, body: JsonDict, fmt: str | None = None, source: str = ""
    ) -> MaxMessageRecord:
        record = self.new_message(
            chat, self.bot_user, body, from_bot=True, fmt=fmt, source_text=source
        )
        chat.bot_message_ids.append(record.message_id)
        self.delivered_per_chat[chat.id] += 1
        self.counters["messages_total"] += 1
        self._bump(chat)
        return record

    def edit_message(self, record: MaxMessageRecord, body: JsonDict, fmt: str | None) -> None:
        """Replace a message's body, keeping the old message in its history."""
        record.history.append(record.message)
        record.message = {**record.message, "body": {**record.body, **body}}
        record.format = fmt
        self.counters["edits_total"] += 1
        self._bump(self.chats[record.chat_id])

    def delete_message(self, record: MaxMessageRecord) -> None:
        record.deleted = True
        self.counters["deleted_total"] += 1
        self._bump(self.chats[record.chat_id])

    def find_mid(self, mid: str) -> MaxMessageRecord | None:
        where = self.mids.get(mid)
        if where is None or where[0] not in self.chats:
            return None
        return self.chats[where[0]].messages.get(where[1])

    def record_callback_answer(self, record: MaxCallbackRecord, answer: JsonDict) -> None:
        record.answer = answer
        record.answers += 1
        self.counters["callback_answers"] += 1
        self.answer_signals.fire(record.callback_id)
        chat = self.chats.get(record.chat_id)
        if chat is not None:
            chat.callback_answers[record.callback_id] = answer
            self._bump(chat)

    # ------------------------------------------------------------------ reads
    def chat(self, chat_id: int, *, since_message_id: int = 0) -> JsonDict | None:
        """Snapshot of a chat: MAX chat, version, blocked flag and bot messages."""
        chat = self.chats.get(chat_id)
        if chat is None:
            return None
        return {
            "chat": chat.chat,
            "version": chat.version,
            "blocked": chat.blocked,
            "chat_actions": dict(chat.actions),
            "messages": self.messages(chat_id, since_message_id=since_message_id),
        }

    def find_button(
        self,
        chat_id: int,
        text: str,
        *,
        message_id: int | None = None,
        callback_only: bool = False,
    ) -> JsonDict | None:
        """Newest button matching ``text`` plus its message's ``message_id`` and ``mid``."""
        chat = self.chats.get(chat_id)
        if chat is None:
            return None
        ids = [message_id] if message_id is not None else reversed(chat.bot_message_ids)
        for mid in ids:
            record = chat.messages.get(mid)
            if record is None or record.deleted:
                continue
            button = _match(record.keyboard() or [], text, callback_only)
            if button is not None:
                return {"message_id": mid, "mid": record.mid, **button}
        return None

    def file(self, token: str) -> JsonDict:
        """An uploaded file, its bytes as base64 (what a chat received as an attachment)."""
        stored = self.uploads.get(token)
        if stored is None:
            raise ControlError(f"unknown upload token {token}", 404)
        return {
            "token": stored.token,
            "type": stored.type,
            "filename": stored.filename,
            "content_type": stored.content_type,
            "size": stored.size,
            "uploaded": stored.uploaded,
            "base64": base64.b64encode(stored.data).decode(),
        }

    def stats(self) -> JsonDict:
        """Counters for benchmarks and loss/duplication checks (the Telegram names)."""
        c = self.counters
        names = (
            "messages_total edits_total deleted_total rate_limited faults_injected "
            "updates_created updates_confirmed updates_returned updates_expired "
            "callback_queries callback_answers uploads file_downloads"
        ).split()
        return {
            **{name: c[name] for name in names},
            "messages_per_chat": dict(self.delivered_per_chat),
            "faults_by_kind": dict(self.faults_by_kind),
            "calls": dict(self.calls),
            "calls_ok": dict(self.calls_ok),
            "errors": dict(self.errors),
            "updates_pending": len(self.pending_updates()),
        }
