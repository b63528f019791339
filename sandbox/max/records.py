"""What the MAX stand-in stores: messages, chats, callbacks and uploaded files."""

from __future__ import annotations

from dataclasses import dataclass, field

from sandbox.jsontypes import JsonDict


@dataclass(slots=True)
class MaxMessageRecord:
    """A message as stored: its MAX shape plus the control API's bookkeeping.

    ``message_id`` is the chat's own counter (what the control API and waits use, as in
    the Telegram stand-in); the API knows the message by ``mid``.
    """

    message_id: int
    chat_id: int
    message: JsonDict
    from_bot: bool
    history: list[JsonDict] = field(default_factory=list)
    deleted: bool = False
    format: str | None = None
    source_text: str | None = None

    @property
    def mid(self) -> str:
        return str(self.message["body"]["mid"])

    @property
    def body(self) -> JsonDict:
        body: JsonDict = self.message["body"]
        return body

    def keyboard(self) -> list[list[JsonDict]] | None:
        for attachment in self.body.get("attachments") or []:
            if attachment.get("type") == "inline_keyboard":
                rows: list[list[JsonDict]] = attachment["payload"]["buttons"]
                return rows
        return None

    def callback_payloads(self) -> frozenset[str]:
        rows = self.keyboard() or []
        return frozenset(
            str(b["payload"]) for row in rows for b in row if b.get("type") == "callback"
        )

    def view(self) -> JsonDict:
        """The MAX message plus ``message_id``, ``mid``, ``text``, ``keyboard``, files, history."""
        body = self.body
        out = dict(self.message)
        out.update(
            message_id=self.message_id,
            mid=self.mid,
            chat_id=self.chat_id,
            text=body.get("text"),
            format=self.format,
            source_text=self.source_text,
            keyboard=self.keyboard(),
            files=[a for a in body.get("attachments") or [] if a.get("type") != "inline_keyboard"],
            history=list(self.history),
            deleted=self.deleted,
        )
        return out


@dataclass(slots=True)
class MaxChatRecord:
    """A dialog with one user, or a group chat / channel the bot is in."""

    chat: JsonDict
    user_id: int | None = None
    next_message_id: int = 1
    messages: dict[int, MaxMessageRecord] = field(default_factory=dict)
    bot_message_ids: list[int] = field(default_factory=list)
    version: int = 0
    blocked: bool = False
    actions: dict[str, int] = field(default_factory=dict)
    callback_answers: dict[str, JsonDict] = field(default_factory=dict)

    @property
    def id(self) -> int:
        return int(self.chat["chat_id"])

    def take_message_id(self) -> int:
        mid = self.next_message_id
        self.next_message_id += 1
        return mid


@dataclass(slots=True)
class MaxCallbackRecord:
    """A press of a callback button; the bot answers it with POST /answers."""

    callback_id: str
    user_id: int
    chat_id: int
    message_id: int
    payload: str
    created: float
    answer: JsonDict | None = None
    answers: int = 0


@dataclass(slots=True)
class UploadedFile:
    """A file the bot uploaded (``POST /uploads`` then the upload URL) or a user sent."""

    token: str
    type: str
    data: bytes = b""
    filename: str | None = None
    content_type: str | None = None
    ready_at: float = 0.0
    uploaded: bool = False
    photo_id: int | None = None
    extra: JsonDict = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.data)
