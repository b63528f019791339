"""Bot API methods that send, edit and delete messages, files and callback answers."""

from __future__ import annotations

import time

from sandbox.errors import bad_request
from sandbox.jsontypes import JsonDict
from sandbox.telegram.media import MAX_DOWNLOAD_BYTES
from sandbox.telegram.methods import (
    CHAT_ACTIONS,
    COMPARED_FIELDS,
    MAX_CALLBACK_TEXT,
    NOT_MODIFIED,
    QUERY_TOO_OLD,
    Handler,
    MethodGroup,
)
from sandbox.telegram.params import Params, Upload


class SendMethods(MethodGroup):
    """sendMessage, sendPhoto, sendDocument, edits, deleteMessage, answerCallbackQuery..."""

    def table(self) -> dict[str, Handler]:
        return {
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
        }

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
        if all(record.message.get(k) == new.get(k) for k in COMPARED_FIELDS):
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
        if all(record.message.get(k) == new.get(k) for k in COMPARED_FIELDS):
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
