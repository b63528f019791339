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
