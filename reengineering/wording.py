"""Msgids the domain names before a translator is at hand, and the default translator.

`__("…")` marks a msgid for extraction (`tools/i18n_update.py`) and returns it unchanged as a
:class:`Msgid`; whoever shows it translates it (`CaseError.text`, the title dictionaries).
The mechanism is shared by every domain package and lives in :mod:`core.wording`.
"""

from __future__ import annotations

from core.wording import Msgid, __, speaking

__all__ = ["Msgid", "__", "speaking"]
