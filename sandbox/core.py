"""The sandbox's world model: users, chats, messages, the update queue and the control API.

Everything here is synchronous, O(1) per operation and lives on one event loop; waiting is
done with per-chat asyncio events that are created lazily and fired on every change, so
thousands of simulated users cost a few dicts and no polling.
"""

from __future__ import annotations

import asyncio
import base64
import bisect
import itertools
import time
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any

from sandbox.errors import ControlError
from sandbox.formatting import command_entities
from sandbox.limits import FaultInjector, FaultRule, RateLimiter, RateLimitSettings
from sandbox.markup import callback_datas, find_button
from sandbox.media import STUB_PNG, FileStore, StoredFile, image_size

if TYPE_CHECKING:
    from sandbox.webhook import WebhookManager

JsonDict = dict[str, Any]
MessagesPredicate = Callable[[list[JsonDict]], bool]
MessagePredicate = Callable[[JsonDict], bool]

#: Update kinds Telegram sends when ``allowed_updates`` is empty or was never set.
DEFAULT_UPDATE_KINDS = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)
KNOWN_UPDATE_KINDS = DEFAULT_UPDATE_KINDS | {
    "chat_member",
    "message_reaction",
    "message_reaction_count",
}


@dataclass
class SandboxConfig:
    """Tunables of one sandbox; all can be changed at runtime via ``update_config``."""

    token: str | None = None
    """Exact token to accept; None accepts any well-formed ``digits:secret`` token."""
    bot_id: int = 1000001
    bot_first_name: str = "Otklik Sandbox"
    bot_username: str = "otklik_sandbox_bot"
    callback_ttl: float = 15.0
    """Seconds after which answerCallbackQuery says "query is too old"."""
    webhook_retry_base: float = 0.1
    webhook_retry_max: float = 2.0
    webhook_timeout: float = 10.0
    max_long_poll: float = 50.0
    fault_seed: int | None = 0
    max_upload_bytes: int = 50 * 1024 * 1024
    first_update_id: int = 1


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


def update_kind(update: JsonDict) -> str:
    """The payload key of an update (``message``, ``callback_query``...)."""
    for key in update:
        if key != "update_id":
            return key
    return ""


def update_chat_id(update: JsonDict) -> int | None:
    """The chat an update belongs to; webhooks deliver one chat's updates in order."""
    for key, value in update.items():
        if key == "update_id" or not isinstance(value, dict):
            continue
        chat = value.get("chat")
        if not isinstance(chat, dict):
            message = value.get("message")
            chat = message.get("chat") if isinstance(message, dict) else None
        if isinstance(chat, dict) and isinstance(chat.get("id"), int):
            return int(chat["id"])
        sender = value.get("from") or value.get("user")
        if isinstance(sender, dict) and isinstance(sender.get("id"), int):
            return int(sender["id"])
    return None


def _b64(value: Any) -> bytes | None:
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, dict):
        if isinstance(value.get("data"), bytes | bytearray):
            return bytes(value["data"])
        if isinstance(value.get("base64"), str):
            return base64.b64decode(value["base64"])
    return None


class Sandbox:
    """In-process fake of Telegram: the state behind the Bot API and the control API."""

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        self.rate_limits = RateLimitSettings()
        self.rate_limiter = RateLimiter(self.rate_limits)
        self.faults = FaultInjector(self.config.fault_seed)
        self.files = FileStore()
        self.webhook: WebhookManager | None = None
        self.closing = False
        self._closing_event = asyncio.Event()
        self._next_update_id = self.config.first_update_id
        self._versions = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._chat_events: dict[int, asyncio.Event] = {}
        self._answer_events: dict[str, asyncio.Event] = {}
        self._updates_event: asyncio.Event | None = None
        self.poll_generation = 0
        self._init_bot_settings()
        self._init_state()

    # ------------------------------------------------------------------ state
    def _init_bot_settings(self) -> None:
        """What the bot configured about itself; survives ``reset()`` unless ``full``."""
        self.allowed_updates: frozenset[str] = DEFAULT_UPDATE_KINDS
        self.commands: dict[tuple[str, str], list[JsonDict]] = {}
        self.menu_buttons: dict[int | None, JsonDict] = {}
        self.bot_texts: dict[tuple[str, str], str] = {}

    def _init_state(self) -> None:
        """(Re)create everything ``reset`` forgets; ids and versions stay monotonic."""
        self.users: dict[int, JsonDict] = {}
        self.chats: dict[int, ChatRecord] = {}
        self.usernames: dict[str, int] = {}
        self.updates: OrderedDict[int, JsonDict] = OrderedDict()
        self.callbacks: dict[str, CallbackRecord] = {}
        self.photo_groups: dict[str, list[JsonDict]] = {}
        self.files.clear()
        self.calls: Counter[str] = Counter()
        self.calls_ok: Counter[str] = Counter()
        self.errors: Counter[int] = Counter()
        self.delivered_per_chat: Counter[int] = Counter()
        self.counters: Counter[str] = Counter()
        self.faults_by_kind: Counter[str] = Counter()

    @property
    def bot_user(self) -> JsonDict:
        return {
            "id": self.config.bot_id,
            "is_bot": True,
            "first_name": self.config.bot_first_name,
            "username": self.config.bot_username,
        }

    def token_ok(self, token: str) -> bool:
        """Accept the configured token, or any well-formed one when none is configured."""
        if self.config.token is not None:
            return token == self.config.token
        head, sep, tail = token.partition(":")
        return bool(sep) and head.isdigit() and bool(tail) and not any(c.isspace() for c in tail)

    def reset(self, *, full: bool = False) -> None:
        """Forget users, chats, messages, updates, files, faults, limits and stats.

        The bot's own settings (webhook, commands, menu button, allowed_updates) survive
        so a bot that is already running keeps working across test cases; ``full=True``
        forgets them too.  Update ids and chat versions keep increasing, so a polling
        bot's offset and a client's ``after_version`` stay valid.
        """
        if self.webhook is not None:
            if full:
                self.webhook.reset()
            else:
                self.webhook.restart()
        if full:
            self._init_bot_settings()
        self._init_state()
        self.rate_limits = RateLimitSettings()
        self.rate_limiter.reconfigure(self.rate_limits)
        self.faults.clear()
        self.faults.seed(self.config.fault_seed)
        self._wake_everyone()

    def update_config(self, **changes: Any) -> JsonDict:
        """Change config fields at runtime (unknown names are rejected)."""
        names = {f.name for f in fields(SandboxConfig)}
        unknown = set(changes) - names
        if unknown:
            raise ControlError(f"unknown config fields: {sorted(unknown)}")
        for key, value in changes.items():
            setattr(self.config, key, value)
        if "fault_seed" in changes:
            self.faults.seed(self.config.fault_seed)
        return asdict(self.config)

    def get_config(self) -> JsonDict:
        return asdict(self.config)

    # ----------------------------------------------------------- versions/wait
    def _bump(self, chat: ChatRecord) -> None:
        """Mark a chat changed and wake whoever waits on it."""
        chat.version = next(self._versions)
        event = self._chat_events.pop(chat.id, None)
        if event is not None:
            event.set()

    def _wake_everyone(self) -> None:
        for event in self._chat_events.values():
            event.set()
        self._chat_events.clear()
        for answer_event in self._answer_events.values():
            answer_event.set()
        self._answer_events.clear()
        self.wake_pollers()

    def wake_pollers(self) -> None:
        """Wake long-polling getUpdates calls so they re-check the queue."""
        if self._updates_event is not None:
            self._updates_event.set()
            self._updates_event = None

    async def wait_updates(self, timeout: float) -> None:  # noqa: ASYNC109 - a long poll
        """Block until the update queue changes, a poller is superseded, or timeout."""
        if self._updates_event is None:
            self._updates_event = asyncio.Event()
        event = self._updates_event
        try:
            async with asyncio.timeout(timeout):
                await event.wait()
        except TimeoutError:
            pass

    async def sleep_unless_closing(self, seconds: float) -> None:
        """Hold (e.g. a timeout fault) but let ``stop()`` finish promptly."""
        try:
            async with asyncio.timeout(seconds):
                await self._closing_event.wait()
        except TimeoutError:
            pass

    def mark_closing(self) -> None:
        self.closing = True
        self._closing_event.set()
        self._wake_everyone()

    def chat_version(self, chat_id: int) -> int:
        """Monotonic change counter of a chat (0 when it does not exist yet)."""
        chat = self.chats.get(chat_id)
        return chat.version if chat is not None else 0

    async def wait_version(
        self,
        chat_id: int,
        after_version: int,
        timeout: float,  # noqa: ASYNC109 - a long poll that returns, never raises
    ) -> int:
        """Wait until the chat's version exceeds ``after_version``; return the version."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0.0, timeout)
        while self.chat_version(chat_id) <= after_version and not self.closing:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            event = self._chat_events.get(chat_id)
            if event is None:
                event = self._chat_events[chat_id] = asyncio.Event()
            try:
                async with asyncio.timeout(remaining):
                    await event.wait()
            except TimeoutError:
                break
        return self.chat_version(chat_id)

    async def wait_for(
        self,
        chat_id: int,
        predicate: MessagesPredicate,
        timeout: float = 5.0,  # noqa: ASYNC109
        *,
        since_message_id: int = 0,
    ) -> list[JsonDict]:
        """Wait until ``predicate(bot messages of the chat)`` holds; return those messages."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            version = self.chat_version(chat_id)
            messages = self.messages(chat_id, since_message_id=since_message_id)
            if predicate(messages):
                return messages
            remaining = deadline - loop.time()
            if remaining <= 0 or self.closing:
                raise TimeoutError(f"chat {chat_id}: condition not met within {timeout}s")
            await self.wait_version(chat_id, version, remaining)

    async def wait_for_message(
        self,
        chat_id: int,
        predicate: MessagePredicate | None = None,
        *,
        after_message_id: int = 0,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> JsonDict:
        """First bot message with id > ``after_message_id`` matching ``predicate``."""
        found: list[JsonDict] = []

        def check(messages: list[JsonDict]) -> bool:
            for message in messages:
                if message["message_id"] > after_message_id and (
                    predicate is None or predicate(message)
                ):
                    found.append(message)
                    return True
            return False

        await self.wait_for(chat_id, check, timeout, since_message_id=after_message_id)
        return found[0]

    async def wait_for_callback_answer(
        self,
        query_id: str,
        timeout: float = 5.0,  # noqa: ASYNC109 - mirrors SandboxClient's signature
    ) -> JsonDict:
        """Wait until the bot answers callback query ``query_id``; return the answer."""
        record = self.callbacks.get(query_id)
        if record is None:
            raise ControlError(f"unknown callback query {query_id}", 404)
        if record.answer is None and not self.closing:
            event = self._answer_events.setdefault(query_id, asyncio.Event())
            try:
                async with asyncio.timeout(timeout):
                    await event.wait()
            except TimeoutError:
                pass
        if record.answer is None:
            raise TimeoutError(f"callback query {query_id} not answered within {timeout}s")
        return record.answer

    # ---------------------------------------------------------------- updates
    def enqueue(self, payload: JsonDict, *, raw: bool = False) -> JsonDict | None:
        """Give ``payload`` a fresh update_id and queue it (None if filtered out)."""
        kind = update_kind(payload)
        if not raw and kind in KNOWN_UPDATE_KINDS and kind not in self.allowed_updates:
            self.counters["updates_filtered"] += 1
            return None
        update_id = self._next_update_id
        self._next_update_id += 1
        update = {"update_id": update_id, **{k: v for k, v in payload.items() if k != "update_id"}}
        self.updates[update_id] = update
        self.counters["updates_created"] += 1
        if self.webhook is not None and self.webhook.active:
            self.webhook.notify(update_id, update)
        else:
            self.wake_pollers()
        return update

    def confirm_updates(self, offset: int | None) -> None:
        """Apply getUpdates ``offset``: forget confirmed updates forever."""
        if not offset:
            return
        queue = self.updates
        if offset > 0:
            while queue:
                first = next(iter(queue))
                if first >= offset:
                    break
                queue.popitem(last=False)
                self.counters["updates_confirmed"] += 1
        else:
            keep = -offset
            while len(queue) > keep:
                queue.popitem(last=False)
                self.counters["updates_confirmed"] += 1

    def pending_updates(self) -> list[JsonDict]:
        return list(self.updates.values())

    def set_allowed_updates(self, kinds: list[str] | None) -> None:
        """``None`` keeps the previous setting; an empty list restores the default."""
        if kinds is None:
            return
        self.allowed_updates = frozenset(kinds) if kinds else DEFAULT_UPDATE_KINDS

    # ------------------------------------------------------------ users/chats
    def _ensure_user(
        self,
        user_id: int,
        *,
        username: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        language_code: str | None = None,
        is_premium: bool | None = None,
    ) -> JsonDict:
        user = self.users.get(user_id)
        if user is None:
            user = {"id": user_id, "is_bot": False, "first_name": first_name or f"User{user_id}"}
            self.users[user_id] = user
        elif first_name:
            user["first_name"] = first_name
        for key, value in (
            ("last_name", last_name),
            ("username", username),
            ("language_code", language_code),
            ("is_premium", is_premium),
        ):
            if value is not None:
                user[key] = value
        chat = self.chats.get(user_id)
        if chat is not None and chat.chat.get("type") == "private":
            for key in ("first_name", "last_name", "username"):
                if key in user:
                    chat.chat[key] = user[key]
            self._index_username(chat)
        return user

    def _index_username(self, chat: ChatRecord) -> None:
        username = chat.chat.get("username")
        if isinstance(username, str) and username:
            self.usernames[username.lower()] = chat.id

    def _new_chat(self, chat: JsonDict) -> ChatRecord:
        record = ChatRecord(chat=chat, chat_instance=str(-(7_000_000_000_000_000_000 + chat["id"])))
        self.chats[record.id] = record
        self._index_username(record)
        self._bump(record)
        return record

    def _private_chat(self, user: JsonDict) -> ChatRecord:
        chat = self.chats.get(user["id"])
        if chat is None:
            data: JsonDict = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
            for key in ("last_name", "username"):
                if key in user:
                    data[key] = user[key]
            chat = self._new_chat(data)
        return chat

    def register_user(
        self,
        user_id: int,
        *,
        username: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        language_code: str | None = None,
    ) -> JsonDict:
        """Create a user and their private chat without sending an update."""
        user = self._ensure_user(
            user_id,
            username=username,
            first_name=first_name,
            last_name=last_name,
            language_code=language_code,
        )
        self._private_chat(user)
        return user

    def create_chat(
        self,
        chat_id: int,
        chat_type: str = "group",
        *,
        title: str | None = None,
        username: str | None = None,
    ) -> JsonDict:
        """Create (or return) a group, supergroup or channel the bot is a member of."""
        if chat_type not in ("group", "supergroup", "channel"):
            raise ControlError("chat_type must be group, supergroup or channel")
        if chat_id >= 0:
            raise ControlError("group and channel ids are negative")
        chat = self.chats.get(chat_id)
        if chat is None:
            data: JsonDict = {"id": chat_id, "type": chat_type, "title": title or f"Chat {chat_id}"}
            if username:
                data["username"] = username
            chat = self._new_chat(data)
        return chat.chat

    def find_chat(self, chat_ref: int | str) -> ChatRecord | None:
        """Resolve a chat_id parameter (int or ``@username``)."""
        if isinstance(chat_ref, int):
            return self.chats.get(chat_ref)
        name = chat_ref.lstrip("@").lower()
        chat_id = self.usernames.get(name)
        return self.chats.get(chat_id) if chat_id is not None else None

    def block_user(self, user_id: int, blocked: bool = True, *, emit_update: bool = True) -> None:
        """Mark that a user blocked (or unblocked) the bot; sends then answer 403."""
        user = self._ensure_user(user_id)
        chat = self._private_chat(user)
        if chat.blocked == blocked:
            return
        chat.blocked = blocked
        self._bump(chat)
        if emit_update:
            old, new = ("member", "kicked") if blocked else ("kicked", "member")
            self.enqueue(
                {
                    "my_chat_member": {
                        "chat": chat.chat,
                        "from": user,
                        "date": int(time.time()),
                        "old_chat_member": self._member(old),
                        "new_chat_member": self._member(new),
                    }
                }
            )

    def _member(self, status: str) -> JsonDict:
        member: JsonDict = {"user": self.bot_user, "status": status}
        if status == "kicked":
            member["until_date"] = 0
        return member

    # -------------------------------------------------------------- injection
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
        if chat_type == "private":
            if chat_id is not None and chat_id != user_id:
                raise ControlError("a private chat's id equals the user id")
            chat = self._private_chat(user)
            if chat.blocked:
                self.block_user(user_id, False)
        else:
            if chat_id is None:
                chat_id = -user_id if chat_type == "group" else -(10**12 + user_id)
            self.create_chat(chat_id, chat_type, title=chat_title)
            chat = self.chats[chat_id]
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
        has_content = False
        if text is not None:
            message["text"] = text
            found = entities if entities is not None else command_entities(text)
            if found:
                message["entities"] = found
            has_content = True
        if sticker is not None and sticker is not False:
            stored = self.files.add("sticker", STUB_PNG, width=512, height=512)
            message["sticker"] = {
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
            has_content = True
        if photo is not None and photo is not False:
            message["photo"] = self._store_user_photo(photo)
            has_content = True
        if document is not None and document is not False:
            message["document"] = self._store_user_file(
                "document", document, "document.txt"
            ).document()
            has_content = True
        if contact is not None:
            shared: JsonDict = {
                "phone_number": str(contact.get("phone_number", "+70000000000")),
                "first_name": contact.get("first_name", user["first_name"]),
                **{k: v for k, v in contact.items() if k in ("last_name", "vcard")},
            }
            owner = contact.get("user_id", user_id)  # own contact unless told otherwise
            if owner is not None:
                shared["user_id"] = owner
            message["contact"] = shared
            has_content = True
        if location is not None:
            message["location"] = {
                "latitude": float(location["latitude"]),
                "longitude": float(location["longitude"]),
            }
            has_content = True
        if not has_content:
            raise ControlError("nothing to send: give text, sticker, photo, document, ...")
        if caption is not None and ("photo" in message or "document" in message):
            message["caption"] = caption
        record = MessageRecord(message=message, from_bot=False)
        chat.messages[message["message_id"]] = record
        self._bump(chat)
        kind = "channel_post" if chat.chat["type"] == "channel" else "message"
        update = self.enqueue({kind: message})
        return {"update": update, "message": message}

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
        return {"update": update, "callback_query": query}

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

    def inject_update(self, update: JsonDict) -> JsonDict:
        """Queue an arbitrary update (fuzzing); update_id is always assigned fresh."""
        if not isinstance(update, dict):
            raise ControlError("update must be an object")
        queued = self.enqueue(update, raw=True)
        assert queued is not None
        return queued

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
        event = self._answer_events.pop(record.query_id, None)
        if event is not None:
            event.set()
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
                return record.view()
        return None

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

    def callback_answer(self, query_id: str) -> JsonDict | None:
        """The bot's answer to a callback query (None while unanswered)."""
        record = self.callbacks.get(query_id)
        if record is None:
            raise ControlError(f"unknown callback query {query_id}", 404)
        return record.answer

    def callback_answers(self) -> dict[str, JsonDict | None]:
        return {qid: r.answer for qid, r in self.callbacks.items()}

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

    # ------------------------------------------------------- limits & faults
    def set_rate_limits(
        self,
        enabled: bool | None = None,
        *,
        global_rate: float | None = None,
        global_burst: float | None = None,
        per_chat_rate: float | None = None,
        per_chat_burst: float | None = None,
        group_per_minute: float | None = None,
    ) -> JsonDict:
        """Switch Telegram-like flood limits on/off or retune them; buckets restart full."""
        changes = {
            "enabled": enabled,
            "global_rate": global_rate,
            "global_burst": global_burst,
            "per_chat_rate": per_chat_rate,
            "per_chat_burst": per_chat_burst,
            "group_per_minute": group_per_minute,
        }
        for key, value in changes.items():
            if value is not None:
                setattr(self.rate_limits, key, value)
        self.rate_limiter.reconfigure(self.rate_limits)
        return asdict(self.rate_limits)

    def get_rate_limits(self) -> JsonDict:
        return asdict(self.rate_limits)

    def add_fault(
        self,
        kind: str,
        *,
        count: int | None = None,
        probability: float | None = None,
        method: str | None = None,
        chat_id: int | None = None,
        status: int = 500,
        description: str | None = None,
        retry_after: int = 5,
        hold: float = 5.0,
        deliver: bool = False,
    ) -> JsonDict:
        """Inject a fault for the next ``count`` matching calls or with ``probability``.

        kind: server_error (status 500/502) | timeout (hold ``hold`` s, then drop the
        connection) | disconnect | blocked (403) | bad_request (400 ``description``) |
        retry_after (429) | html_error / html_502 (a proxy's HTML error page, not JSON) |
        text_error / text_500 (a plain-text 5xx body, not JSON).  ``deliver=True`` performs
        the call first and then loses the answer, which is how duplicates happen in real life.
        """
        if count is None and probability is None:
            count = 1
        try:
            rule = FaultRule(
                kind=kind,
                count=count,
                probability=probability,
                method=method,
                chat_id=chat_id,
                status=status,
                description=description,
                retry_after=retry_after,
                hold=hold,
                deliver=deliver,
            )
        except ValueError as exc:
            raise ControlError(str(exc)) from None
        return self.faults.add(rule).to_dict()

    def list_faults(self) -> list[JsonDict]:
        return [r.to_dict() for r in self.faults.rules]

    def remove_fault(self, fault_id: int) -> bool:
        return self.faults.remove(fault_id)

    def clear_faults(self) -> None:
        self.faults.clear()


def _without_reply(message: JsonDict) -> JsonDict:
    return {k: v for k, v in message.items() if k != "reply_to_message"}
