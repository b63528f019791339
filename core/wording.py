"""Msgids the domain names before a translator is at hand, and errors that carry them.

`__("…")` marks a msgid for extraction (`tools/i18n_update.py`) and returns it unchanged as a
:class:`Msgid`; whoever shows it translates it. :class:`WordedError` is the pattern of every
domain exception that reaches people: a msgid and its parameters, ``text(_)`` in the
channel's language, ``str()`` in the default locale (logs, the CLI).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from core.i18n import Translator, translator
from core.russian import plural_ru

__all__ = ["Msgid", "Worded", "WordedError", "__", "counted", "speaking", "translate_params"]


class Msgid(str):
    """An English msgid not translated yet; translated among the params where it is shown."""

    __slots__ = ()


def __(msgid: str) -> Msgid:
    """Mark `msgid` for the catalogue; it is translated where it is shown."""
    return Msgid(msgid)


@runtime_checkable
class Worded(Protocol):
    """Something that says itself in the translator's language (a nested error, a listing)."""

    def text(self, _: Translator) -> str: ...


def _default_locale(singular: str, plural: str | None = None, n: int = 1) -> str:
    """The default locale's catalogue, compiled on first use rather than at import."""
    return translator()(singular, plural, n)


def speaking(_: Translator | None) -> Translator:
    """The caller's translator, or the default locale's when none was passed (CLI, tests)."""
    return _default_locale if _ is None else _


def translate_params(params: dict[str, object], _: Translator) -> dict[str, object]:
    """Parameters as shown: msgids translated, worded values said, the rest as they are."""
    return {
        name: _(value)
        if isinstance(value, Msgid)
        else value.text(_)
        if isinstance(value, Worded)
        else value
        for name, value in params.items()
    }


class WordedError(Exception):
    """A request the domain cannot accept: a msgid and its parameters, translated when shown."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message)
        self.message = message
        self.params = params

    def text(self, _: Translator) -> str:
        """The message in the translator's language, its parameters filled in."""
        translated = _(self.message)
        if not self.params:
            return translated
        return translated.format(**translate_params(self.params, _))

    def __str__(self) -> str:
        return self.text(speaking(None))


def counted(count: int, _: Translator, one: str, few: str, many: str) -> str:
    """«21 месяц», «22 месяца», «25 месяцев» in Russian; «21 months» in English.

    The three msgids are the Russian forms (for 1, 2–4, 5–20, and so on by the last digits).
    A catalogue that gives the 2–4 msgid the same text as the many one has no such form:
    it counts the English way, one for 1 and many otherwise. This works for any translator,
    the bot's own and aiogram's alike, which do not say their locale.
    """
    one_text, few_text, many_text = _(one), _(few), _(many)
    if few_text == many_text:
        form = one_text if abs(count) == 1 else many_text
    else:
        form = plural_ru(count, one_text, few_text, many_text)
    return form.format(count=count)
