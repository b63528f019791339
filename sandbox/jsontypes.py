"""JSON shapes shared by every part of the sandbox."""

from __future__ import annotations

import json
from typing import Any

JsonDict = dict[str, Any]


def dumps(value: Any) -> str:
    """Compact UTF-8 JSON, the way Telegram answers."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
