"""What every Bot API method shares: Telegram's limits and texts, and reading a request.

:class:`MethodGroup` turns :class:`Params` into checked chats, texts, captions, markup,
replies and files, raising :class:`ApiError` with the words Telegram would use.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sandbox.errors import bad_request, forbidden
from sandbox.jsontypes import JsonDict
from sandbox.telegram.formatting import parse_text
from sandbox.telegram.markup import validate_reply_markup
from sandbox.telegram.media import TYPE_NAMES, StoredFile, image_size
from sandbox.telegram.params import Params, Upload
from sandbox.telegram.records import ChatRecord, MessageRecord
from sandbox.telegram.sandbox import Sandbox
from sandbox.telegram.webhook import WebhookManager

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_TEXT = 200
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
COMMAND_SCOPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)
COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
COMPARED_FIELDS = ("text", "entities", "caption", "caption_entities", "reply_markup")
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to "
    "delete the webhook first"
)
POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot "
    "instance is running"
)
SEND_METHODS = frozenset({"sendmessage", "sendphoto", "senddocument"})

Handler = Callable[[Params], Awaitable[Any]]


@dataclass
class Described:
    """A successful result that Telegram accompanies with a ``description``."""

    result: Any
    description: str


class MethodGroup:
    """A group of Bot API methods over one sandbox; ``table()`` names them for dispatch."""

    def __init__(self, sandbox: Sandbox, webhook: WebhookManager) -> None:
        self.sb = sandbox
        self.webhook = webhook

    def table(self) -> dict[str, Handler]:
        """Lower-case method name -> handler."""
        raise NotImplementedError

    # ------------------------------------------------------------- helpers
    def _chat(self, p: Params, *, check_blocked: bool = True) -> ChatRecord:
        ref = p.chat_id_raw()
        if ref is None:
            raise bad_request("chat_id is empty")
        chat = self.sb.find_chat(ref)
        if chat is None:
            raise bad_request("chat not found")
        if check_blocked and chat.blocked:
            kind = chat.chat.get("type")
            if kind == "private":
                raise forbidden("bot was blocked by the user")
            if kind == "channel":
                raise forbidden("bot is not a member of the channel chat")
            raise forbidden(f"bot was kicked from the {kind} chat")
        return chat

    def _rate(self, chat: ChatRecord) -> None:
        error = self.sb.rate_limiter.check(chat.id, time.monotonic())
        if error is not None:
            self.sb.counters["rate_limited"] += 1
            raise error

    @staticmethod
    def _entities(p: Params, name: str) -> list[JsonDict] | None:
        raw = p.get_json(name, f"can't parse {name} JSON object")
        if raw is None:
            return None
        if not isinstance(raw, list) or not all(
            isinstance(e, dict) and {"type", "offset", "length"} <= e.keys() for e in raw
        ):
            raise bad_request(f"can't parse entities: {name} must be an Array of MessageEntity")
        return raw

    def _text(self, p: Params) -> tuple[str, list[JsonDict]]:
        raw = p.get_str("text")
        if not raw:
            raise bad_request("message text is empty")
        text, entities = parse_text(raw, p.get_str("parse_mode"), self._entities(p, "entities"))
        if not text:
            raise bad_request("message text is empty")
        if len(text) > MAX_TEXT:
            raise bad_request("message is too long")
        return text, entities

    def _caption(self, p: Params) -> JsonDict:
        raw = p.get_str("caption")
        if not raw:
            return {}
        text, entities = parse_text(
            raw, p.get_str("parse_mode"), self._entities(p, "caption_entities")
        )
        if len(text) > MAX_CAPTION:
            raise bad_request("message caption is too long")
        out: JsonDict = {}
        if text:
            out["caption"] = text
        if entities:
            out["caption_entities"] = entities
        return out

    @staticmethod
    def _markup(p: Params, *, inline_only: bool = False) -> JsonDict | None:
        raw = p.get_json("reply_markup", "can't parse reply keyboard markup JSON object")
        if raw is None:
            return None
        return validate_reply_markup(raw, inline_only=inline_only)

    @staticmethod
    def _reply(p: Params, chat: ChatRecord) -> JsonDict:
        params = p.get_json("reply_parameters", "can't parse reply parameters JSON object")
        allow = p.get_bool("allow_sending_without_reply")
        if isinstance(params, dict):
            target = params.get("message_id")
            allow = allow or bool(params.get("allow_sending_without_reply"))
        else:
            target = p.get_int("reply_to_message_id")
        if not target:
            return {}
        record = chat.messages.get(int(target))
        if record is None or record.deleted:
            if allow:
                return {}
            raise bad_request("message to be replied not found")
        return {
            "reply_to_message": {k: v for k, v in record.message.items() if k != "reply_to_message"}
        }

    @staticmethod
    def _editable(p: Params, chat: ChatRecord) -> MessageRecord:
        message_id = p.get_int("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        record = chat.messages.get(message_id)
        if record is None or record.deleted:
            raise bad_request("message to edit not found")
        if not record.from_bot:
            raise bad_request("message can't be edited")
        return record

    def _edit_target(self, p: Params) -> tuple[ChatRecord, MessageRecord]:
        if p.chat_id_raw() is None and "inline_message_id" in p:
            raise bad_request("MESSAGE_ID_INVALID")
        chat = self._chat(p)
        return chat, self._editable(p, chat)

    @staticmethod
    def _apply_markup(message: JsonDict, markup: JsonDict | None) -> None:
        if markup and any(markup.get("inline_keyboard", [])):
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)

    def _commit_edit(self, chat: ChatRecord, record: MessageRecord, new: JsonDict) -> JsonDict:
        if all(record.message.get(k) == new.get(k) for k in COMPARED_FIELDS):
            raise bad_request(NOT_MODIFIED)
        self.sb.edit_bot_message(chat, record, new)
        return new

    def _input_file(self, p: Params, name: str, kind: str) -> Upload | StoredFile:
        raw = p.raw(name)
        if isinstance(raw, str) and raw.startswith("attach://"):
            upload = p.uploads.get(raw[len("attach://") :])
            if upload is None:
                raise bad_request(f'can\'t find attached file "{raw}"')
            return upload
        if name in p.uploads:
            return p.uploads[name]
        if not isinstance(raw, str) or not raw.strip():
            raise bad_request(f"there is no {name} in the request")
        if raw.startswith(("http://", "https://")):
            raise bad_request("failed to get HTTP URL content")
        stored = self.sb.files.get(raw.strip())
        if stored is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        actual = "photo" if stored.kind == "thumbnail" else stored.kind
        if actual != kind and not (kind == "document" and actual == "sticker"):
            raise bad_request(f"can't use file of type {TYPE_NAMES[actual]} as {TYPE_NAMES[kind]}")
        return stored

    def _photo_sizes(self, source: Upload | StoredFile) -> list[JsonDict]:
        if isinstance(source, StoredFile):
            return self.sb.photo_groups.get(source.file_id) or [source.photo_size()]
        if not source.data:
            raise bad_request("file must be non-empty")
        size = image_size(source.data)
        if size is None:
            raise bad_request("IMAGE_PROCESS_FAILED")
        width, height = size
        if width + height > 10000 or width / max(height, 1) > 20 or height / max(width, 1) > 20:
            raise bad_request("PHOTO_INVALID_DIMENSIONS")
        files = self.sb.files
        sizes: list[JsonDict] = []
        if max(width, height) > 90:
            scale = 90 / max(width, height)
            thumb = files.add(
                "photo",
                source.data,
                width=max(1, round(width * scale)),
                height=max(1, round(height * scale)),
            )
            sizes.append(thumb.photo_size())
        sizes.append(files.add("photo", source.data, width=width, height=height).photo_size())
        for size_info in sizes:
            self.sb.photo_groups[size_info["file_id"]] = sizes
        return sizes
