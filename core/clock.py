"""The clock: timezone-aware UTC now, injected wherever time matters."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime


def utcnow() -> datetime:
    """Timezone-aware now; stored as UTC everywhere."""
    return datetime.now(UTC)


Clock = Callable[[], datetime]
"""Injected wherever time matters, so tests move time instead of sleeping."""
