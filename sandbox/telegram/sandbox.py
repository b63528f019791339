"""The Telegram stand-in, complete: people writing, editing and pressing buttons.

:class:`Sandbox` is the world (``world``), the bot's output and reads (``views``) and the
injection of what simulated people do; the HTTP server (``server``) serves it.
"""

from __future__ import annotations

import base64
import time
from typing import Any

from sandbox.errors import ControlError
from sandbox.jsontypes import JsonDict
from sandbox.telegram.formatting import command_entities
from sandbox.telegram.media import STUB_PNG, StoredFile, image_size
from sandbox.telegram.records import CallbackRecord, ChatRecord, MessageRecord
from sandbox.telegram.views import ChatViews


def _b64(value: Any) -> bytes | None:
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, dict):
        if isinstance(value.get("data"), bytes | bytearray):
            return bytes(value["data"])
        if isinstance(value.get("base64"), str):
            return base64.b64decode(value["base64"])
    return None


class Sandbox(ChatViews):
    """In-process fake of Telegram: the state behind the Bot API and the control API."""

    def _store_user_photo(self, photo: Any) -> list[JsonDict]:
        data = _b64(photo) or STUB_PNG
        size = image_size(data) or (1, 1)
        stored = self.files.add("photo", data, width=size[0], height=size[1])
        sizes = [stored.photo_size()]
        self.photo_groups[stored.file_id] = sizes
        return sizes

    def _store_user_file(self, kind: str, spec: Any, default_name: str) -> StoredFile:
        data = _b64(spec) or b"sandbox stub file\n"
        name = default_name
        mime: str | None = None
        if isinstance(spec, dict):
            name = spec.get("file_name") or name
            mime = spec.get("mime_type")
        return self.files.add(kind, data, file_name=name, mime_type=mime)

    def inject_message(
        self,
        user_id: int,
        text: str | None = None,
        *,
        chat_id: int | None = None,
        chat_type: str = "private",
        chat_title: str | None = None,
        username: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        language_code: str | None = None,
        entities: list[JsonDict] | None = None,
        sticker: str | bool | None = None,
        photo: Any = None,
        document: Any = None,
        contact: JsonDict | None = None,
        location: JsonDict | None = None,
        caption: str | None = None,
        reply_to_message_id: int | None = None,
    ) -> JsonDict:
        """Simulate a user writing to the bot; returns ``{"update", "message"}``.

        Private chat id == user id.  A user who had blocked the bot unblocks it by writing
        (Telegram emits my_chat_member first, and so does the sandbox).
        """
        user = self._ensure_user(
            user_id,
            username=username,
            first_name=first_name,
            last_name=last_name,
            language_code=language_code,
        )
        chat = self._chat_written_to(user, chat_id, chat_type, chat_title)
        message = self._new_user_message(chat, user, reply_to_message_id)
        content: JsonDict = {}
        if text is not None:
            content["text"] = text
            found = entities if entities is not None else command_entities(text)
            if found:
                content["entities"] = found
        content.update(self._media_content(sticker, photo, document))
        if contact is not None:
            content["contact"] = _shared_contact(contact, user)
        if location is not None:
            content["location"] = {
                "latitude": float(location["latitude"]),
                "longitude": float(location["longitude"]),
            }
        if not content:
            raise ControlError("nothing to send: give text, sticker, photo, document, ...")
        message.update(content)
        if caption is not None and ("photo" in message or "document" in message):
            message["caption"] = caption
        chat.messages[message["message_id"]] = MessageRecord(message=message, from_bot=False)
        self._bump(chat)
        kind = "channel_post" if chat.chat["type"] == "channel" else "message"
        update = self.enqueue({kind: message})
        return {"update": update, "message": message}

    def _chat_written_to(
        self, user: JsonDict, chat_id: int | None, chat_type: str, chat_title: str | None
    ) -> ChatRecord:
        """The private chat (unblocking the bot) or the group the user writes in."""
        user_id = int(user["id"])
        if chat_type == "private":
            if chat_id is not None and chat_id != user_id:
                raise ControlError("a private chat's id equals the user id")
            chat = self._private_chat(user)
            if chat.blocked:
                self.block_user(user_id, False)
            return chat
        if chat_id is None:
            chat_id = -user_id if chat_type == "group" else -(10**12 + user_id)
        self.create_chat(chat_id, chat_type, title=chat_title)
        return self.chats[chat_id]

    def _new_user_message(
        self, chat: ChatRecord, user: JsonDict, reply_to_message_id: int | None
    ) -> JsonDict:
        message: JsonDict = {
            "message_id": chat.take_message_id(),
            "date": int(time.time()),
            "chat": chat.chat,
        }
        if chat.chat["type"] == "channel":
            message["sender_chat"] = chat.chat
        else:
            message["from"] = user
        if reply_to_message_id is not None:
            replied = chat.messages.get(reply_to_message_id)
            if replied is not None and not replied.deleted:
                message["reply_to_message"] = _without_reply(replied.message)
        return message

    def _media_content(self, sticker: str | bool | None, photo: Any, document: Any) -> JsonDict:
        """The sticker, photo and document parts of a user's message, files stored."""
        content: JsonDict = {}
        if sticker is not None and sticker is not False:
            stored = self.files.add("sticker", STUB_PNG, width=512, height=512)
            content["sticker"] = {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "file_size": stored.size,
                "emoji": sticker if isinstance(sticker, str) else "🙂",
            }
        if photo is not None and photo is not False:
            content["photo"] = self._store_user_photo(photo)
        if document is not None and document is not False:
            content["document"] = self._store_user_file(
                "document", document, "document.txt"
            ).document()
        return content

    def inject_edited_message(
        self,
        user_id: int,
        message_id: int,
        text: str | None = None,
        *,
        caption: str | None = None,
        chat_id: int | None = None,
    ) -> JsonDict:
        """Simulate the user editing their earlier message (edited_message update)."""
        chat = self.chats.get(chat_id if chat_id is not None else user_id)
        record = chat.messages.get(message_id) if chat is not None else None
        if chat is None or record is None or record.from_bot:
            raise ControlError(f"no user message {message_id} in chat {chat_id or user_id}", 404)
        record.history.append(record.message)
        message = dict(record.message)
        if text is not None:
            message["text"] = text
            found = command_entities(text)
            if found:
                message["entities"] = found
            else:
                message.pop("entities", None)
        if caption is not None:
            message["caption"] = caption
        message["edit_date"] = int(time.time())
        record.message = message
        self._bump(chat)
        kind = "edited_channel_post" if chat.chat["type"] == "channel" else "edited_message"
        update = self.enqueue({kind: message})
        return {"update": update, "message": message}

    def inject_callback(
        self,
        user_id: int,
        message_id: int,
        data: str,
        *,
        chat_id: int | None = None,
        force: bool = False,
    ) -> JsonDict:
        """Simulate pressing an inline button; returns ``{"update", "callback_query"}``.

        Refuses data that the message's keyboard does not contain unless ``force``.
        """
        chat_id = chat_id if chat_id is not None else user_id
        chat = self.chats.get(chat_id)
        record = chat.messages.get(message_id) if chat is not None else None
        if not force:
            if chat is None:
                raise ControlError(f"chat {chat_id} not found", 404)
            if record is None or record.deleted:
                raise ControlError(f"message {message_id} not found in chat {chat_id}", 404)
            if not record.from_bot:
                raise ControlError(f"message {message_id} was not sent by the bot")
            if data not in record.callback_data:
                raise ControlError(
                    f"message {message_id} has no button with callback_data {data!r}"
                )
        user = self._ensure_user(user_id)
        query_id = str(4_000_000_000_000_000 + next(self._query_ids) * 7919)
        query: JsonDict = {"id": query_id, "from": user, "data": data}
        if chat is not None:
            query["chat_instance"] = chat.chat_instance
            if record is not None and not record.deleted:
                query["message"] = dict(record.message)
            else:
                query["message"] = {"chat": chat.chat, "message_id": message_id, "date": 0}
        else:
            query["chat_instance"] = str(-chat_id)
        self.callbacks[query_id] = CallbackRecord(
            query_id, user_id, chat.id if chat else None, message_id, data, time.monotonic()
        )
        self.counters["callback_queries"] += 1
        update = self.enqueue({"callback_query": query})
        return {"update": update, "callback_query": query, "query_id": query_id}

    def press_button(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        message_id: int | None = None,
    ) -> JsonDict:
        """Find a callback button by (partial) text in the chat and press it."""
        chat_id = chat_id if chat_id is not None else user_id
        found = self.find_button(chat_id, text, message_id=message_id, callback_only=True)
        if found is None:
            raise ControlError(f"no callback button matching {text!r} in chat {chat_id}", 404)
        return self.inject_callback(
            user_id, found["message_id"], found["callback_data"], chat_id=chat_id
        )

    def inject_start(
        self,
        user_id: int,
        payload: str | None = None,
        *,
        username: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        language_code: str | None = None,
    ) -> JsonDict:
        """A user opens ``deep_link(payload)`` and presses Start: ``/start <payload>``.

        The MAX stand-in answers the same call with a ``bot_started`` update.
        """
        text = f"/start {payload}" if payload else "/start"
        injected = self.inject_message(
            user_id,
            text,
            username=username,
            first_name=first_name,
            last_name=last_name,
            language_code=language_code,
        )
        return {**injected, "chat_id": user_id}

    def private_chat_id(self, user_id: int) -> int:
        """The chat_id of a user's private chat with the bot (Telegram: the user id)."""
        return user_id

    def deep_link(self, payload: str | None = None) -> str:
        """What a person opens to start the bot: ``https://t.me/<bot>?start=<payload>``."""
        link = f"https://t.me/{self.config.bot_username}"
        return f"{link}?start={payload}" if payload else link

    def inject_update(self, update: JsonDict) -> JsonDict:
        """Queue an arbitrary update (fuzzing); update_id is always assigned fresh."""
        if not isinstance(update, dict):
            raise ControlError("update must be an object")
        queued = self.enqueue(update, raw=True)
        assert queued is not None
        return queued


def _shared_contact(contact: JsonDict, user: JsonDict) -> JsonDict:
    """A contact card as Telegram shows it; the sender's own unless told otherwise."""
    shared: JsonDict = {
        "phone_number": str(contact.get("phone_number", "+70000000000")),
        "first_name": contact.get("first_name", user["first_name"]),
        **{k: v for k, v in contact.items() if k in ("last_name", "vcard")},
    }
    owner = contact.get("user_id", user["id"])
    if owner is not None:
        shared["user_id"] = owner
    return shared


def _without_reply(message: JsonDict) -> JsonDict:
    return {k: v for k, v in message.items() if k != "reply_to_message"}
