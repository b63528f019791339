"""Pseudonymous respondent keys: HMAC-SHA256 of the Telegram user id with the secret key."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def respondent_key(secret: bytes, telegram_user_id: int) -> str:
    """Stable per person and installation, unreadable without the secret."""
    return hmac.new(secret, str(telegram_user_id).encode(), hashlib.sha256).hexdigest()


def tombstone_key() -> str:
    """A random key that replaces a forgotten person's key in their past answers."""
    return "forgotten-" + secrets.token_hex(27)
