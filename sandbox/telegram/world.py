"""The Telegram stand-in's world: users, chats, the update queue and the bot's own settings.

Everything here is synchronous, O(1) per operation and lives on one event loop; changes
wake waiters through :class:`sandbox.waiting.Signals`, created lazily and fired on every
change, so thousands of simulated users cost a few dicts and no polling.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter, OrderedDict
from typing import Protocol

from sandbox.errors import ControlError
from sandbox.jsontypes import JsonDict
from sandbox.state import SandboxConfig, SandboxState
from sandbox.telegram.media import FileStore
from sandbox.telegram.records import CallbackRecord, ChatRecord
from sandbox.telegram.updates import DEFAULT_UPDATE_KINDS, KNOWN_UPDATE_KINDS, update_kind
from sandbox.waiting import Signals


class UpdateSink(Protocol):
    """Webhook delivery as the world sees it (``sandbox.telegram.webhook``)."""

    @property
    def active(self) -> bool: ...

    def notify(self, update_id: int, update: JsonDict) -> None: ...

    def reset(self) -> None: ...

    def restart(self) -> None: ...


class TelegramWorld(SandboxState):
    """The state behind Telegram's Bot API and the control API's users and chats."""

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.files = FileStore()
        self.webhook: UpdateSink | None = None
        self.chat_changes = Signals()
        self.answer_signals = Signals()
        self.update_signals = Signals()
        self.poll_generation = 0
        self._versions = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._init_bot_settings()
        super().__init__(config)
        self._next_update_id = self.config.first_update_id

    # ------------------------------------------------------------------ state
    def _init_bot_settings(self) -> None:
        """What the bot configured about itself; survives ``reset()`` unless ``full``."""
        self.allowed_updates: frozenset[str] = DEFAULT_UPDATE_KINDS
        self.commands: dict[tuple[str, str], list[JsonDict]] = {}
        self.menu_buttons: dict[int | None, JsonDict] = {}
        self.bot_texts: dict[tuple[str, str], str] = {}

    def _init_state(self) -> None:
        """(Re)create everything ``reset`` forgets; ids and versions stay monotonic."""
        super()._init_state()
        self.users: dict[int, JsonDict] = {}
        self.chats: dict[int, ChatRecord] = {}
        self.usernames: dict[str, int] = {}
        self.updates: OrderedDict[int, JsonDict] = OrderedDict()
        self.callbacks: dict[str, CallbackRecord] = {}
        self.photo_groups: dict[str, list[JsonDict]] = {}
        self.files.clear()
        self.delivered_per_chat: Counter[int] = Counter()

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
        super().reset(full=full)

    # ----------------------------------------------------------------- wakes
    def _bump(self, chat: ChatRecord) -> None:
        """Mark a chat changed and wake whoever waits on it."""
        chat.version = next(self._versions)
        self.chat_changes.fire(chat.id)

    def _wake_everyone(self) -> None:
        self.chat_changes.fire_all()
        self.answer_signals.fire_all()
        self.wake_pollers()

    def wake_pollers(self) -> None:
        """Wake long-polling getUpdates calls so they re-check the queue."""
        self.update_signals.fire_all()

    async def wait_updates(self, timeout: float) -> None:  # noqa: ASYNC109 - a long poll
        """Block until the update queue changes, a poller is superseded, or timeout."""
        await self.update_signals.wait("updates", timeout)

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
