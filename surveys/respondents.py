"""Pseudonymous respondent keys: HMAC-SHA256 of the channel and its user id with the secret key."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from core.channels import Channel, channel_of, native_id


def respondent_key(secret: bytes, telegram_user_id: int) -> str:
    """Stable per person and installation, unreadable without the secret."""
    return hmac.new(secret, str(telegram_user_id).encode(), hashlib.sha256).hexdigest()


def channel_respondent_key(secret: bytes, channel: str, user_id: str | int) -> str:
    """The key of a person in a channel; Telegram's keeps its original form (no prefix), so
    answers given before other channels existed stay the same person's."""
    if channel == "telegram":
        return respondent_key(secret, int(user_id))
    message = f"{channel}:{user_id}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def address_key(secret: bytes, chat: int) -> str:
    """The key of whoever writes from a chat address (core.channels): per person per channel."""
    channel = channel_of(chat)
    if channel is Channel.TELEGRAM:
        return respondent_key(secret, chat)
    return channel_respondent_key(secret, channel.value, native_id(chat))


TOMBSTONE_PREFIX = "forgotten-"


def tombstone_key() -> str:
    """A random key that replaces a forgotten person's key in their past answers."""
    return TOMBSTONE_PREFIX + secrets.token_hex(27)


def is_tombstone(key: str) -> bool:
    """A key /forget left behind: whoever held it is no longer linked to these rows."""
    return key.startswith(TOMBSTONE_PREFIX)
