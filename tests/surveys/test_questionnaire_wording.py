"""Questionnaire and invite errors carry msgids: Russian by default, any locale on request."""

from __future__ import annotations

import pytest

from core.i18n import translator
from surveys.invites import InviteError
from surveys.questionnaire import QuestionnaireError, parse_questionnaire
from tests.surveys.test_questionnaire import MINIMAL


def test_questionnaire_errors_speak_the_translators_language() -> None:
    with pytest.raises(QuestionnaireError) as error:
        parse_questionnaire(MINIMAL.replace("primary: true, ", ""), "demo.yaml")
    assert str(error.value) == error.value.text(translator("ru"))
    assert "нужен ровно один основной вопрос-оценка" in str(error.value)
    english = error.value.text(translator("en"))
    assert english.startswith("demo.yaml: questionnaire: ")
    assert "exactly one primary rating question" in english


def test_an_unnamed_source_is_named_in_the_locale() -> None:
    with pytest.raises(QuestionnaireError) as error:
        parse_questionnaire("code: [unclosed")
    assert str(error.value).startswith("<строка>: некорректный YAML: ")
    assert error.value.text(translator("en")).startswith("<string>: malformed YAML: ")


def test_invite_error_fills_its_parameters() -> None:
    error = InviteError(
        "No department with the code «{code}» is in the registry; known codes: {known}.",
        code="d9",
        known="d1, d2",
    )
    assert str(error) == "Подразделение с кодом «d9» не найдено в реестре; известные коды: d1, d2."
    assert isinstance(error, ValueError)
