"""MAX updates as aiogram updates: the same inbox, unit of work and handlers take them.

bot_started (a deep link ``https://max.ru/<bot>?start=<payload>``, or Start) becomes the
message ``/start <payload>``; message_created a message; message_callback a callback query
whose data is the button's payload. Ids are written in MAX's part of the address space
(core.channels); a MAX update's id is derived from what identifies it (its mid, its
callback id), so a second delivery of the same update gets the same id and the inbox and
the unit of work apply it once. Updates of group chats and channels are not for this bot.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from aiogram import Bot
from aiogram.types import Update

from bot.max.ids import MessageIds
from core.channels import MAX_UPDATE_BASE, Channel, address

JsonDict = dict[str, Any]
_HASH_BITS = 20
_TIME_MASK = (1 << 41) - 1  # milliseconds: until 2039
FILE_URLS = 1000


def update_id(update: JsonDict) -> int:
    """Stable for the same MAX update: its time and a hash of what identifies it."""
    kind = str(update.get("update_type"))
    if kind == "message_callback":
        identity = str((update.get("callback") or {}).get("callback_id"))
    elif kind == "message_created":
        identity = str(((update.get("message") or {}).get("body") or {}).get("mid"))
    else:
        user = (update.get("user") or {}).get("user_id")
        identity = f"{user}:{update.get('payload')}"
    digest = hashlib.sha256(f"{kind}|{identity}".encode()).digest()
    low = int.from_bytes(digest[:4], "big") & ((1 << _HASH_BITS) - 1)
    stamp = int(update.get("timestamp") or 0) & _TIME_MASK
    return MAX_UPDATE_BASE + (stamp << _HASH_BITS) + low


def _user(user: JsonDict, locale: str | None) -> JsonDict:
    found: JsonDict = {
        "id": address(Channel.MAX, int(user["user_id"])),
        "is_bot": bool(user.get("is_bot")),
        "first_name": str(user.get("first_name") or user.get("name") or ""),
    }
    if user.get("last_name"):
        found["last_name"] = str(user["last_name"])
    if user.get("username"):
        found["username"] = str(user["username"])
    if locale:
        found["language_code"] = locale.split("-")[0]
    return found


def _files(attachments: Sequence[JsonDict], urls: dict[str, str]) -> JsonDict:
    """A person's file or picture as Telegram's document or photo; its id is MAX's token."""
    for attachment in attachments:
        payload = attachment.get("payload") or {}
        token = payload.get("token")
        if not token:
            continue
        if payload.get("url"):
            urls[str(token)] = str(payload["url"])
            while len(urls) > FILE_URLS:
                urls.pop(next(iter(urls)))
        if attachment.get("type") == "file":
            document = {"file_id": token, "file_unique_id": token}
            if attachment.get("filename"):
                document["file_name"] = attachment["filename"]
            if attachment.get("size") is not None:
                document["file_size"] = int(attachment["size"])
            return {"document": document}
        if attachment.get("type") == "image":
            photo = {"file_id": token, "file_unique_id": token, "width": 0, "height": 0}
            return {"photo": [photo]}
    return {}


class UpdateTranslator:
    """Turns a batch of MAX updates into aiogram updates (message ids paired on the way)."""

    def __init__(self, ids: MessageIds) -> None:
        self.ids = ids
        # token → download address, for bot.download: the last few only (a document is
        # downloaded right after it arrives; after a restart the token alone is kept)
        self.file_urls: OrderedDict[str, str] = OrderedDict()

    async def translate(self, bot: Bot, updates: Sequence[JsonDict]) -> list[Update]:
        mids = [
            str(body["mid"])
            for update in updates
            if (body := (update.get("message") or {}).get("body")) and body.get("mid")
        ]
        numbers = await self.ids.numbers(mids) if mids else {}
        found: list[Update] = []
        for update in updates:
            payload = self._one(update, numbers)
            if payload is not None:
                found.append(Update.model_validate(payload, context={"bot": bot}))
        return found

    def _message(
        self, message: JsonDict, numbers: dict[str, int], sender: JsonDict | None
    ) -> JsonDict | None:
        recipient = message.get("recipient") or {}
        if recipient.get("chat_type", "dialog") != "dialog":
            return None
        body = message.get("body") or {}
        user = sender or _user(message.get("sender") or {}, None)
        chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        found: JsonDict = {
            "message_id": numbers.get(str(body.get("mid")), 0),
            "date": int(message.get("timestamp") or 0) // 1000,
            "chat": chat,
        }
        files = _files(body.get("attachments") or [], self.file_urls)
        text = body.get("text")
        if files:
            found.update(files)
            if text:
                found["caption"] = text
        elif text is not None:
            found["text"] = text
        return found

    def _one(self, update: JsonDict, numbers: dict[str, int]) -> JsonDict | None:
        kind = update.get("update_type")
        locale = update.get("user_locale")
        if kind == "bot_started":
            user = _user(update["user"], locale)
            payload = str(update.get("payload") or "").strip()
            chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
            message: JsonDict = {
                "message_id": 0,
                "date": int(update.get("timestamp") or 0) // 1000,
                "chat": chat,
                "from": user,
                "text": f"/start {payload}" if payload else "/start",
            }
            return {"update_id": update_id(update), "message": message}
        if kind == "message_created":
            raw = update.get("message") or {}
            sender = raw.get("sender") or {}
            if sender.get("is_bot") or "user_id" not in sender:
                return None
            user = _user(sender, locale)
            said = self._message(raw, numbers, user)
            if said is None:
                return None
            return {"update_id": update_id(update), "message": {**said, "from": user}}
        if kind == "message_callback":
            callback = update.get("callback") or {}
            user = _user(callback["user"], locale)
            pressed = self._message(update.get("message") or {}, numbers, user)
            query: JsonDict = {
                "id": str(callback["callback_id"]),
                "from": user,
                "chat_instance": "max",
                "data": str(callback.get("payload") or ""),
            }
            if pressed is not None:
                query["message"] = pressed
            return {"update_id": update_id(update), "callback_query": query}
        return None
