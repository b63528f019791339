"""The MAX stand-in's world: users, dialogs and chats, the update queue with its marker.

MAX numbers updates and answers ``GET /updates`` with ``marker``, the number of the next
update expected: passing it back confirms everything before it.  A poller that passes no
marker gets what the server has not handed out yet, and the server moves its own cursor
past it (so it is not sent again: at most once, which is why bots keep the marker).
Changes wake waiters through :class:`sandbox.waiting.Signals`; nothing polls.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass

from sandbox.errors import ControlError
from sandbox.jsontypes import JsonDict
from sandbox.max.records import MaxCallbackRecord, MaxChatRecord, UploadedFile
from sandbox.state import SandboxConfig, SandboxState
from sandbox.waiting import Signals

DIALOG_BASE = 10_000_000_000
"""A dialog's chat_id is not its user's id in MAX; the stand-in keeps them apart too."""
CHAT_TYPES = ("chat", "channel")


@dataclass
class MaxConfig(SandboxConfig):
    """The shared tunables plus MAX's own; change them at runtime via ``update_config``."""

    bot_id: int = 2000001
    attachment_ready_after: float = 0.0
    """Seconds after an upload during which sending it answers ``attachment.not.ready``."""
    update_ttl: float = 24 * 3600.0
    """Updates older than this are forgotten (MAX keeps long-polling events for 24 h)."""
    upload_host: str | None = None
    """Base of upload URLs (None: the server's own base URL)."""


def now_ms() -> int:
    return int(time.time() * 1000)


class MaxWorld(SandboxState):
    """The state behind the MAX Bot API and the control API's users and chats."""

    config: MaxConfig

    def __init__(self, config: MaxConfig | None = None) -> None:
        self.chat_changes = Signals()
        self.answer_signals = Signals()
        self.update_signals = Signals()
        self._versions = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._seq = itertools.count(1)
        self._tokens = itertools.count(1)
        self.subscriptions: list[JsonDict] = []
        self.files_base = "http://sandbox.max.invalid"
        """Where users' files are served; the server sets its own address when it starts."""
        self.bot_commands: list[JsonDict] = []  # PATCH /me/commands: one list for the bot
        super().__init__(config or MaxConfig())
        self._next_update = 1

    def _init_state(self) -> None:
        """(Re)create everything ``reset`` forgets; numbers and versions stay monotonic."""
        super()._init_state()
        self.users: dict[int, JsonDict] = {}
        self.chats: dict[int, MaxChatRecord] = {}
        self.updates: OrderedDict[int, tuple[float, JsonDict]] = OrderedDict()
        self.cursor = getattr(self, "_next_update", 1)
        self.callbacks: dict[str, MaxCallbackRecord] = {}
        self.uploads: dict[str, UploadedFile] = {}
        self.upload_slots: dict[str, UploadedFile] = {}
        self.mids: dict[str, tuple[int, int]] = {}
        self.delivered_per_chat: Counter[int] = Counter()

    def reset(self, *, full: bool = False) -> None:
        """Forget the world, faults, limits and stats; ``full`` also drops subscriptions."""
        if full:
            self.subscriptions = []
            self.bot_commands = []
        super().reset(full=full)

    @property
    def bot_user(self) -> JsonDict:
        return {
            "user_id": self.config.bot_id,
            "first_name": self.config.bot_first_name,
            "last_name": None,
            "username": self.config.bot_username,
            "is_bot": True,
            "last_activity_time": now_ms(),
            "name": self.config.bot_first_name,
        }

    def token_ok(self, token: str | None) -> bool:
        """Accept the configured token, or any non-blank one when none is configured."""
        if not token:
            return False
        if self.config.token is not None:
            return token == self.config.token
        return bool(token.strip()) and not any(c.isspace() for c in token)

    def deep_link(self, payload: str | None = None) -> str:
        """What a person opens to start the bot: ``https://max.ru/<bot>?start=<payload>``."""
        link = f"https://max.ru/{self.config.bot_username}"
        return f"{link}?start={payload}" if payload else link

    def next_token(self, prefix: str) -> str:
        return f"{prefix}{next(self._tokens):08d}sbx"

    # ----------------------------------------------------------------- wakes
    def _bump(self, chat: MaxChatRecord) -> None:
        chat.version = next(self._versions)
        self.chat_changes.fire(chat.id)

    def _wake_everyone(self) -> None:
        self.chat_changes.fire_all()
        self.answer_signals.fire_all()
        self.update_signals.fire_all()

    # ---------------------------------------------------------------- updates
    def enqueue(self, update_type: str, fields: JsonDict) -> JsonDict:
        """Number and queue one update; returns it as the bot will receive it."""
        update = {"update_type": update_type, "timestamp": now_ms(), **fields}
        number = self._next_update
        self._next_update += 1
        self.updates[number] = (time.monotonic(), update)
        self.counters["updates_created"] += 1
        self.update_signals.fire_all()
        return update

    def _expire(self) -> None:
        horizon = time.monotonic() - self.config.update_ttl
        while self.updates:
            number, (created, _update) = next(iter(self.updates.items()))
            if created >= horizon:
                break
            del self.updates[number]
            self.counters["updates_expired"] += 1

    def confirm(self, marker: int | None) -> int:
        """Apply a poll's marker (None: the server's cursor); returns the first number due."""
        start = self.cursor if marker is None else max(marker, 1)
        while self.updates and next(iter(self.updates)) < start:
            self.updates.popitem(last=False)
            self.counters["updates_confirmed"] += 1
        self.cursor = max(self.cursor, start)
        return start

    def take_updates(
        self, start: int, limit: int, types: frozenset[str] | None
    ) -> tuple[list[JsonDict], int]:
        """Up to ``limit`` updates from ``start`` (of ``types``) and the marker after them."""
        self._expire()
        found: list[JsonDict] = []
        marker = start
        for number, (_created, update) in self.updates.items():
            if number < start:
                continue
            if len(found) >= limit:
                break
            marker = number + 1
            if types is None or update["update_type"] in types:
                found.append(update)
        self.counters["updates_returned"] += len(found)
        return found, max(marker, start)

    def pending_updates(self) -> list[JsonDict]:
        return [update for number, (_c, update) in self.updates.items() if number >= self.cursor]

    async def wait_updates(self, timeout: float) -> None:  # noqa: ASYNC109 - a long poll
        await self.update_signals.wait("updates", timeout)

    # ------------------------------------------------------------ users/chats
    def _ensure_user(
        self,
        user_id: int,
        *,
        username: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
    ) -> JsonDict:
        user = self.users.get(user_id)
        if user is None:
            user = {
                "user_id": user_id,
                "first_name": first_name or f"User{user_id}",
                "last_name": None,
                "username": None,
                "is_bot": False,
                "last_activity_time": now_ms(),
            }
            self.users[user_id] = user
        elif first_name:
            user["first_name"] = first_name
        if last_name is not None:
            user["last_name"] = last_name
        if username is not None:
            user["username"] = username
        user["name"] = " ".join(p for p in (user["first_name"], user["last_name"]) if p)
        user["last_activity_time"] = now_ms()
        return user

    def private_chat_id(self, user_id: int) -> int:
        """The chat_id of a user's dialog with the bot (not the user id, as in MAX)."""
        return DIALOG_BASE + user_id

    def _dialog(self, user: JsonDict) -> MaxChatRecord:
        chat_id = self.private_chat_id(int(user["user_id"]))
        chat = self.chats.get(chat_id)
        if chat is None:
            data: JsonDict = {
                "chat_id": chat_id,
                "type": "dialog",
                "status": "active",
                "title": None,
                "icon": None,
                "last_event_time": now_ms(),
                "participants_count": 2,
                "is_public": False,
                "description": None,
                "dialog_with_user": user,
            }
            chat = self._new_chat(MaxChatRecord(chat=data, user_id=int(user["user_id"])))
        return chat

    def _new_chat(self, chat: MaxChatRecord) -> MaxChatRecord:
        self.chats[chat.id] = chat
        self._bump(chat)
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
        """Create a user and their dialog without an update (``language_code`` is unused)."""
        user = self._ensure_user(
            user_id, username=username, first_name=first_name, last_name=last_name
        )
        self._dialog(user)
        return user

    def create_chat(
        self,
        chat_id: int,
        chat_type: str = "chat",
        *,
        title: str | None = None,
        username: str | None = None,
    ) -> JsonDict:
        """Create (or return) a group chat or channel the bot is a member of."""
        if chat_type == "group" or chat_type == "supergroup":
            chat_type = "chat"
        if chat_type not in CHAT_TYPES:
            raise ControlError("chat_type must be chat or channel")
        if chat_id >= 0:
            raise ControlError("group chat and channel ids are negative")
        chat = self.chats.get(chat_id)
        if chat is None:
            data: JsonDict = {
                "chat_id": chat_id,
                "type": chat_type,
                "status": "active",
                "title": title or f"Chat {chat_id}",
                "icon": None,
                "last_event_time": now_ms(),
                "participants_count": 2,
                "is_public": False,
                "description": None,
                "link": f"https://max.ru/{username}" if username else None,
            }
            chat = self._new_chat(MaxChatRecord(chat=data))
        return chat.chat

    def block_user(self, user_id: int, blocked: bool = True, *, emit_update: bool = True) -> None:
        """The user stops the bot (``bot_stopped``; sends answer 403) or restarts it."""
        user = self._ensure_user(user_id)
        chat = self._dialog(user)
        if chat.blocked == blocked:
            return
        chat.blocked = blocked
        self._bump(chat)
        if emit_update and blocked:
            self.enqueue("bot_stopped", {"chat_id": chat.id, "user": user, "user_locale": "ru"})
