"""Short labels that still tell items apart (buttons, chart axes).

Issue #17, point 1: «buttons are cut at 60 characters without «…»; a search for «компенсац»
gives two identical buttons because the place is cut off … every label that must be shortened
keeps what tells items apart». So a label is cut in its common part, never in the tail that
differs from its neighbours, and every cut shows «…».
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import takewhile

__all__ = ["BUTTON_LIMIT", "labels_apart", "shorten"]

BUTTON_LIMIT = 60
"""Characters of a button label: longer ones are cut by Telegram clients and MAX alike."""

ELLIPSIS = "…"
_MIN_HEAD = 12  # characters of the beginning always kept: it says what kind of item it is


def _common_length(one: str, other: str) -> int:
    return sum(
        1 for _pair in takewhile(lambda pair: pair[0] == pair[1], zip(one, other, strict=False))
    )


def _cut_end(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + ELLIPSIS


def shorten(text: str, limit: int = BUTTON_LIMIT, differs_at: int = 0) -> str:
    """``text`` in at most ``limit`` characters, keeping the part from ``differs_at`` on.

    The beginning says what the item is, and what follows ``differs_at`` tells it from its
    neighbours: when both do not fit, the middle is cut («Назначение… — МФЦ Ленинского района»).
    """
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    if differs_at < limit - 1:
        return _cut_end(text, limit)  # the difference is in the beginning: cut the end
    tail = text[_tail_start(text, differs_at, limit) :]
    head_room = limit - len(tail) - 2
    if head_room >= _MIN_HEAD:
        return _head(text, head_room) + ELLIPSIS + " " + tail
    head = _head(text, _MIN_HEAD) + ELLIPSIS + " "
    return head + _cut_end(tail, limit - len(head))


def _tail_start(text: str, differs_at: int, limit: int) -> int:
    """Where the distinguishing tail begins: after a «: » or « — » before the difference,
    else a few words before it («категория № 12», not «12»), while half the room is left."""
    for separator in (": ", " — ", " - "):
        found = text.rfind(separator, 0, differs_at)
        if found >= _MIN_HEAD:
            return found + len(separator)
    space = text.rfind(" ", 0, differs_at)
    start = space + 1 if space >= 0 else differs_at
    while start > 1:
        earlier = text.rfind(" ", 0, start - 1) + 1
        if earlier <= 0 or len(text) - earlier + 2 > limit - limit // 2:
            break
        start = earlier
    return start


def _head(text: str, room: int) -> str:
    """The first ``room`` characters, ended at a word when a word ends near there."""
    head = text[:room]
    space = head.rfind(" ")
    return (head[:space] if space >= room * 2 // 3 else head).rstrip(" ,:;—-")


def labels_apart(texts: Sequence[str], limit: int = BUTTON_LIMIT) -> list[str]:
    """Each text shortened to ``limit``, cut where it is the same as the others."""
    folded = [" ".join(text.split()) for text in texts]
    shortened: list[str] = []
    for index, text in enumerate(folded):
        if len(text) <= limit:
            shortened.append(text)
            continue
        common = max(
            (_common_length(text, other) for n, other in enumerate(folded) if n != index),
            default=0,
        )
        shortened.append(shorten(text, limit, differs_at=common))
    return shortened
