"""The MAX stand-in, complete: people starting the bot, writing and pressing buttons.

Injections mirror the Telegram stand-in's (``inject_message``, ``inject_start``,
``inject_callback``, ``press_button``, ``inject_edited_message``, ``inject_update``) and
return the update the bot will receive, so one scenario drives either channel.
"""

from __future__ import annotations

import base64
import time
from typing import Any

from sandbox.errors import ControlError
from sandbox.jsontypes import JsonDict
from sandbox.max.records import MaxCallbackRecord, MaxChatRecord, UploadedFile
from sandbox.max.views import MaxViews


def _bytes(value: Any) -> bytes:
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, dict):
        if isinstance(value.get("data"), bytes | bytearray):
            return bytes(value["data"])
        if isinstance(value.get("base64"), str):
            return base64.b64decode(value["base64"])
    return b"sandbox stub file\n"


class MaxSandbox(MaxViews):
    """In-process fake of MAX: the state behind the Bot API and the control API."""

    def _user_chat(self, user: JsonDict, chat_id: int | None) -> MaxChatRecord:
        """The user's dialog (restarting a stopped bot) or the group chat they write in."""
        if chat_id is None or chat_id == self.private_chat_id(int(user["user_id"])):
            chat = self._dialog(user)
            if chat.blocked:
                self.block_user(int(user["user_id"]), False)
            return chat
        group = self.chats.get(chat_id)
        if group is None:
            raise ControlError(f"chat {chat_id} not found; create_chat it first", 404)
        return group

    def _user_file(self, kind: str, spec: Any, default_name: str) -> JsonDict:
        stored = UploadedFile(
            token=self.next_token("usr"),
            type=kind,
            data=_bytes(spec),
            filename=(spec.get("file_name") if isinstance(spec, dict) else None) or default_name,
            uploaded=True,
            photo_id=next(self._tokens) if kind == "image" else None,
        )
        self.uploads[stored.token] = stored
        payload: JsonDict = {
            "url": f"{self.files_base}/_files/{stored.token}",
            "token": stored.token,
        }
        if kind == "image":
            return {"type": "image", "payload": {**payload, "photo_id": stored.photo_id}}
        return {
            "type": "file",
            "payload": payload,
            "filename": stored.filename,
            "size": stored.size,
        }

    def _attachments(
        self,
        photo: Any,
        document: Any,
        contact: JsonDict | None,
        location: JsonDict | None,
        user: JsonDict,
    ) -> list[JsonDict]:
        found: list[JsonDict] = []
        if photo is not None and photo is not False:
            found.append(self._user_file("image", photo, "photo.png"))
        if document is not None and document is not False:
            found.append(self._user_file("file", document, "document.txt"))
        if contact is not None:
            phone = str(contact.get("phone_number", "+70000000000"))
            name = contact.get("first_name", user["first_name"])
            vcf = f"BEGIN:VCARD\nVERSION:3.0\nFN:{name}\nTEL;TYPE=cell:{phone}\nEND:VCARD"
            found.append({"type": "contact", "payload": {"vcf_info": vcf, "max_info": user}})
        if location is not None:
            found.append(
                {
                    "type": "location",
                    "latitude": float(location["latitude"]),
                    "longitude": float(location["longitude"]),
                }
            )
        return found

    def inject_message(
        self,
        user_id: int,
        text: str | None = None,
        *,
        chat_id: int | None = None,
        username: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        language_code: str | None = None,
        photo: Any = None,
        document: Any = None,
        contact: JsonDict | None = None,
        location: JsonDict | None = None,
        reply_to_message_id: int | None = None,
    ) -> JsonDict:
        """A user writes to the bot: a ``message_created`` update; ``{"update", "message"}``."""
        user = self._ensure_user(
            user_id, username=username, first_name=first_name, last_name=last_name
        )
        chat = self._user_chat(user, chat_id)
        attachments = self._attachments(photo, document, contact, location, user)
        if text is None and not attachments:
            raise ControlError("nothing to send: give text, photo, document, contact, location")
        record = self.new_message(
            chat,
            user,
            {"text": text or "", "attachments": attachments, "markup": []},
            from_bot=False,
        )
        if reply_to_message_id is not None and reply_to_message_id in chat.messages:
            replied = chat.messages[reply_to_message_id]
            record.message["link"] = {
                "type": "reply",
                "sender": replied.message["sender"],
                "chat_id": chat.id,
                "message": replied.body,
            }
        self._bump(chat)
        update = self.enqueue(
            "message_created", {"message": record.message, "user_locale": language_code or "ru"}
        )
        return {"update": update, "message": record.view()}

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
        """A user opens ``deep_link(payload)`` and presses Start: ``bot_started``."""
        user = self._ensure_user(
            user_id, username=username, first_name=first_name, last_name=last_name
        )
        chat = self._user_chat(user, None)
        fields: JsonDict = {"chat_id": chat.id, "user": user, "user_locale": language_code or "ru"}
        if payload is not None:
            fields["payload"] = payload
        self._bump(chat)
        return {"update": self.enqueue("bot_started", fields), "chat_id": chat.id}

    inject_bot_started = inject_start

    def inject_edited_message(
        self,
        user_id: int,
        message_id: int,
        text: str | None = None,
        *,
        caption: str | None = None,
        chat_id: int | None = None,
    ) -> JsonDict:
        """The user edits an earlier message of theirs: ``message_edited``."""
        chat = self.chats.get(chat_id if chat_id is not None else self.private_chat_id(user_id))
        record = chat.messages.get(message_id) if chat is not None else None
        if chat is None or record is None or record.from_bot:
            raise ControlError(f"no user message {message_id} in chat {chat_id}", 404)
        record.history.append(record.message)
        new_text = text if text is not None else caption
        record.message = {**record.message, "body": {**record.body, "text": new_text or ""}}
        self._bump(chat)
        update = self.enqueue("message_edited", {"message": record.message})
        return {"update": update, "message": record.view()}

    def inject_callback(
        self,
        user_id: int,
        message_id: int,
        data: str,
        *,
        chat_id: int | None = None,
        force: bool = False,
    ) -> JsonDict:
        """A user presses a callback button: ``message_callback`` with its ``payload``.

        Refuses a payload the message's keyboard does not have unless ``force``.
        """
        chat_id = chat_id if chat_id is not None else self.private_chat_id(user_id)
        chat = self.chats.get(chat_id)
        record = chat.messages.get(message_id) if chat is not None else None
        if chat is None or record is None or record.deleted:
            raise ControlError(f"message {message_id} not found in chat {chat_id}", 404)
        if not force and (not record.from_bot or data not in record.callback_payloads()):
            raise ControlError(f"message {message_id} has no callback button with payload {data!r}")
        user = self._ensure_user(user_id)
        callback_id = f"cb.{next(self._callback_ids):012d}.sbx"
        callback = {
            "timestamp": int(time.time() * 1000),
            "callback_id": callback_id,
            "payload": data,
            "user": user,
        }
        self.callbacks[callback_id] = MaxCallbackRecord(
            callback_id, user_id, chat.id, message_id, data, time.monotonic()
        )
        self.counters["callback_queries"] += 1
        update = self.enqueue(
            "message_callback",
            {"callback": callback, "message": record.message, "user_locale": "ru"},
        )
        return {"update": update, "callback": callback, "query_id": callback_id}

    def press_button(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        message_id: int | None = None,
    ) -> JsonDict:
        """Find a callback button by (partial) text in the chat and press it."""
        chat_id = chat_id if chat_id is not None else self.private_chat_id(user_id)
        found = self.find_button(chat_id, text, message_id=message_id, callback_only=True)
        if found is None:
            raise ControlError(f"no callback button matching {text!r} in chat {chat_id}", 404)
        return self.inject_callback(user_id, found["message_id"], found["payload"], chat_id=chat_id)

    def inject_update(self, update: JsonDict) -> JsonDict:
        """Queue an arbitrary update (fuzzing); ``timestamp`` is filled in when absent."""
        if not isinstance(update, dict) or not isinstance(update.get("update_type"), str):
            raise ControlError("update must be an object with update_type")
        fields = {k: v for k, v in update.items() if k not in ("update_type", "timestamp")}
        return self.enqueue(update["update_type"], fields)
