"""Counted words shared by the decline explanations and the reports («3 месяца», «1 ответ»).

The three Russian plural forms are three msgids, chosen by `core.russian.plural_ru`.
"""

from __future__ import annotations

from core.i18n import Translator
from core.russian import plural_ru


def months_text(count: int, _: Translator) -> str:
    form = plural_ru(count, _("{count} month"), _("{count} months (few)"), _("{count} months"))
    return form.format(count=count)


def answers_text(count: int, _: Translator) -> str:
    form = plural_ru(
        count, _("{count} response"), _("{count} responses (few)"), _("{count} responses")
    )
    return form.format(count=count)
