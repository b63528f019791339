"""A Bot whose session records every request and answers like Telegram would.

Written from scratch after the idea of aiogram's own tests/mocked_bot.py.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.base import BaseSession
from aiogram.enums import ParseMode
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageReplyMarkup,
    EditMessageText,
    GetMe,
    SendDocument,
    SendMessage,
    SendPhoto,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType
from aiogram.types import CallbackQuery, Chat, Message, Update, User

from bot.typography import typeset
from core.speech import actions_from_json
from handlers.speech import inline_keyboard
from storage.delivery_models import OutboxMessage

BOT_USER = User(id=1000001, is_bot=True, first_name="Otklik", username="otklik_test_bot")


def outbox_markup(message: OutboxMessage) -> dict[str, Any] | None:
    """The inline keyboard Telegram is sent for an outbox row: its actions, rendered."""
    keyboard = inline_keyboard(actions_from_json(message.actions))
    return None if keyboard is None else keyboard.model_dump(exclude_none=True)


@dataclass
class ChatLog:
    """What one chat received: messages by id, current text and markup."""

    messages: dict[int, Message] = field(default_factory=dict)

    def last(self) -> Message:
        return self.messages[max(self.messages)]


class RecordingSession(BaseSession):
    def __init__(self) -> None:
        super().__init__()
        self.requests: list[TelegramMethod[Any]] = []
        self.chats: dict[int, ChatLog] = {}
        self.callback_answers: dict[str, AnswerCallbackQuery] = {}
        self._ids = itertools.count(1)
        self.on_request: Callable[[TelegramMethod[Any]], Awaitable[None]] | None = None

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109
    ) -> TelegramType:
        self.requests.append(method)
        if self.on_request is not None:
            await self.on_request(method)
        now = datetime.now(UTC)
        if isinstance(method, GetMe):
            return BOT_USER  # type: ignore[return-value]
        if isinstance(method, SendMessage):
            chat_id = int(method.chat_id)
            message = Message(
                message_id=next(self._ids),
                date=now,
                chat=Chat(id=chat_id, type="private"),
                from_user=BOT_USER,
                text=method.text,
                reply_markup=method.reply_markup,
            )
            self.chats.setdefault(chat_id, ChatLog()).messages[message.message_id] = message
            return message.as_(bot)  # type: ignore[return-value]
        if isinstance(method, EditMessageText | EditMessageReplyMarkup):
            chat_id = int(method.chat_id or 0)
            log = self.chats.setdefault(chat_id, ChatLog())
            old = log.messages.get(int(method.message_id or 0))
            assert old is not None, "edit of a message the bot never sent"
            text = method.text if isinstance(method, EditMessageText) else old.text
            log.messages[old.message_id] = old.model_copy(
                update={"text": text, "reply_markup": method.reply_markup}
            )
            return log.messages[old.message_id].as_(bot)  # type: ignore[return-value]
        if isinstance(method, SendDocument | SendPhoto):
            # The outbox sender needs the message id; the chat log keeps text messages only.
            sent = Message(
                message_id=next(self._ids),
                date=now,
                chat=Chat(id=int(method.chat_id), type="private"),
                from_user=BOT_USER,
                caption=method.caption,
            )
            return sent.as_(bot)  # type: ignore[return-value]
        if isinstance(method, AnswerCallbackQuery):
            assert method.callback_query_id not in self.callback_answers, "callback answered twice"
            self.callback_answers[method.callback_query_id] = method
            return True  # type: ignore[return-value]
        return True  # type: ignore[return-value]

    async def stream_content(self, *args: Any, **kwargs: Any) -> AsyncGenerator[bytes, None]:
        yield b""

    async def close(self) -> None:
        return None

    def sent_to(self, chat_id: int) -> list[Message]:
        return list(self.chats.get(chat_id, ChatLog()).messages.values())


class Telegram:
    """Builds updates from simulated users and feeds them to the real dispatcher."""

    # Like Telegram's, update ids only grow, across bot restarts too.
    _update_ids = itertools.count(1)

    def __init__(self, bot: Bot, dispatcher: Any, session: RecordingSession) -> None:
        self.bot, self.dp, self.session = bot, dispatcher, session
        self._message_ids = itertools.count(100_000)
        self._callback_ids = itertools.count(1)

    def user(self, user_id: int, username: str | None = None) -> User:
        return User(id=user_id, is_bot=False, first_name="Тест", username=username)

    def message_update(self, user_id: int, text: str | None = None, **extra: Any) -> Update:
        user = self.user(user_id, extra.pop("username", None))
        message = Message(
            message_id=next(self._message_ids),
            date=datetime.now(UTC),
            chat=Chat(id=user_id, type=extra.pop("chat_type", "private")),
            from_user=user,
            text=text,
            **extra,
        )
        return Update(update_id=next(self._update_ids), message=message)

    async def feed(self, update: Update) -> None:
        await self.dp.feed_update(self.bot, update)

    async def send(self, user_id: int, text: str | None = None, **extra: Any) -> Update:
        update = self.message_update(user_id, text, **extra)
        await self.feed(update)
        return update

    def callback_update(self, user_id: int, message: Message, data: str) -> Update:
        query = CallbackQuery(
            id=str(next(self._callback_ids)),
            from_user=self.user(user_id),
            chat_instance="ci",
            message=message,
            data=data,
        )
        return Update(update_id=next(self._update_ids), callback_query=query)

    async def press(self, user_id: int, data: str, message: Message | None = None) -> Update:
        message = message or self.last_with_keyboard(user_id)
        update = self.callback_update(user_id, message, data)
        await self.feed(update)
        return update

    def last(self, chat_id: int) -> Message:
        return self.session.chats[chat_id].last()

    def last_with_keyboard(self, chat_id: int) -> Message:
        log = self.session.chats[chat_id].messages
        return next(
            (log[i] for i in sorted(log, reverse=True) if log[i].reply_markup), self.last(chat_id)
        )

    def button(self, chat_id: int, label: str, message: Message | None = None) -> str:
        """callback_data of the button labelled `label` in the chat's latest keyboard."""
        message = message or self.last_with_keyboard(chat_id)
        assert message.reply_markup is not None, f"no keyboard under: {message.text}"
        for row in message.reply_markup.inline_keyboard:  # type: ignore[union-attr]
            for button in row:
                if label in button.text and button.callback_data:
                    return button.callback_data
        labels = [b.text for r in message.reply_markup.inline_keyboard for b in r]  # type: ignore[union-attr]
        raise AssertionError(f"no button {label!r} among {labels}")

    async def tap(self, chat_id: int, label: str) -> Update:
        return await self.press(chat_id, self.button(chat_id, label))


def make_bot() -> tuple[Bot, RecordingSession]:
    session = RecordingSession()
    bot = Bot(
        "1000001:TEST-token-for-otklik-tests-only",
        session=typeset(session),  # as bot.factory.create_bot sends: nested quotes fixed
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )
    return bot, session
