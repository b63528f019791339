"""aiogram's built-in i18n fed from `.po` catalogues compiled at start-up.

The `.po` files are the single source of truth; compiled `.mo` files are written to a
temporary folder once per process instead of being committed.
"""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path

from aiogram.utils.i18n import I18n
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "messages"


@cache
def compiled_locales() -> Path:
    """Compile every catalogue into a private folder laid out as gettext expects."""
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


def create_i18n(default_locale: str = "ru") -> I18n:
    return I18n(path=compiled_locales(), default_locale=default_locale, domain=DOMAIN)
