"""Russian forms of numbers and months for texts and documents: «в марте 2025 г.», «4,25».

Grammatical cases of month names and the decimal comma are locale data that gettext does not
cover; they live here, beside the calendar, so every layer formats dates the same way.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

MONTHS_NOMINATIVE = (
    "январь", "февраль", "март", "апрель", "май", "июнь",
    "июль", "август", "сентябрь", "октябрь", "ноябрь", "декабрь",
)  # fmt: skip
MONTHS_GENITIVE = (
    "января", "февраля", "марта", "апреля", "мая", "июня",
    "июля", "августа", "сентября", "октября", "ноября", "декабря",
)  # fmt: skip
MONTHS_PREPOSITIONAL = (
    "январе", "феврале", "марте", "апреле", "мае", "июне",
    "июле", "августе", "сентябре", "октябре", "ноябре", "декабре",
)  # fmt: skip
MONTHS_SHORT = (
    "янв", "фев", "мар", "апр", "май", "июн",
    "июл", "авг", "сен", "окт", "ноя", "дек",
)  # fmt: skip

MonthCase = Literal["nominative", "genitive", "prepositional"]
_CASES: dict[str, tuple[str, ...]] = {
    "nominative": MONTHS_NOMINATIVE,
    "genitive": MONTHS_GENITIVE,
    "prepositional": MONTHS_PREPOSITIONAL,
}


# A letter of the Russian alphabet: a text written in Russian has at least one.
CYRILLIC_LETTER = re.compile(r"[А-Яа-яЁё]")

# The tallest capital and the deepest descenders of Cyrillic and Latin together: a line of
# either script fits in the height this sample takes.
TALL_AND_DEEP_GLYPHS = "ЁЙgyр"

# The stem of «пропустить», «можно пропустить»: a question's text that has it says it may be
# skipped. Questionnaires are written in Russian whatever the reader's locale.
SKIP_STEM = "пропуст"


def fold_yo(text: str) -> str:
    """«ё» read as «е», as Russian readers do when they compare names."""
    return text.replace("ё", "е").replace("Ё", "Е")


def inner_quotes(text: str) -> str:
    """A name that goes inside «…»: its own «ёлочки» become „лапки“, so quotes never nest
    as «…«…»…» (issue #17: «no nested identical quotation marks»)."""
    return text.replace("«", "„").replace("»", "“")


_GUILLEMETS = re.compile("[«»]")


def nest_quotes(text: str) -> str:
    """Quotes inside quotes the Russian way: «Выдача «справки»» → «Выдача „справки“».

    Messages put names in «{process}», and a name may bring its own «ёлочки». Each
    «…» opened inside another becomes „…“. A text whose quotes do not pair up (a lone «
    typed by someone) is left as it is rather than guessed at.
    """
    if text.count("«") < 2 or text.count("«") != text.count("»"):
        return text
    chars: list[str] | None = None
    depth = 0
    for mark in _GUILLEMETS.finditer(text):
        if mark.group() == "«":
            depth += 1
            inner = depth > 1
        else:
            depth -= 1
            if depth < 0:
                return text
            inner = depth > 0
        if inner:
            chars = chars if chars is not None else list(text)
            chars[mark.start()] = "„" if mark.group() == "«" else "“"
    return text if chars is None else "".join(chars)


def ru_number(value: float, digits: int = 2) -> str:
    """Format a number the Russian way: decimal comma and a true minus sign."""
    text = f"{abs(value):.{digits}f}".replace(".", ",")
    if value < 0 and text.strip("0,") != "":
        return "−" + text
    return text


def plural_ru(count: int, one: str, few: str, many: str) -> str:
    """Pick the Russian plural form for ``count`` (1 месяц, 2 месяца, 5 месяцев)."""
    tail100, tail10 = abs(count) % 100, abs(count) % 10
    if 11 <= tail100 <= 14:
        return many
    if tail10 == 1:
        return one
    if 2 <= tail10 <= 4:
        return few
    return many


def month_ru(month: date, case: MonthCase = "nominative", *, year: bool = True) -> str:
    """Name a month in the grammatical case the sentence needs, e.g. «в марте 2025 г.»."""
    name = _CASES[case][month.month - 1]
    return f"{name} {month.year} г." if year else name


def month_range_ru(first: date, last: date) -> str:
    """Name a span of months: «январь–апрель 2025 г.» or «ноябрь 2024 г. – февраль 2025 г.»."""
    if (first.year, first.month) == (last.year, last.month):
        return month_ru(first)
    if first.year == last.year:
        return f"{month_ru(first, year=False)}–{month_ru(last)}"
    return f"{month_ru(first)} – {month_ru(last)}"


def format_p_value(p_value: float) -> str:
    """Show a p-value with the precision people can use: «p = 0,04», «p < 0,001»."""
    if p_value < 0.001:
        return "p < 0,001"
    return f"p = {ru_number(p_value, 2 if p_value >= 0.01 else 3)}"
