"""aiogram's Bot API calls carried out in MAX: the handlers' session when they serve MAX.

The handlers call the Bot API methods they always call (sendMessage, editMessageText,
answerCallbackQuery, sendDocument …); this session does each through maxapi and answers
with the aiogram objects the handlers expect. MAX's errors are raised as aiogram's own
exceptions, so the errors router, the outbox's retries and the start-up's patience handle
them as they handle Telegram's: 429 → TelegramRetryAfter (MAX names no delay: a second),
5xx → TelegramServerError, 401 → TelegramUnauthorizedError, a person who blocked the bot
→ TelegramForbiddenError, an unknown user → "chat not found".
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Awaitable, Callable
from pathlib import PurePath
from typing import Any, cast

import aiohttp
from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import (
    AnswerCallbackQuery,
    DeleteMessage,
    EditMessageReplyMarkup,
    EditMessageText,
    GetFile,
    GetMe,
    SendDocument,
    SendMessage,
    SendPhoto,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType
from aiogram.types import File, InputFile, Message, User
from maxapi import Bot as MaxClient
from maxapi.enums.parse_mode import TextFormat
from maxapi.enums.upload_type import UploadType
from maxapi.exceptions.max import InvalidToken, MaxApiError, MaxConnection, MaxUploadFileFailed
from maxapi.types.attachments.upload import AttachmentPayload, AttachmentUpload

from bot.max.ids import MessageIds
from bot.max.markup import keyboard
from bot.max.pacing import ATTEMPTS_ON_429, MaxPacer
from bot.max.updates import UpdateTranslator
from bot.max.uploads import upload
from core.channels import Channel, address, channel_of, native_id

log = logging.getLogger(__name__)
Call = Callable[[Bot, Any], Awaitable[Any]]
# Calls with no MAX counterpart the bot needs: the command menu (MAX shows none per role),
# webhooks (MAX's subscriptions are managed by bot.max.polling), chat actions.
_NOTHING_TO_DO = frozenset(
    {"SetMyCommands", "DeleteMyCommands", "DeleteWebhook", "SetChatMenuButton", "SendChatAction"}
)


def max_error(method: TelegramMethod[Any], error: MaxApiError) -> Exception:
    raw = error.raw if isinstance(error.raw, dict) else {}
    code, text = str(raw.get("code", "")), str(raw.get("message", ""))[:200]
    message = f"MAX {error.code} {code}: {text}".strip()
    if error.code == 429:
        return TelegramRetryAfter(method=method, message=message, retry_after=1)
    if error.code >= 500:
        return TelegramServerError(method=method, message=message)
    if error.code == 401:
        return TelegramUnauthorizedError(method=method, message=message)
    if error.code == 403:
        return TelegramForbiddenError(
            method=method, message=f"bot was blocked by the user; {message}"
        )
    if code in ("chat.not.found", "user.not.found") or (
        "not found" in text.lower() and ("chat" in text.lower() or "user" in text.lower())
    ):
        return TelegramBadRequest(method=method, message=f"chat not found; {message}")
    return TelegramBadRequest(method=method, message=message)


def _requests(method: TelegramMethod[Any]) -> int:
    """How many requests to MAX a call makes: its share of the channel's budget."""
    if isinstance(method, AnswerCallbackQuery):
        return 1 if method.text else 0  # a bare acknowledgement sends nothing to MAX
    if isinstance(method, GetFile):
        return 0  # the address came with the update
    if isinstance(method, SendDocument | SendPhoto):
        return 2  # the upload, then the message
    return 1


class MaxSession(BaseSession):
    """The Bot API methods the handlers use, through a maxapi client."""

    def __init__(
        self,
        client: MaxClient,
        ids: MessageIds,
        translator: UpdateTranslator,
        pacer: MaxPacer | None = None,
    ) -> None:
        # bot.download(file_id) asks for `{file path}`: GetFile answers MAX's file address.
        super().__init__(api=TelegramAPIServer(base=client.api_url, file="{path}"))
        self.client = client
        self.pacer = pacer or MaxPacer()
        self.ids = ids
        self.translator = translator
        self._calls: dict[type[Any], Call] = {
            SendMessage: self._send_message,
            EditMessageText: self._edit_text,
            EditMessageReplyMarkup: self._edit_markup,
            AnswerCallbackQuery: self._answer_callback,
            DeleteMessage: self._delete,
            SendDocument: self._send_document,
            SendPhoto: self._send_photo,
            GetMe: self._get_me,
            GetFile: self._get_file,
        }
        self._http: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        await self.client.close_session()
        if self._http is not None:
            await self._http.close()

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,  # noqa: ASYNC109 (aiogram's signature)
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession()
        wait = aiohttp.ClientTimeout(total=timeout)
        async with self._http.get(url, timeout=wait, raise_for_status=raise_for_status) as resp:
            async for chunk in resp.content.iter_chunked(chunk_size):
                yield chunk

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109
    ) -> TelegramType:
        name = type(method).__name__
        if name in _NOTHING_TO_DO:
            return cast(TelegramType, True)
        call = self._calls.get(type(method))
        if call is None:
            raise TelegramBadRequest(method=method, message=f"{name} is not available in MAX")
        try:
            return cast(TelegramType, await self._paced(bot, method, call))
        except InvalidToken as error:
            raise TelegramUnauthorizedError(method=method, message="MAX 401") from error
        except MaxApiError as error:
            raise max_error(method, error) from error
        except (MaxConnection, MaxUploadFileFailed, aiohttp.ClientError, TimeoutError) as error:
            raise TelegramNetworkError(method=method, message=type(error).__name__) from error
        except ValueError as error:  # maxapi's own checks: a text of 4000 characters or more
            raise TelegramBadRequest(method=method, message=str(error)[:200]) from error

    async def _paced(self, bot: Bot, method: TelegramMethod[Any], call: Call) -> Any:
        """The call in its turn of MAX's 30 a second (bot.max.pacing); a 429 — the request
        was refused, not carried out — pauses every caller and the call is made again."""
        cost = _requests(method)
        for attempt in range(ATTEMPTS_ON_429):
            await self.pacer.take(cost)
            try:
                return await call(bot, method)
            except MaxApiError as error:
                if error.code != 429 or attempt == ATTEMPTS_ON_429 - 1:
                    raise
                self.pacer.pause()
        raise AssertionError("unreachable")  # pragma: no cover

    # ------------------------------------------------------------------ helpers
    def _user_id(self, method: TelegramMethod[Any], chat_id: Any) -> int:
        if not isinstance(chat_id, int) or channel_of(chat_id) is not Channel.MAX:
            raise TelegramBadRequest(method=method, message="chat not found")
        return native_id(chat_id)

    async def _mid(self, method: TelegramMethod[Any], message_id: int | None) -> str:
        mid = await self.ids.mid(int(message_id or 0))
        if mid is None:
            raise TelegramBadRequest(method=method, message="message to edit not found")
        return mid

    @staticmethod
    def _format(parse_mode: Any) -> TextFormat | None:
        return None if parse_mode is None else TextFormat.HTML

    async def _sent(self, bot: Bot, chat_id: int, answer: Any, text: str | None) -> Message:
        mid = str(answer.message.body.mid) if answer is not None else ""
        number = await self.ids.number(mid) if mid else 0
        chat = {"id": chat_id, "type": "private"}
        payload: dict[str, Any] = {"message_id": number, "date": 0, "chat": chat}
        if text is not None:
            payload["text"] = text
        return Message.model_validate(payload, context={"bot": bot})

    # ------------------------------------------------------------------ methods
    async def _send_message(self, bot: Bot, method: SendMessage) -> Message:
        answer = await self.client.send_message(
            user_id=self._user_id(method, method.chat_id),
            text=method.text,
            attachments=keyboard(method.reply_markup) or None,
            format=self._format(method.parse_mode),
        )
        return await self._sent(bot, cast(int, method.chat_id), answer, method.text)

    async def _edit_text(self, bot: Bot, method: EditMessageText) -> Message | bool:
        mid = await self._mid(method, method.message_id)
        await self.client.edit_message(
            mid,
            text=method.text,
            attachments=keyboard(method.reply_markup),
            format=self._format(method.parse_mode),
        )
        if method.chat_id is None:
            return True
        chat = {"id": method.chat_id, "type": "private"}
        payload = {"message_id": method.message_id, "date": 0, "chat": chat, "text": method.text}
        return Message.model_validate(payload, context={"bot": bot})

    async def _edit_markup(self, bot: Bot, method: EditMessageReplyMarkup) -> bool:
        mid = await self._mid(method, method.message_id)
        await self.client.edit_message(mid, attachments=keyboard(method.reply_markup))
        return True

    async def _answer_callback(self, bot: Bot, method: AnswerCallbackQuery) -> bool:
        # MAX wants a notification or a new message; a bare acknowledgement has neither.
        if method.text:
            await self.client.send_callback(method.callback_query_id, notification=method.text)
        return True

    async def _delete(self, bot: Bot, method: DeleteMessage) -> bool:
        await self.client.delete_message(await self._mid(method, method.message_id))
        return True

    async def _file(self, bot: Bot, file: InputFile | str, kind: UploadType) -> Any:
        if isinstance(file, str):  # a token MAX gave before (a resent document)
            return AttachmentUpload(type=kind, payload=AttachmentPayload(token=file))
        data = b"".join([chunk async for chunk in file.read(bot)])
        return await upload(self.client, data, PurePath(file.filename or "file").name, kind)

    async def _send_file(
        self, bot: Bot, method: SendDocument | SendPhoto, file: Any, kind: UploadType
    ) -> Message:
        user_id = self._user_id(method, method.chat_id)
        upload = await self._file(bot, file, kind)
        answer = await self.client.send_message(
            user_id=user_id,
            text=method.caption,
            attachments=[upload, *keyboard(method.reply_markup)],
            format=self._format(method.parse_mode),
            sleep_after_input_media=False,
        )
        return await self._sent(bot, cast(int, method.chat_id), answer, None)

    async def _send_document(self, bot: Bot, method: SendDocument) -> Message:
        return await self._send_file(bot, method, method.document, UploadType.FILE)

    async def _send_photo(self, bot: Bot, method: SendPhoto) -> Message:
        return await self._send_file(bot, method, method.photo, UploadType.IMAGE)

    async def _get_me(self, bot: Bot, method: GetMe) -> User:
        me = await self.client.get_me()
        return User(
            id=address(Channel.MAX, int(me.user_id)),
            is_bot=True,
            first_name=me.first_name or "",
            username=me.username,
        )

    async def _get_file(self, bot: Bot, method: GetFile) -> File:
        url = self.translator.file_urls.get(method.file_id)
        if url is None:
            raise TelegramBadRequest(method=method, message="file not found")
        return File(file_id=method.file_id, file_unique_id=method.file_id, file_path=url)
