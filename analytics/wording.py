"""Counted words shared by the decline explanations and the reports («3 месяца», «1 ответ»),
and the names of the collection channels, which /stats and the reports both show.

The three Russian plural forms are three msgids, chosen by `core.wording.counted`
(English counts with two of them).
"""

from __future__ import annotations

from core.i18n import Translator
from core.wording import __, counted


def months_text(count: int, _: Translator) -> str:
    return counted(count, _, __("{count} month"), __("{count} months (few)"), __("{count} months"))


def answers_text(count: int, _: Translator) -> str:
    return counted(
        count, _, __("{count} response"), __("{count} responses (few)"), __("{count} responses")
    )


# The channels answers are collected through (`responses.collected_via`), in display order.
COLLECTION_CHANNELS = ("telegram", "max", "web")


def collection_labels(_: Translator) -> dict[str, str]:
    """«Telegram», «MAX», «Веб-форма»: where people answered, not the touchpoint's kind."""
    return {
        "telegram": _("Telegram (collection channel)"),
        "max": _("MAX (collection channel)"),
        "web": _("Web form (collection channel)"),
    }


def collection_order(channel: str) -> tuple[int, str]:
    """Known channels in their display order, any other after them by name."""
    known = COLLECTION_CHANNELS.index(channel) if channel in COLLECTION_CHANNELS else 99
    return known, channel
