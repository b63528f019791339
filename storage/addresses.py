"""A person's chat address in the channel they use (core.channels), and people by address.

A person of the registry may be known by a Telegram id, a MAX user id, or both. The bot
writes to them where it can: Telegram when their Telegram id is known (the channel the
installation started with), else MAX. A person who writes from a channel is recognised by
that channel's id.
"""

from __future__ import annotations

import sqlalchemy as sa

from core.channels import Channel, address, channel_of, native_id
from storage.models import Person


def person_address(telegram_id: int | None, max_id: int | None) -> int | None:
    """Where the bot writes to a person: Telegram if known, else MAX; None when neither."""
    if telegram_id is not None:
        return int(telegram_id)
    if max_id is not None:
        return address(Channel.MAX, int(max_id))
    return None


def person_at(chat: int) -> sa.ColumnElement[bool]:
    """The person whose id in the chat's channel is the chat's."""
    if channel_of(chat) is Channel.MAX:
        return Person.max_id == native_id(chat)
    return Person.telegram_id == chat


def unaddressed() -> sa.ColumnElement[bool]:
    """People the bot has no chat for in any channel yet."""
    return sa.and_(Person.telegram_id.is_(None), Person.max_id.is_(None))


def new_person_at(chat: int) -> Person:
    """A person first met in a chat (an accepted invite), identified in its channel."""
    if channel_of(chat) is Channel.MAX:
        return Person(max_id=native_id(chat))
    return Person(telegram_id=chat)
