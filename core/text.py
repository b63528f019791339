"""What counts as text a person wrote: whitespace and invisible characters are not text.

``str.strip`` leaves zero-width spaces, joiners, direction marks, the word joiner, the BOM
and blank-looking letters (Hangul filler, Braille blank) in place, so a message of only
those looked like a comment and raised a low-score alert. Every typed answer goes through
:func:`visible` before anyone decides there is something.
"""

from __future__ import annotations

import unicodedata

__all__ = ["is_blank", "visible"]

# Letters and symbols that render as nothing, beyond the Cf/Cc/Z* categories.
_BLANK_GLYPHS = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u180e\u2800\u3164\uffa0")
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})


def _invisible(char: str) -> bool:
    return (
        char.isspace()
        or char in _BLANK_GLYPHS
        or unicodedata.category(char) in _INVISIBLE_CATEGORIES
    )


def visible(text: str | None) -> str:
    """``text`` without invisible characters at either end; "" when nothing is visible."""
    if not text:
        return ""
    start, end = 0, len(text)
    while start < end and _invisible(text[start]):
        start += 1
    while end > start and _invisible(text[end - 1]):
        end -= 1
    return text[start:end]


def is_blank(text: str | None) -> bool:
    """True when a person wrote nothing one could read."""
    return not visible(text)
