"""MAX's wire format in aiogram's terms: updates in, errors out."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import SendMessage
from maxapi.exceptions.max import MaxApiError

from bot.max.ids import MessageIds
from bot.max.session import max_error
from bot.max.updates import UpdateTranslator, update_id
from core.channels import MAX_UPDATE_BASE, Channel, address
from storage.database import SessionPool
from storage.recipients import Unreachable, classify

USER = {"user_id": 31337, "first_name": "Анна", "is_bot": False, "name": "Анна"}


def created(mid: str, attachments: list[dict[str, Any]], chat_type: str = "dialog") -> Any:
    return {
        "update_type": "message_created",
        "timestamp": 1_796_000_000_000,
        "message": {
            "sender": USER,
            "recipient": {"chat_id": 77, "chat_type": chat_type},
            "timestamp": 1_796_000_000_000,
            "body": {"mid": mid, "seq": 1, "text": "вот файл", "attachments": attachments},
        },
    }


async def test_files_groups_and_ids(session_pool: SessionPool) -> None:
    translator = UpdateTranslator(MessageIds(session_pool))
    bot = Bot("1:max-channel")
    file = {
        "type": "file",
        "payload": {"url": "http://files.invalid/f", "token": "tok1"},
        "filename": "акт.pdf",
        "size": 1234,
    }
    picture = {"type": "image", "payload": {"url": "http://files.invalid/i", "token": "tok2"}}
    updates = await translator.translate(
        bot,
        [
            created("mid.a", [file]),
            created("mid.b", [picture]),
            created("mid.c", [], chat_type="chat"),  # a group chat: not for this bot
        ],
    )
    assert len(updates) == 2
    document = updates[0].message
    assert document is not None and document.document is not None
    assert (document.document.file_id, document.document.file_name) == ("tok1", "акт.pdf")
    assert document.caption == "вот файл" and document.chat.id == address(Channel.MAX, 31337)
    photo = updates[1].message
    assert photo is not None and photo.photo and photo.photo[0].file_id == "tok2"
    assert document.message_id != photo.message_id  # each mid its own number
    assert translator.file_urls["tok1"] == "http://files.invalid/f"
    assert all(u.update_id >= MAX_UPDATE_BASE for u in updates)
    assert update_id(created("mid.a", [])) == updates[0].update_id  # stable per mid
    await bot.session.close()


@pytest.mark.parametrize(
    ("status", "code", "kind", "reason"),
    [
        (429, "too.many.requests", TelegramRetryAfter, None),
        (503, "service.unavailable", TelegramServerError, None),
        (403, "chat.denied", TelegramForbiddenError, Unreachable.BLOCKED),
        (404, "user.not.found", TelegramBadRequest, Unreachable.NOT_STARTED),
        (400, "proto.payload", TelegramBadRequest, None),
    ],
)
def test_max_errors_are_aiograms(
    status: int, code: str, kind: type[Exception], reason: Unreachable | None
) -> None:
    method = SendMessage(chat_id=1, text="x")
    error = max_error(method, MaxApiError(code=status, raw={"code": code, "message": "m"}))
    assert type(error) is kind
    if isinstance(error, TelegramBadRequest | TelegramForbiddenError):
        forbidden = isinstance(error, TelegramForbiddenError)
        assert classify(error.message, forbidden=forbidden) == reason
