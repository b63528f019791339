"""reply_markup validation with Telegram's error texts, plus button look-ups for tests."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from sandbox.errors import bad_request

INLINE_ACTIONS = (
    "callback_data",
    "url",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "callback_game",
    "pay",
    "web_app",
    "copy_text",
)
MAX_BUTTONS = 100
MAX_CALLBACK_DATA_BYTES = 64

_CANT_PARSE = "can't parse reply keyboard markup JSON object"


def _clean(obj: dict[str, Any]) -> dict[str, Any]:
    """Drop ``null`` fields so stored markup compares equal however it was encoded."""
    return {k: v for k, v in obj.items() if v is not None}


def _check_url(url: Any) -> None:
    if not isinstance(url, str) or not url:
        raise bad_request("BUTTON_URL_INVALID")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https", "tg", "ton"):
        raise bad_request("BUTTON_URL_INVALID")
    if parts.scheme.lower() in ("http", "https") and not parts.netloc:
        raise bad_request("BUTTON_URL_INVALID")


def _inline_button(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise bad_request(
            "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
        )
    button = _clean(raw)
    text = button.get("text")
    if not isinstance(text, str):
        raise bad_request(
            'can\'t parse inline keyboard button: Field "text" must be of type String'
        )
    if not text.strip():
        raise bad_request("BUTTON_TEXT_EMPTY")
    actions = [name for name in INLINE_ACTIONS if name in button]
    if not actions:
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if len(actions) > 1:
        raise bad_request(
            "can't parse inline keyboard button: only one of the optional fields "
            f"can be specified, found {', '.join(actions)}"
        )
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str):
            raise bad_request(
                'can\'t parse inline keyboard button: Field "callback_data" must be of type String'
            )
        if not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button:
        _check_url(button["url"])
    return button


def _inline_keyboard(raw: Any) -> list[list[dict[str, Any]]]:
    if not isinstance(raw, list) or not all(isinstance(row, list) for row in raw):
        raise bad_request(
            'field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays'
        )
    rows = [[_inline_button(b) for b in row] for row in raw]
    if sum(len(row) for row in rows) > MAX_BUTTONS:
        raise bad_request("REPLY_MARKUP_TOO_LONG")
    return rows


def _keyboard_button(raw: Any) -> dict[str, Any]:
    if isinstance(raw, str):
        raw = {"text": raw}
    if not isinstance(raw, dict):
        raise bad_request(
            "can't parse keyboard button: KeyboardButton must be a String or an Object"
        )
    button = _clean(raw)
    if not isinstance(button.get("text"), str):
        raise bad_request('can\'t parse keyboard button: Field "text" must be of type String')
    if not button["text"].strip():
        raise bad_request("BUTTON_TEXT_EMPTY")
    return button


def validate_reply_markup(raw: Any, *, inline_only: bool = False) -> dict[str, Any]:
    """Validate and normalise a reply_markup object, raising Telegram's 400s."""
    if not isinstance(raw, dict):
        raise bad_request(_CANT_PARSE)
    markup = _clean(raw)
    kinds = [
        k for k in ("inline_keyboard", "keyboard", "remove_keyboard", "force_reply") if k in markup
    ]
    if len(kinds) != 1:
        raise bad_request(_CANT_PARSE)
    kind = kinds[0]
    if inline_only and kind != "inline_keyboard":
        raise bad_request("inline keyboard expected")
    if kind == "inline_keyboard":
        return {"inline_keyboard": _inline_keyboard(markup["inline_keyboard"])}
    if kind == "keyboard":
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request(
                'field "keyboard" of the ReplyKeyboardMarkup should be an Array of Arrays'
            )
        markup["keyboard"] = [[_keyboard_button(b) for b in row] for row in rows]
        placeholder = markup.get("input_field_placeholder")
        if placeholder is not None and len(str(placeholder)) > 64:
            raise bad_request("input field placeholder is too long")
        return markup
    if markup[kind] is not True:
        raise bad_request(_CANT_PARSE)
    return markup


def inline_buttons(markup: dict[str, Any] | None) -> list[dict[str, Any]]:
    """All inline buttons of a markup in reading order (empty for other kinds)."""
    if not markup or "inline_keyboard" not in markup:
        return []
    return [button for row in markup["inline_keyboard"] for button in row]


def callback_datas(markup: dict[str, Any] | None) -> frozenset[str]:
    """The set of callback_data values a user could legitimately send by pressing."""
    return frozenset(b["callback_data"] for b in inline_buttons(markup) if "callback_data" in b)


def find_button(markup: dict[str, Any] | None, text: str) -> dict[str, Any] | None:
    """First inline button whose text equals ``text``, else the first containing it."""
    buttons = inline_buttons(markup)
    for button in buttons:
        if button["text"] == text:
            return button
    needle = text.casefold()
    for button in buttons:
        if needle in button["text"].casefold():
            return button
    return None
