"""The reengineering domain speaks through the translator it is given; the annex is data."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest
import yaml

from core.i18n import translator
from core.wording import __
from reengineering.cases import CaseError, plan_annex
from reengineering.reminders import Reminder, step_reminder_text, working_days_phrase
from reengineering.templates import TEMPLATES_DIR, TemplateError, parse_template

ENGLISH = translator("en")


def test_case_error_is_translated_where_it_is_shown() -> None:
    error = CaseError(__("Step {step} is already done."), step="D5")
    assert error.text(ENGLISH) == "Step D5 is already done."
    assert str(error) == "Шаг D5 уже выполнен."


def test_titles_among_the_parameters_are_translated_too() -> None:
    error = CaseError(__("Step {step} «{title}» is marked by the {who}."), step="R1", title="T",
                      who=__("process owner"))  # fmt: skip
    assert error.text(ENGLISH) == "Step R1 «T» is marked by the process owner."
    assert str(error) == "Шаг R1 «T» отмечает ответственный за процесс."


def test_reminder_in_english() -> None:
    text = step_reminder_text(
        case_number="№ 1", process_name="P", step_id="R1", step_title="T", produces="X",
        reminder=Reminder("before", date(2025, 5, 5), date(2025, 5, 12), 5),
        today=date(2025, 5, 5), _=ENGLISH,
    )  # fmt: skip
    assert text.splitlines()[0] == "⏰ Deadline reminder"
    assert "the deadline is 12.05.2025, 5 working days left." in text
    assert working_days_phrase(21) == "21 рабочий день"


def _raw() -> dict[str, Any]:
    data = yaml.safe_load((TEMPLATES_DIR / "seed003.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_the_annex_comes_from_the_template_file() -> None:
    annex = plan_annex("seed003")
    assert annex.title == (
        "ТИПОВОЙ ПЛАН МЕРОПРИЯТИЙ ПО РЕАЛИЗАЦИИ ЦЕЛЕВОГО ПОРЯДКА ОСУЩЕСТВЛЕНИЯ ПРОЦЕССА"
    )
    assert annex.subtitle == ""  # the annex of seed 003 has none
    assert len(annex.columns) == 5
    assert annex.sections[1] == "Организационные мероприятия"
    assert annex.prototype_section in annex.sections
    assert len(annex.prototype_measures) == 6


def test_a_broken_annex_is_refused_in_the_translators_language() -> None:
    raw = copy.deepcopy(_raw())
    raw["plan"]["prototype_section"] = 9
    raw["plan"]["columns"] = raw["plan"]["columns"][:4]
    with pytest.raises(TemplateError) as caught:
        parse_template(raw, "broken.yaml")
    assert "поле plan.prototype_section: в plan.sections нет раздела 9" in str(caught.value)
    assert "поле plan.columns: в таблице приложения 5 граф, указано 4" in str(caught.value)
    with pytest.raises(TemplateError) as caught:
        parse_template(raw, "broken.yaml", ENGLISH)
    assert str(caught.value).startswith("The reengineering template «broken.yaml» has errors:")
    assert "field plan.prototype_section: there is no section 9 in plan.sections" in str(
        caught.value
    )
