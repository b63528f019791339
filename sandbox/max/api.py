"""The MAX Bot API's operations, by the names of its OpenAPI schema (``operationId``).

Each takes a :class:`Call` (query, JSON body, path parts) and returns the JSON answer or
raises :class:`MaxError`, so the HTTP layer and tests share one code path.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from multidict import MultiDict

from sandbox.jsontypes import JsonDict
from sandbox.max.body import MEDIA_TYPES, BodyBuilder
from sandbox.max.errors import bad_request, denied, not_found
from sandbox.max.records import MaxChatRecord, MaxMessageRecord, UploadedFile
from sandbox.max.sandbox import MaxSandbox

SUCCESS: JsonDict = {"success": True}
ACTIONS = frozenset(
    {"typing_on", "sending_photo", "sending_video", "sending_audio", "sending_file", "mark_seen"}
)


@dataclass
class Call:
    """One request as the operations see it."""

    query: MultiDict[str]
    body: Any = None
    path: dict[str, str] = field(default_factory=dict)
    base_url: str = ""

    def int_arg(
        self, name: str, default: int | None = None, lo: int = 0, hi: int = 2**63
    ) -> int | None:
        raw = self.query.get(name)
        if raw in (None, "", "null"):
            return default
        try:
            value = int(raw)
        except ValueError:
            raise bad_request(f"{name}: must be an integer") from None
        if not lo <= value <= hi:
            raise bad_request(f"{name}: must be between {lo} and {hi}")
        return value

    def required(self, name: str) -> str:
        value = self.query.get(name)
        if not value or not value.strip():
            raise bad_request(f"Required parameter {name!r} is missing")
        return value


Operation = Callable[[Call], Awaitable[JsonDict]]


class MaxApi:
    """The operations over one MAX stand-in."""

    def __init__(self, sandbox: MaxSandbox) -> None:
        self.sb = sandbox

    def table(self) -> dict[str, Operation]:
        return {
            "getmyinfo": self.get_my_info,
            "setcommands": self.set_commands,
            "getupdates": self.get_updates,
            "sendmessage": self.send_message,
            "editmessage": self.edit_message,
            "deletemessage": self.delete_message,
            "getmessages": self.get_messages,
            "getmessagebyid": self.get_message_by_id,
            "answeroncallback": self.answer_on_callback,
            "getuploadurl": self.get_upload_url,
            "getchats": self.get_chats,
            "getchat": self.get_chat,
            "sendaction": self.send_action,
            "getsubscriptions": self.get_subscriptions,
            "subscribe": self.subscribe,
            "unsubscribe": self.unsubscribe,
        }

    def builder(self, call: Call) -> BodyBuilder:
        return BodyBuilder(self.sb.uploads, f"{call.base_url}/_files")

    # ------------------------------------------------------------------ bot
    async def get_my_info(self, call: Call) -> JsonDict:
        commands = list(self.sb.bot_commands)
        return {**self.sb.bot_user, "description": None, "avatar_url": None, "commands": commands}

    async def set_commands(self, call: Call) -> JsonDict:
        """PATCH /me/commands: one list for the whole bot (MAX has no scopes); [] clears it."""
        body = call.body if isinstance(call.body, dict) else {}
        commands = body.get("commands")
        if commands is None:
            return {"commands": list(self.sb.bot_commands)}
        if not isinstance(commands, list) or len(commands) > 32:
            raise bad_request("commands: up to 32 commands are allowed")
        clean: list[JsonDict] = []
        for item in commands:
            name = item.get("name") if isinstance(item, dict) else None
            if not isinstance(name, str) or not name.strip():
                raise bad_request("commands: every command needs a name")
            clean.append({"name": name, "description": item.get("description")})
        self.sb.bot_commands = clean
        return {"commands": list(clean)}

    async def get_updates(self, call: Call) -> JsonDict:
        """Long polling: wait up to ``timeout`` s for updates from ``marker`` on."""
        sb = self.sb
        limit = call.int_arg("limit", 100, 1, 1000) or 100
        timeout = min(float(call.int_arg("timeout", 30, 0, 90) or 0), sb.config.max_long_poll)
        marker = call.int_arg("marker", None, 0)
        raw_types = ",".join(call.query.getall("types", []))
        types = frozenset(t for t in raw_types.split(",") if t) or None
        start = sb.confirm(marker)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            found, next_marker = sb.take_updates(start, limit, types)
            remaining = deadline - loop.time()
            if found or remaining <= 0 or sb.closing:
                break
            await sb.wait_updates(remaining)
        if marker is None:
            sb.cursor = max(sb.cursor, next_marker)
        return {"updates": found, "marker": next_marker}

    # ------------------------------------------------------------- messages
    def target_chat(self, call: Call) -> MaxChatRecord:
        """The chat of ``user_id=`` (the user's dialog) or ``chat_id=``."""
        user_id = call.int_arg("user_id", None, -(2**63))
        chat_id = call.int_arg("chat_id", None, -(2**63))
        if (user_id is None) == (chat_id is None):
            raise bad_request("Exactly one of user_id or chat_id is required")
        if user_id is not None:
            if user_id not in self.sb.users:
                raise not_found(f"User {user_id} not found", "user.not.found")
            chat_id = self.sb.private_chat_id(user_id)
        chat = self.sb.chats.get(chat_id) if chat_id is not None else None
        if chat is None:
            raise not_found(f"Chat {chat_id} not found", "chat.not.found")
        if chat.blocked:
            raise denied()
        return chat

    async def send_message(self, call: Call) -> JsonDict:
        chat = self.target_chat(call)
        body, fmt, source = self.builder(call).build(call.body)
        link = call.body.get("link") if isinstance(call.body, dict) else None
        record = self.sb.add_bot_message(chat, body, fmt, source)
        if isinstance(link, dict) and link.get("type") in ("reply", "forward"):
            linked = self.sb.find_mid(str(link.get("mid")))
            if linked is None:
                raise bad_request(f"link.mid: message {link.get('mid')!r} not found")
            record.message["link"] = {
                "type": link["type"],
                "sender": linked.message["sender"],
                "chat_id": linked.chat_id,
                "message": linked.body,
            }
        return {"message": record.message}

    def bot_message(self, call: Call) -> MaxMessageRecord:
        record = self.sb.find_mid(call.required("message_id"))
        if record is None or record.deleted:
            raise not_found("Message not found", "message.not.found")
        if not record.from_bot:
            raise denied("You can edit or delete only messages sent by the bot")
        return record

    async def edit_message(self, call: Call) -> JsonDict:
        record = self.bot_message(call)
        body, fmt, _source = self.builder(call).build(call.body, current=record.body)
        self.sb.edit_message(record, body, fmt)
        return SUCCESS

    async def delete_message(self, call: Call) -> JsonDict:
        self.sb.delete_message(self.bot_message(call))
        return SUCCESS

    async def get_messages(self, call: Call) -> JsonDict:
        count = call.int_arg("count", 50, 1, 100) or 50
        ids = [m for raw in call.query.getall("message_ids", []) for m in raw.split(",") if m]
        if ids:
            records = [r for r in map(self.sb.find_mid, ids) if r is not None and not r.deleted]
        else:
            chat_id = call.int_arg("chat_id", None, -(2**63))
            chat = self.sb.chats.get(chat_id) if chat_id is not None else None
            if chat is None:
                raise not_found(f"Chat {chat_id} not found", "chat.not.found")
            records = [r for r in reversed(chat.messages.values()) if not r.deleted][:count]
        return {"messages": [r.message for r in records]}

    async def get_message_by_id(self, call: Call) -> JsonDict:
        record = self.sb.find_mid(call.path["messageId"])
        if record is None or record.deleted:
            raise not_found("Message not found", "message.not.found")
        return record.message

    async def answer_on_callback(self, call: Call) -> JsonDict:
        """Answer a press: a one-off ``notification`` and/or a new ``message`` in its place."""
        sb = self.sb
        callback_id = call.required("callback_id")
        record = sb.callbacks.get(callback_id)
        if record is None:
            raise not_found(f"Callback {callback_id} not found", "callback.not.found")
        if time.monotonic() - record.created > sb.config.callback_ttl:
            raise bad_request("Callback is too old")
        raw = call.body if isinstance(call.body, dict) else None
        if raw is None or (raw.get("message") is None and raw.get("notification") is None):
            raise bad_request("Either message or notification is required")
        notification = raw.get("notification")
        if notification is not None and not isinstance(notification, str):
            raise bad_request("notification: must be a string")
        # "text" is the pop-up a person sees, under the key the Telegram stand-in uses too.
        answer: JsonDict = {
            "text": notification,
            "notification": notification,
            "message": raw.get("message"),
        }
        if raw.get("message") is not None:
            message = sb.chats[record.chat_id].messages[record.message_id]
            body, fmt, _ = self.builder(call).build(raw["message"], current=message.body)
            sb.edit_message(message, body, fmt)
        sb.record_callback_answer(record, answer)
        return SUCCESS

    # --------------------------------------------------------------- uploads
    async def get_upload_url(self, call: Call) -> JsonDict:
        kind = call.required("type")
        if kind not in MEDIA_TYPES:
            raise bad_request(f"type: must be one of {list(MEDIA_TYPES)}, got {kind!r}")
        sb = self.sb
        slot = UploadedFile(token=sb.next_token(kind[:3]), type=kind)
        if kind == "image":
            slot.photo_id = next(sb._tokens)
        sb.upload_slots[slot.token] = slot
        sb.uploads[slot.token] = slot
        base = sb.config.upload_host or call.base_url
        answer: JsonDict = {"url": f"{base}/_upload/{slot.token}"}
        if kind in ("video", "audio"):
            answer["token"] = slot.token
        return answer

    def receive_upload(
        self, slot_id: str, data: bytes, filename: str | None, ctype: str | None
    ) -> JsonDict:
        """The upload host's answer; the file becomes sendable after ``attachment_ready_after``."""
        sb = self.sb
        slot = sb.upload_slots.pop(slot_id, None)
        if slot is None:
            raise not_found("Upload URL is unknown or already used", "upload.not.found")
        if len(data) > sb.config.max_upload_bytes:
            raise bad_request("File is too large")
        slot.data, slot.filename, slot.content_type = data, filename, ctype
        slot.uploaded = True
        slot.ready_at = time.monotonic() + sb.config.attachment_ready_after
        sb.counters["uploads"] += 1
        if slot.type == "image":
            return {"photos": {str(slot.photo_id): {"token": slot.token}}}
        if slot.type == "file":
            return {"token": slot.token}
        return {"retval": "ok"}

    # ----------------------------------------------------------------- chats
    async def get_chats(self, call: Call) -> JsonDict:
        count = call.int_arg("count", 50, 1, 100) or 50
        chats = [c.chat for c in self.sb.chats.values() if c.chat["type"] != "dialog"]
        return {"chats": chats[:count], "marker": None}

    def chat_of_path(self, call: Call) -> MaxChatRecord:
        raw = call.path["chatId"]
        try:
            chat = self.sb.chats.get(int(raw))
        except ValueError:
            raise bad_request(f"chatId: must be an integer, got {raw!r}") from None
        if chat is None:
            raise not_found(f"Chat {raw} not found", "chat.not.found")
        return chat

    async def get_chat(self, call: Call) -> JsonDict:
        return self.chat_of_path(call).chat

    async def send_action(self, call: Call) -> JsonDict:
        chat = self.chat_of_path(call)
        action = call.body.get("action") if isinstance(call.body, dict) else None
        if action not in ACTIONS:
            raise bad_request(f"action: must be one of {sorted(ACTIONS)}")
        chat.actions[action] = chat.actions.get(action, 0) + 1
        self.sb._bump(chat)
        return SUCCESS

    # --------------------------------------------------------- subscriptions
    async def get_subscriptions(self, call: Call) -> JsonDict:
        return {"subscriptions": list(self.sb.subscriptions)}

    async def subscribe(self, call: Call) -> JsonDict:
        """Stored and listed; the stand-in delivers by long polling only."""
        raw = call.body if isinstance(call.body, dict) else {}
        url = raw.get("url")
        if not isinstance(url, str) or not url.startswith("https://"):
            raise bad_request("url: must be an https:// URL")
        self.sb.subscriptions = [s for s in self.sb.subscriptions if s["url"] != url]
        self.sb.subscriptions.append(
            {"url": url, "time": int(time.time() * 1000), "update_types": raw.get("update_types")}
        )
        return SUCCESS

    async def unsubscribe(self, call: Call) -> JsonDict:
        url = call.required("url")
        self.sb.subscriptions = [s for s in self.sb.subscriptions if s["url"] != url]
        return SUCCESS
