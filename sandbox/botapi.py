"""Bot API method implementations on top of :class:`sandbox.core.Sandbox`.

Each handler takes :class:`Params` and returns the ``result`` value (or raises
:class:`ApiError`), so the HTTP layer, webhook replies and tests share one code path.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from itertools import islice
from typing import Any

from sandbox.core import ChatRecord, JsonDict, MessageRecord, Sandbox
from sandbox.errors import ApiError, bad_request, forbidden
from sandbox.formatting import parse_text
from sandbox.markup import validate_reply_markup
from sandbox.media import MAX_DOWNLOAD_BYTES, TYPE_NAMES, StoredFile, image_size
from sandbox.params import Params, Upload

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
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_COMPARED = ("text", "entities", "caption", "caption_entities", "reply_markup")
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


class BotApi:
    """Dispatch table of implemented Bot API methods (names are case-insensitive)."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sb = sandbox
        self.methods: dict[str, Handler] = {
            "getme": self.get_me,
            "getupdates": self.get_updates,
            "setwebhook": self.set_webhook,
            "deletewebhook": self.delete_webhook,
            "getwebhookinfo": self.get_webhook_info,
            "sendmessage": self.send_message,
            "editmessagetext": self.edit_message_text,
            "editmessagecaption": self.edit_message_caption,
            "editmessagereplymarkup": self.edit_message_reply_markup,
            "deletemessage": self.delete_message,
            "answercallbackquery": self.answer_callback_query,
            "sendphoto": self.send_photo,
            "senddocument": self.send_document,
            "getfile": self.get_file,
            "sendchataction": self.send_chat_action,
            "setmycommands": self.set_my_commands,
            "getmycommands": self.get_my_commands,
            "deletemycommands": self.delete_my_commands,
            "setchatmenubutton": self.set_chat_menu_button,
            "getchatmenubutton": self.get_chat_menu_button,
            "setmydescription": self._setter("description"),
            "getmydescription": self._getter("description"),
            "setmyshortdescription": self._setter("short_description"),
            "getmyshortdescription": self._getter("short_description"),
            "setmyname": self._setter("name"),
            "getmyname": self._getter("name"),
            "getchat": self.get_chat,
            "close": self.ok,
            "logout": self.ok,
        }

    async def call(self, method: str, params: Params) -> Any:
        """Run one method; raises ApiError exactly as the HTTP endpoint would answer."""
        handler = self.methods.get(method.lower())
        if handler is None:
            raise ApiError(404, "Not Found: method not found")
        return await handler(params)

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
        if all(record.message.get(k) == new.get(k) for k in _COMPARED):
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

    # ------------------------------------------------------------ methods
    async def ok(self, p: Params) -> bool:
        """close / logOut: nothing to do locally."""
        return True

    async def get_me(self, p: Params) -> JsonDict:
        return {
            **self.sb.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def get_updates(self, p: Params) -> list[JsonDict]:
        sb = self.sb
        if sb.webhook is not None and sb.webhook.active:
            raise ApiError(409, WEBHOOK_CONFLICT)
        offset = p.get_int("offset")
        limit = p.get_int("limit") or 100
        limit = min(100, max(1, limit))
        timeout = min(p.get_float("timeout") or 0.0, sb.config.max_long_poll)
        allowed = p.get_json("allowed_updates", "can't parse allowed updates")
        if allowed is not None:
            if not isinstance(allowed, list) or not all(isinstance(a, str) for a in allowed):
                raise bad_request("allowed_updates must be an Array of String")
            sb.set_allowed_updates(allowed)
        sb.confirm_updates(offset)
        sb.poll_generation += 1
        generation = sb.poll_generation
        sb.wake_pollers()  # an older long poll gets 409, like Telegram
        deadline = time.monotonic() + max(0.0, timeout)
        while not sb.updates and not sb.closing:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            await sb.wait_updates(remaining)
            if generation != sb.poll_generation:
                raise ApiError(409, POLL_CONFLICT)
            if sb.webhook is not None and sb.webhook.active:
                raise ApiError(409, WEBHOOK_CONFLICT)
        result = list(islice(sb.updates.values(), limit))
        sb.counters["updates_returned"] += len(result)
        return result

    async def set_webhook(self, p: Params) -> Described:
        sb = self.sb
        assert sb.webhook is not None
        url = (p.get_str("url") or "").strip()
        drop = p.get_bool("drop_pending_updates")
        if not url:
            sb.webhook.delete(drop_pending=drop)
            return Described(True, "Webhook was deleted")
        if not re.match(r"https?://[^/\s]+", url):
            raise bad_request(
                "bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443"
            )
        secret = p.get_str("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise bad_request("secret token contains unallowed characters")
        max_connections = p.get_int("max_connections") or 40
        if not 1 <= max_connections <= 100:
            raise bad_request("bad webhook: max_connections must be between 1 and 100")
        allowed = p.get_json("allowed_updates", "can't parse allowed updates")
        if allowed is not None and not isinstance(allowed, list):
            raise bad_request("allowed_updates must be an Array of String")
        sb.set_allowed_updates(allowed)
        existed = sb.webhook.url == url
        sb.webhook.set(
            url,
            secret_token=secret,
            max_connections=max_connections,
            drop_pending=drop,
            ip_address=p.get_str("ip_address"),
        )
        return Described(True, "Webhook is already set" if existed else "Webhook was set")

    async def delete_webhook(self, p: Params) -> Described:
        assert self.sb.webhook is not None
        existed = self.sb.webhook.active
        self.sb.webhook.delete(drop_pending=p.get_bool("drop_pending_updates"))
        return Described(True, "Webhook was deleted" if existed else "Webhook is already deleted")

    async def get_webhook_info(self, p: Params) -> JsonDict:
        assert self.sb.webhook is not None
        return self.sb.webhook.info()

    async def send_message(self, p: Params) -> JsonDict:
        chat = self._chat(p)
        text, entities = self._text(p)
        markup = self._markup(p)
        body: JsonDict = {"text": text}
        if entities:
            body["entities"] = entities
        body.update(self._reply(p, chat))
        self._rate(chat)
        return self.sb.add_bot_message(chat, body, markup)

    async def edit_message_text(self, p: Params) -> JsonDict:
        chat, record = self._edit_target(p)
        if "text" not in record.message:
            raise bad_request("there is no text in the message to edit")
        text, entities = self._text(p)
        new = dict(record.message)
        new["text"] = text
        if entities:
            new["entities"] = entities
        else:
            new.pop("entities", None)
        self._apply_markup(new, self._markup(p, inline_only=True))
        if all(record.message.get(k) == new.get(k) for k in _COMPARED):
            raise bad_request(NOT_MODIFIED)
        self._rate(chat)
        return self._commit_edit(chat, record, new)

    async def edit_message_caption(self, p: Params) -> JsonDict:
        chat, record = self._edit_target(p)
        if "text" in record.message:
            raise bad_request("there is no caption in the message to edit")
        new = {k: v for k, v in record.message.items() if k not in ("caption", "caption_entities")}
        new.update(self._caption(p))
        self._apply_markup(new, self._markup(p, inline_only=True))
        if all(record.message.get(k) == new.get(k) for k in _COMPARED):
            raise bad_request(NOT_MODIFIED)
        self._rate(chat)
        return self._commit_edit(chat, record, new)

    async def edit_message_reply_markup(self, p: Params) -> JsonDict:
        chat, record = self._edit_target(p)
        new = dict(record.message)
        self._apply_markup(new, self._markup(p, inline_only=True))
        return self._commit_edit(chat, record, new)

    async def delete_message(self, p: Params) -> bool:
        chat = self._chat(p)
        message_id = p.get_int("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        record = chat.messages.get(message_id)
        if record is None or record.deleted:
            raise bad_request("message to delete not found")
        self.sb.delete_bot_message(chat, record)
        return True

    async def answer_callback_query(self, p: Params) -> bool:
        query_id = p.get_str("callback_query_id") or ""
        record = self.sb.callbacks.get(query_id)
        if (
            record is None
            or record.answer is not None
            or time.monotonic() - record.created > self.sb.config.callback_ttl
        ):
            raise bad_request(QUERY_TOO_OLD)
        text = p.get_str("text")
        if text is not None and len(text) > MAX_CALLBACK_TEXT:
            raise bad_request("MESSAGE_TOO_LONG")
        answer: JsonDict = {
            "text": text,
            "show_alert": p.get_bool("show_alert"),
            "url": p.get_str("url"),
            "cache_time": p.get_int("cache_time") or 0,
        }
        self.sb.record_callback_answer(record, answer)
        return True

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

    async def send_photo(self, p: Params) -> JsonDict:
        chat = self._chat(p)
        source = self._input_file(p, "photo", "photo")
        caption = self._caption(p)
        markup = self._markup(p)
        reply = self._reply(p, chat)
        self._rate(chat)
        body: JsonDict = {"photo": self._photo_sizes(source), **caption, **reply}
        return self.sb.add_bot_message(chat, body, markup)

    async def send_document(self, p: Params) -> JsonDict:
        chat = self._chat(p)
        source = self._input_file(p, "document", "document")
        caption = self._caption(p)
        markup = self._markup(p)
        reply = self._reply(p, chat)
        if isinstance(source, Upload):
            if not source.data:
                raise bad_request("file must be non-empty")
        self._rate(chat)
        if isinstance(source, Upload):
            mime = source.content_type
            if mime in (None, "application/octet-stream"):
                mime = None
            stored = self.sb.files.add(
                "document", source.data, file_name=source.filename, mime_type=mime
            )
        else:
            stored = source
        body: JsonDict = {"document": stored.document(), **caption, **reply}
        return self.sb.add_bot_message(chat, body, markup)

    async def get_file(self, p: Params) -> JsonDict:
        file_id = (p.get_str("file_id") or "").strip()
        if not file_id:
            raise bad_request("file_id is empty")
        stored = self.sb.files.get(file_id)
        if stored is None:
            raise bad_request("invalid file_id")
        if stored.size > MAX_DOWNLOAD_BYTES:
            raise bad_request("file is too big")
        return stored.file()

    async def send_chat_action(self, p: Params) -> bool:
        chat = self._chat(p)
        action = p.get_str("action")
        if action not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        chat.chat_actions[action] += 1
        return True

    @staticmethod
    def _commands_key(p: Params) -> tuple[str, str]:
        scope = p.get_json("scope", "can't parse BotCommandScope JSON object")
        if scope is None:
            scope = {"type": "default"}
        if not isinstance(scope, dict) or scope.get("type") not in COMMAND_SCOPES:
            raise bad_request("can't parse BotCommandScope JSON object")
        language = p.get_str("language_code") or ""
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise bad_request("invalid language code specified")
        return json.dumps(scope, sort_keys=True), language

    async def set_my_commands(self, p: Params) -> bool:
        commands = p.get_json("commands", "can't parse commands JSON object")
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON object")
        if len(commands) > 100:
            raise bad_request("too many commands specified")
        clean: list[JsonDict] = []
        for item in commands:
            if not isinstance(item, dict):
                raise bad_request("can't parse BotCommand JSON object")
            command = item.get("command")
            description = item.get("description")
            if not isinstance(command, str) or not _COMMAND.fullmatch(command.lstrip("/")):
                raise bad_request("BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise bad_request("command description is empty or too long")
            clean.append({"command": command.lstrip("/"), "description": description})
        key = self._commands_key(p)
        if clean:
            self.sb.commands[key] = clean
        else:
            self.sb.commands.pop(key, None)
        return True

    async def get_my_commands(self, p: Params) -> list[JsonDict]:
        return list(self.sb.commands.get(self._commands_key(p), []))

    async def delete_my_commands(self, p: Params) -> bool:
        self.sb.commands.pop(self._commands_key(p), None)
        return True

    async def set_chat_menu_button(self, p: Params) -> bool:
        chat_id = p.get_int("chat_id")
        if chat_id is not None and chat_id not in self.sb.chats:
            raise bad_request("chat not found")
        button = p.get_json("menu_button", "can't parse menu button JSON object")
        if button is None:
            button = {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in (
            "default",
            "commands",
            "web_app",
        ):
            raise bad_request("can't parse menu button JSON object")
        self.sb.menu_buttons[chat_id] = button
        return True

    async def get_chat_menu_button(self, p: Params) -> JsonDict:
        chat_id = p.get_int("chat_id")
        buttons = self.sb.menu_buttons
        return buttons.get(chat_id) or buttons.get(None) or {"type": "default"}

    def _setter(self, field_name: str) -> Handler:
        async def setter(p: Params) -> bool:
            self.sb.bot_texts[(field_name, p.get_str("language_code") or "")] = (
                p.get_str(field_name) or ""
            )
            return True

        return setter

    def _getter(self, field_name: str) -> Handler:
        async def getter(p: Params) -> JsonDict:
            value = self.sb.bot_texts.get((field_name, p.get_str("language_code") or ""), "")
            if field_name == "name" and not value:
                value = self.sb.config.bot_first_name
            return {field_name: value}

        return getter

    async def get_chat(self, p: Params) -> JsonDict:
        chat = self._chat(p, check_blocked=False)
        return {
            **chat.chat,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }
