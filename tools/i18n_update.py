"""Extract msgids from the code and merge them into the catalogues, keeping translations.

Usage: python tools/i18n_update.py [--translate ru.json] [--english en.json]
  prints the msgids that still lack a Russian translation; --translate merges a JSON object
  {"English msgid": "Русский перевод"} into the Russian catalogue first; --english merges
  {"msgid": "English text"} into the English one, for the few msgids that are not themselves
  the English text (a label disambiguated for translators, e.g. "MAX (collection channel)").
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
LOCALES = ROOT / "core" / "locales"
# Every package that speaks to people; the domain gets a translator (core.i18n) and uses `_`.
SOURCES = tuple(
    sorted(
        path.parent.name
        for path in ROOT.glob("*/__init__.py")
        if path.parent.name not in {"tests", "sandbox", "bench", "tools"}
    )
)


def extract() -> Catalog:
    template = Catalog(project="otklik", version="0.1")
    for folder in SOURCES:
        for filename, lineno, message, _comments, _context in extract_from_dir(
            ROOT / folder, keywords={"_": None, "__": None}
        ):
            template.add(message, locations=[(f"{folder}/{filename}", lineno)])
    return template


def main() -> int:
    options = dict(zip(sys.argv[1::2], sys.argv[2::2], strict=False))
    given = {
        locale: json.loads(Path(options[flag]).read_text(encoding="utf-8"))
        for flag, locale in (("--translate", "ru"), ("--english", "en"))
        if flag in options
    }
    template = extract()
    missing: list[str] = []
    for po_path in sorted(LOCALES.glob("*/LC_MESSAGES/messages.po")):
        locale = po_path.parent.parent.name
        with po_path.open("rb") as source:
            catalog = read_po(source, locale=locale)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        catalog.fuzzy = False
        for message in catalog:
            if message.id in given.get(locale, {}):
                message.string = given[locale][str(message.id)]
        if locale == "ru":
            missing = [str(m.id) for m in catalog if m.id and not m.string]
        with po_path.open("wb") as sink:
            write_po(sink, catalog, width=100, no_location=True, omit_header=False)
    for msgid in missing:
        print(f"untranslated (ru): {msgid!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
