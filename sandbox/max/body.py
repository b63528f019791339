"""``NewMessageBody`` checked the way MAX checks it, and turned into a message ``body``.

Keyboards are ``{"type": "inline_keyboard", "payload": {"buttons": [[button, ...], ...]}}``
with callback buttons ``{"type": "callback", "text", "payload"}`` and link buttons
``{"type": "link", "text", "url"}``; media refer to uploads by ``payload.token``.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

from sandbox.jsontypes import JsonDict
from sandbox.max.errors import MaxError, bad_request
from sandbox.max.formatting import parse
from sandbox.max.records import UploadedFile

MAX_TEXT = 4000
MAX_BUTTON_TEXT = 128
MAX_CALLBACK_PAYLOAD = 1024
MAX_ROWS = 30
MAX_PER_ROW = 7
MAX_BUTTONS = 210
BUTTON_FIELDS: dict[str, tuple[str, ...]] = {
    "callback": ("payload",),
    "link": ("url",),
    "request_contact": (),
    "request_geo_location": (),
    "open_app": (),
    "message": (),
    "clipboard": ("payload",),
}
MEDIA_TYPES = ("image", "video", "audio", "file")
OTHER_TYPES = ("sticker", "contact", "location", "share")
NOT_READY = "Key: errors.process.attachment.file.not.processed"


def _button(raw: Any) -> JsonDict:
    if not isinstance(raw, dict):
        raise bad_request("button must be an object")
    kind = raw.get("type")
    if kind not in BUTTON_FIELDS:
        raise bad_request(f"Unknown button type: {kind!r}")
    text = raw.get("text")
    if not isinstance(text, str) or not text.strip():
        raise bad_request("button.text: must not be empty")
    if len(text) > MAX_BUTTON_TEXT:
        raise bad_request(f"button.text: size must be between 1 and {MAX_BUTTON_TEXT}")
    for name in BUTTON_FIELDS[kind]:
        if not isinstance(raw.get(name), str) or not raw[name]:
            raise bad_request(f"button.{name}: must not be empty")
    if kind == "callback" and len(raw["payload"]) > MAX_CALLBACK_PAYLOAD:
        raise bad_request(f"button.payload: size must be at most {MAX_CALLBACK_PAYLOAD}")
    if kind == "link":
        parts = urlsplit(raw["url"])
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise bad_request(f"button.url: invalid URL {raw['url']!r}")
    return {k: v for k, v in raw.items() if v is not None}


def keyboard(payload: Any) -> JsonDict:
    """A checked inline keyboard attachment (rows of buttons)."""
    rows = payload.get("buttons") if isinstance(payload, dict) else None
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise bad_request("inline_keyboard.payload.buttons: must be an array of arrays")
    rows = [row for row in rows if row]
    if len(rows) > MAX_ROWS or any(len(row) > MAX_PER_ROW for row in rows):
        raise bad_request(
            f"inline_keyboard: at most {MAX_ROWS} rows of at most {MAX_PER_ROW} buttons"
        )
    if sum(len(row) for row in rows) > MAX_BUTTONS:
        raise bad_request(f"inline_keyboard: at most {MAX_BUTTONS} buttons")
    return {
        "type": "inline_keyboard",
        "payload": {"buttons": [[_button(b) for b in r] for r in rows]},
    }


class BodyBuilder:
    """Turns request bodies into message bodies; ``uploads`` resolves media tokens."""

    def __init__(self, uploads: dict[str, UploadedFile], file_url: str) -> None:
        self.uploads = uploads
        self.file_url = file_url

    def media(self, kind: str, payload: Any) -> JsonDict:
        if not isinstance(payload, dict):
            raise bad_request(f"{kind}.payload: must be an object")
        if kind == "image" and isinstance(payload.get("url"), str) and "token" not in payload:
            return {"type": "image", "payload": {"url": payload["url"], "photo_id": 0}}
        token = payload.get("token")
        if kind == "image" and token is None and isinstance(payload.get("photos"), dict):
            first: Any = next(iter(payload["photos"].values()), {})
            token = first.get("token") if isinstance(first, dict) else None
        stored = self.uploads.get(token) if isinstance(token, str) else None
        if stored is None or stored.type != kind:
            raise bad_request(f"{kind}.payload.token: unknown or wrong type of upload")
        if not stored.uploaded or time.monotonic() < stored.ready_at:
            raise MaxError(400, "attachment.not.ready", NOT_READY)
        out: JsonDict = {"url": f"{self.file_url}/{stored.token}", "token": stored.token}
        attachment: JsonDict = {"type": kind, "payload": out}
        if kind == "image":
            out["photo_id"] = stored.photo_id
        if kind == "file":
            attachment["filename"] = stored.filename or "file"
            attachment["size"] = stored.size
        return attachment

    def attachments(self, raw: Any) -> list[JsonDict]:
        if not isinstance(raw, list):
            raise bad_request("attachments: must be an array")
        out: list[JsonDict] = []
        for item in raw:
            kind = item.get("type") if isinstance(item, dict) else None
            if kind == "inline_keyboard":
                if any(a["type"] == "inline_keyboard" for a in out):
                    raise bad_request("only one inline_keyboard per message")
                out.append(keyboard(item.get("payload")))
            elif kind in MEDIA_TYPES:
                out.append(self.media(str(kind), item.get("payload")))
            elif kind in OTHER_TYPES:
                out.append({k: v for k, v in item.items() if v is not None})
            else:
                raise bad_request(f"Unknown attachment type: {kind!r}")
        return out

    def build(self, raw: Any, current: JsonDict | None = None) -> tuple[JsonDict, str | None, str]:
        """(body fields, format, text as sent) of a NewMessageBody; ``current`` for edits.

        On an edit, an absent (or null) ``text``/``attachments`` keeps the current one and
        ``"attachments": []`` removes them all.
        """
        if not isinstance(raw, dict):
            raise bad_request("body must be a JSON object")
        fmt = raw.get("format")
        source = raw.get("text")
        if source is not None and not isinstance(source, str):
            raise bad_request("text: must be a string")
        if source is not None and len(source) > MAX_TEXT:
            raise bad_request(f"text: size must be between 0 and {MAX_TEXT}")
        body: JsonDict = {}
        if source is not None:
            body["text"], body["markup"] = parse(source, fmt)
        elif current is not None:
            body["text"], body["markup"] = current.get("text"), current.get("markup", [])
        else:
            body["text"], body["markup"] = None, []
        if raw.get("attachments") is not None:
            body["attachments"] = self.attachments(raw["attachments"])
        else:
            body["attachments"] = list(current.get("attachments") or []) if current else []
        if current is None and not body["text"] and not body["attachments"]:
            raise bad_request("text: message must have text or attachments")
        return body, fmt if isinstance(fmt, str) else None, source or ""
