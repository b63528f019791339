"""What the bot's messages do to chats, and what tests read and wait for in them."""

from __future__ import annotations

import time

from sandbox.chat_reads import ChatReads
from sandbox.jsontypes import JsonDict
from sandbox.telegram.markup import callback_datas, find_button
from sandbox.telegram.records import CallbackRecord, ChatRecord, MessageRecord
from sandbox.telegram.world import TelegramWorld
from sandbox.waiting import WatchedChats


class ChatViews(ChatReads, WatchedChats, TelegramWorld):
    """Bot output stored in chats, snapshots of them, and waits on their versions."""

    # ------------------------------------------------------------ bot output
    def add_bot_message(
        self, chat: ChatRecord, body: JsonDict, sent_markup: JsonDict | None = None
    ) -> JsonDict:
        """Store a message the bot sent and return its Telegram shape."""
        message: JsonDict = {
            "message_id": chat.take_message_id(),
            "from": self.bot_user,
            "chat": chat.chat,
            "date": int(time.time()),
        }
        if chat.chat["type"] == "channel":
            del message["from"]
            message["sender_chat"] = chat.chat
        message.update(body)
        if sent_markup is not None and "inline_keyboard" in sent_markup:
            if any(sent_markup["inline_keyboard"]):
                message["reply_markup"] = sent_markup
        elif sent_markup is not None:
            chat.reply_keyboard = None if "remove_keyboard" in sent_markup else sent_markup
        record = MessageRecord(
            message=message,
            from_bot=True,
            callback_data=callback_datas(message.get("reply_markup")),
            sent_markup=sent_markup,
        )
        mid = message["message_id"]
        chat.messages[mid] = record
        chat.bot_message_ids.append(mid)
        self.delivered_per_chat[chat.id] += 1
        self.counters["messages_total"] += 1
        self._bump(chat)
        return message

    def edit_bot_message(self, chat: ChatRecord, record: MessageRecord, message: JsonDict) -> None:
        """Replace a message's current state, keeping the old one in its history."""
        record.history.append(record.message)
        message["edit_date"] = int(time.time())
        record.message = message
        record.callback_data = callback_datas(message.get("reply_markup"))
        self.counters["edits_total"] += 1
        self._bump(chat)

    def delete_bot_message(self, chat: ChatRecord, record: MessageRecord) -> None:
        """Mark a message deleted; it stays readable with ``include_deleted``."""
        record.deleted = True
        record.callback_data = frozenset()
        self.counters["deleted_total"] += 1
        self._bump(chat)

    def record_callback_answer(self, record: CallbackRecord, answer: JsonDict) -> None:
        """Store the bot's answer and wake waiters of the chat it belongs to."""
        record.answer = answer
        self.counters["callback_answers"] += 1
        self.answer_signals.fire(record.query_id)
        chat = self.chats.get(record.chat_id if record.chat_id is not None else record.user_id)
        if chat is not None:
            chat.callback_answers[record.query_id] = answer
            self._bump(chat)

    # ------------------------------------------------------------------ reads
    def chat(self, chat_id: int, *, since_message_id: int = 0) -> JsonDict | None:
        """Snapshot of a chat: Telegram chat, version, blocked flag and bot messages."""
        chat = self.chats.get(chat_id)
        if chat is None:
            return None
        return {
            "chat": chat.chat,
            "version": chat.version,
            "blocked": chat.blocked,
            "reply_keyboard": chat.reply_keyboard,
            "chat_actions": dict(chat.chat_actions),
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
        """Newest inline button matching ``text`` (exact, else substring) plus message_id."""
        chat = self.chats.get(chat_id)
        if chat is None:
            return None
        ids = [message_id] if message_id is not None else reversed(chat.bot_message_ids)
        for mid in ids:
            record = chat.messages.get(mid)
            if record is None or record.deleted:
                continue
            markup = record.message.get("reply_markup")
            if callback_only and markup:
                markup = {
                    "inline_keyboard": [
                        [b for b in row if "callback_data" in b]
                        for row in markup["inline_keyboard"]
                    ]
                }
            button = find_button(markup, text)
            if button is not None:
                return {"message_id": mid, **button}
        return None

    def stats(self) -> JsonDict:
        """Counters for benchmarks and loss/duplication checks."""
        c = self.counters
        return {
            "messages_total": c["messages_total"],
            "messages_per_chat": dict(self.delivered_per_chat),
            "edits_total": c["edits_total"],
            "deleted_total": c["deleted_total"],
            "rate_limited": c["rate_limited"],
            "faults_injected": c["faults_injected"],
            "faults_by_kind": dict(self.faults_by_kind),
            "calls": dict(self.calls),
            "calls_ok": dict(self.calls_ok),
            "errors": dict(self.errors),
            "updates_created": c["updates_created"],
            "updates_filtered": c["updates_filtered"],
            "updates_confirmed": c["updates_confirmed"],
            "updates_pending": len(self.updates),
            "updates_returned": c["updates_returned"],
            "webhook_delivered": c["webhook_delivered"],
            "webhook_failed": c["webhook_failed"],
            "webhook_reply_errors": c["webhook_reply_errors"],
            "file_downloads": c["file_downloads"],
            "callback_queries": c["callback_queries"],
            "callback_answers": c["callback_answers"],
        }

    # ------------------------------------------------------------------ waits
