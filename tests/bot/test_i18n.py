"""Every user-facing string has a Russian translation and the same placeholders."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]


def test_every_msgid_in_code_is_translated_to_russian() -> None:
    tool = runpy.run_path(str(ROOT / "tools" / "i18n_update.py"))
    template = tool["extract"]()
    with (ROOT / "core/locales/ru/LC_MESSAGES/messages.po").open("rb") as source:
        russian = read_po(source, locale="ru")
    missing = [
        m.id for m in template if m.id and not (russian.get(m.id) and russian.get(m.id).string)
    ]
    assert missing == []
    placeholder = re.compile(r"\{\w+\}")
    for message in russian:
        if message.id and message.string:
            assert sorted(placeholder.findall(str(message.id))) == sorted(
                placeholder.findall(str(message.string))
            ), message.id


def test_english_catalogue_exists() -> None:
    assert (ROOT / "core/locales/en/LC_MESSAGES/messages.po").exists()


# Words a msgid carries in parentheses only to tell translators which sense is meant
# ("done (step)" and "done (measure)" are different words in Russian).
TRANSLATOR_HINTS = re.compile(
    r" \((?:clients|segment|sheet|few|measure|criticality|named by|deadline|step"
    r"|collection channel)\)$"
)


def test_english_shows_no_translator_hints() -> None:
    with (ROOT / "core/locales/en/LC_MESSAGES/messages.po").open("rb") as source:
        english = read_po(source, locale="en")
    hinted = [m.id for m in english if m.id and TRANSLATOR_HINTS.search(str(m.id))]
    assert hinted, "the hints this test knows are no longer used: update TRANSLATOR_HINTS"
    assert [m for m in hinted if not english.get(m).string] == []
    for msgid in hinted:
        shown = str(english.get(msgid).string)
        assert not TRANSLATOR_HINTS.search(shown), shown
