"""The messengers a person may use, and one integer address space for their chats.

The domain keeps a chat as one integer (the outbox, invitations, contacts, the owner's
chats). Telegram's user and chat ids have at most 52 significant bits; a MAX user id is
written as ``MAX_BASE + id`` (``MAX_BASE`` = 2**53), so an address tells its channel and no
table needs a second column to know where a message goes. Update ids share the idea: a MAX
update's inbox id is at or above ``MAX_UPDATE_BASE`` (Telegram's are small counters).
"""

from __future__ import annotations

import enum

MAX_BASE = 1 << 53
MAX_UPDATE_BASE = 1 << 62


class Channel(enum.StrEnum):
    """A messenger; the value is what `responses.collected_via` and the outbox store."""

    TELEGRAM = "telegram"
    MAX = "max"


def address(channel: Channel, user_id: int) -> int:
    """The chat address of a channel's user id (Telegram's ids are their own address)."""
    if channel is Channel.MAX:
        if not 0 < user_id < MAX_BASE:
            raise ValueError("a MAX user id is a positive integer below 2**53")
        return MAX_BASE + user_id
    return user_id


def channel_of(chat: int) -> Channel:
    return Channel.MAX if chat > MAX_BASE else Channel.TELEGRAM


def native_id(chat: int) -> int:
    """The id the channel's own API knows the chat by."""
    return chat - MAX_BASE if chat > MAX_BASE else chat
