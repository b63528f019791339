"""Counted words follow each language's rules: three forms in Russian, two in English."""

from __future__ import annotations

from functools import partial

from analytics.wording import answers_text, months_text
from bot.i18n import create_i18n
from core.i18n import translator
from reengineering.reminders import working_days_phrase

COUNTS = (1, 2, 5, 11, 21, 22, 25, 101)


def test_russian_has_a_form_for_one_for_two_to_four_and_for_many() -> None:
    ru = translator("ru")
    assert [months_text(n, ru) for n in COUNTS] == [
        "1 месяц", "2 месяца", "5 месяцев", "11 месяцев",
        "21 месяц", "22 месяца", "25 месяцев", "101 месяц",
    ]  # fmt: skip
    assert working_days_phrase(23, ru) == "23 рабочих дня"


def test_english_says_one_for_one_only() -> None:
    en = translator("en")
    assert [months_text(n, en) for n in COUNTS] == [
        "1 month", "2 months", "5 months", "11 months",
        "21 months", "22 months", "25 months", "101 months",
    ]  # fmt: skip
    assert answers_text(21, en) == "21 responses"
    assert working_days_phrase(21, en) == "21 working days"


def test_aiograms_translator_in_handlers_counts_the_same_way() -> None:
    """Handlers hand the domain aiogram's gettext, which does not say its locale."""
    i18n = create_i18n()
    english = partial(i18n.gettext, locale="en")
    russian = partial(i18n.gettext, locale="ru")
    assert answers_text(21, english) == "21 responses"
    assert answers_text(21, russian) == "21 ответ"
    assert answers_text(3, russian) == "3 ответа"
