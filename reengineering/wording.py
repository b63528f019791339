"""Msgids the domain names before a translator is at hand, and the default translator.

`__("…")` marks a msgid for extraction (`tools/i18n_update.py`) and returns it unchanged as a
:class:`Msgid`; whoever shows it translates it (`CaseError.text`, the title dictionaries).
"""

from __future__ import annotations

from core.i18n import Translator, translator

__all__ = ["Msgid", "__", "speaking"]


class Msgid(str):
    """An English msgid not translated yet; `CaseError.text` translates it among the params."""

    __slots__ = ()


def __(msgid: str) -> Msgid:
    """Mark `msgid` for the catalogue; it is translated where it is shown."""
    return Msgid(msgid)


def _default_locale(singular: str, plural: str | None = None, n: int = 1) -> str:
    """The default locale's catalogue, compiled on first use rather than at import."""
    return translator()(singular, plural, n)


def speaking(_: Translator | None) -> Translator:
    """The caller's translator, or the default locale's when none was passed (CLI, tests)."""
    return _default_locale if _ is None else _
