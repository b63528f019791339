"""Fixed lists from the regulations: activity directions and client needs.

Kept as data in one place so the migration seeds them and the registry
import validates against the same list.
"""

from __future__ import annotations

from datetime import date
from typing import NamedTuple


class Direction(NamedTuple):
    code: str
    name: str
    internal: bool


# seed 002 §2.6 and seed 003 §2.1.1; codes are stable identifiers, names are the UI words.
ACTIVITY_DIRECTIONS: tuple[Direction, ...] = (
    Direction("support", "Меры государственной поддержки и государственные услуги", False),
    Direction("functions", "Исполнение функций", False),
    Direction("control", "Контроль (надзор)", False),
    Direction("prevention", "Профилактика нарушений обязательных требований", False),
    Direction("appeals", "Рассмотрение обращений и запросов", False),
    Direction("information", "Обеспечение доступа к информации о деятельности", False),
    Direction("internal", "Организация взаимодействия с внутренним клиентом", True),
    Direction("internal_it", "Информационно-техническое обеспечение", True),
    Direction("internal_accounting", "Ведение бухгалтерского учёта", True),
    Direction("internal_facilities", "Административно-хозяйственная деятельность", True),
)

DIRECTION_BY_CODE = {d.code: d for d in ACTIVITY_DIRECTIONS}
DIRECTION_BY_NAME = {d.name.casefold(): d for d in ACTIVITY_DIRECTIONS}

# seed 002 §2.7; the seed skips 8, and its numbers are kept.
CLIENT_NEEDS: dict[int, str] = {
    1: "получение информации",
    2: "получение консультации",
    3: "получение форм документов",
    4: "представление заявления, обращения, запроса, документов",
    5: "получение информации о ходе рассмотрения заявления, обращения, запроса, документов",
    6: "получение результата, ответа, разъяснения",
    7: "предоставление обратной связи",
    9: "получение результата рассмотрения обратной связи",
    10: "другие потребности клиента",
}

TOUCHPOINT_KINDS = {"цифровая": "digital", "офлайн": "offline"}
CLIENT_TYPES = {"внешний": "external", "внутренний": "internal"}


REVIEW_PERIOD_YEARS = 3  # seed 003 §1.5: every process is reengineered at least every 3 years


def add_years(day: date, years: int) -> date:
    """`day` moved by whole years; 29 February falls back to the 28th."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)
