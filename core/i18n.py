"""The one translation system: gettext catalogues in `core/locales`, Russian by default.

msgids are English; `ru` holds the Russian every user sees by default, `en` may stay empty
(gettext then shows the msgid). Handlers get aiogram's context-bound `_`; the domain, which
knows no messenger, gets a `Translator` (the same catalogue) as an argument and never writes
user-facing literals itself. `tools/i18n_update.py` extracts every `_("…")` of the project.
"""

from __future__ import annotations

import gettext
import tempfile
from functools import cache
from pathlib import Path
from typing import Protocol

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "messages"
DEFAULT_LOCALE = "ru"


class Translator(Protocol):
    """`_("msgid")`, or `_("one", "many", n)` for plurals: aiogram's `gettext` fits too."""

    def __call__(self, singular: str, plural: str | None = None, n: int = 1) -> str: ...


@cache
def compiled_locales() -> Path:
    """Compile every catalogue into a private folder laid out as gettext expects.

    The `.po` files are the single source of truth; `.mo` files are written once per process
    instead of being committed.
    """
    target = Path(tempfile.mkdtemp(prefix="otklik-locales-"))
    for po_path in sorted(LOCALES_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        locale = po_path.parent.parent.name
        with po_path.open("rb") as source:
            catalog = read_po(source, locale=locale)
        out = target / locale / "LC_MESSAGES" / f"{DOMAIN}.mo"
        out.parent.mkdir(parents=True)
        with out.open("wb") as sink:
            write_mo(sink, catalog)
    return target


class _Catalogue:
    def __init__(self, translations: gettext.NullTranslations, locale: str) -> None:
        self._translations = translations
        self.locale = locale

    def __call__(self, singular: str, plural: str | None = None, n: int = 1) -> str:
        if plural is None:
            return self._translations.gettext(singular)
        return self._translations.ngettext(singular, plural, n)


@cache
def translator(locale: str = DEFAULT_LOCALE) -> Translator:
    """The catalogue of `locale` (unknown locales show the English msgids)."""
    translations = gettext.translation(
        DOMAIN, localedir=compiled_locales(), languages=[locale], fallback=True
    )
    return _Catalogue(translations, locale)


def locale_of(_: Translator) -> str:
    """The locale a translator speaks, for what gettext does not cover (month names).

    Catalogues of `translator` know theirs; any other translator (aiogram's) counts as the
    default locale.
    """
    return str(getattr(_, "locale", DEFAULT_LOCALE))
