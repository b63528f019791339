"""Questionnaires as data: the YAML model, its validation and the rules of asking.

Pure domain code: no Telegram and no database, so the rules are testable alone.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field, ValidationError, model_validator

from core.i18n import Translator
from core.russian import SKIP_STEM
from core.wording import Msgid, WordedError, __

QUESTIONNAIRES_DIR = Path(__file__).parent / "questionnaires"
TEXT_LIMIT = 1000
CRITICALITY_LEVELS = ("low", "medium", "high")


class QuestionnaireProblem(WordedError, ValueError):
    """One reason a questionnaire is refused, raised inside pydantic's validators.

    A `ValueError`, so pydantic collects it; :func:`parse_questionnaire` translates it.
    """


class QuestionKind(StrEnum):
    RATING = "rating"
    SINGLE = "single_choice"
    MULTI = "multi_choice"
    TEXT = "text"
    STAGE = "stage"
    CRITICALITY = "criticality"


class Localized(BaseModel):
    ru: str
    en: str | None = None

    def get(self, locale: str) -> str:
        return self.en if locale == "en" and self.en else self.ru


class Option(BaseModel):
    id: str = Field(pattern=r"^[a-z0-9_]{1,24}$")
    ru: str
    en: str | None = None

    def label(self, locale: str) -> str:
        return self.en if locale == "en" and self.en else self.ru


class Condition(BaseModel):
    """Ask a question only when an earlier rating falls in a range."""

    question: str
    at_most: int | None = None
    at_least: int | None = None

    def holds(self, answers: Mapping[str, Any]) -> bool:
        value = answers.get(self.question)
        if not isinstance(value, int):
            return False
        if self.at_most is not None and value > self.at_most:
            return False
        return not (self.at_least is not None and value < self.at_least)


class Question(BaseModel):
    id: str = Field(pattern=r"^[a-z0-9_]{1,32}$")
    kind: QuestionKind
    text: Localized
    optional: bool = False
    primary: bool = False
    when: Condition | None = None
    options: list[Option] = Field(default_factory=list)
    max_length: int = TEXT_LIMIT
    remember: Literal["segment"] | None = None

    def says_it_may_be_skipped(self, locale: str) -> bool:
        """Whether the text itself tells people they may skip it (or it cannot be skipped)."""
        text = self.text.get(locale).lower()
        return not self.optional or SKIP_STEM in text or "skip" in text

    @model_validator(mode="after")
    def _options_fit_kind(self) -> Question:
        needs_options = self.kind in (QuestionKind.SINGLE, QuestionKind.MULTI)
        if needs_options and not self.options:
            raise QuestionnaireProblem(__("question «{id}»: answer options are needed"), id=self.id)
        if not needs_options and self.options:
            raise QuestionnaireProblem(
                __("question «{id}»: options are allowed only for a choice"), id=self.id
            )
        if len({o.id for o in self.options}) != len(self.options):
            raise QuestionnaireProblem(__("question «{id}»: repeated option ids"), id=self.id)
        if not 1 <= self.max_length <= TEXT_LIMIT:
            raise QuestionnaireProblem(
                __("question «{id}»: max_length from 1 to {limit}"), id=self.id, limit=TEXT_LIMIT
            )
        return self


class Scale(BaseModel):
    min: int = 1
    max: int = 5

    @model_validator(mode="after")
    def _ordered(self) -> Scale:
        if not 0 <= self.min < self.max <= 10:
            raise QuestionnaireProblem(__("scale: 0 ≤ min < max ≤ 10 expected"))
        return self


class QuestionnaireDefinition(BaseModel):
    code: str = Field(pattern=r"^[a-z0-9_]{1,64}$")
    version: int = Field(ge=1)
    audience: Literal["external", "internal"]
    title: Localized
    scale: Scale = Field(default_factory=Scale)
    questions: list[Question] = Field(min_length=1)
    # One-off research surveys (R3) ask other people other questions: keeping them out of the
    # monthly indexes keeps the continuous series comparable (seed 003 §2.1.8).
    indexed: bool = True

    @model_validator(mode="after")
    def _consistent(self) -> QuestionnaireDefinition:
        ids = [q.id for q in self.questions]
        if len(set(ids)) != len(ids):
            raise QuestionnaireProblem(__("repeated question ids"))
        primaries = [q for q in self.questions if q.primary]
        if len(primaries) != 1 or primaries[0].kind != QuestionKind.RATING:
            raise QuestionnaireProblem(
                __("exactly one primary rating question is needed (primary: true)")
            )
        for index, question in enumerate(self.questions):
            if question.when is None:
                continue
            earlier = {q.id: q for q in self.questions[:index]}
            source = earlier.get(question.when.question)
            if source is None or source.kind != QuestionKind.RATING:
                raise QuestionnaireProblem(
                    __("question «{id}»: the condition must refer to an earlier rating"),
                    id=question.id,
                )
        return self

    @property
    def primary(self) -> Question:
        return next(q for q in self.questions if q.primary)

    def commented(self, answers: Mapping[str, Any]) -> bool:
        """Whether the person wrote something: only then is there feedback to answer."""
        return any(
            question.kind == QuestionKind.TEXT and str(answers.get(question.id) or "").strip()
            for question in self.questions
        )

    def series_checksum(self) -> str:
        """What makes answers comparable: everything but whether a question may be skipped.

        Letting people skip a question changes no answer that is given; such an edit is
        applied to the version in place (surveys.catalogue) instead of starting a new series.
        """
        dumped = self.model_dump(mode="json", exclude_defaults=True)
        for question in dumped.get("questions", []):
            question.pop("optional", None)
        canonical = json.dumps(dumped, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()

    def checksum(self) -> str:
        # Defaults are left out so that a new optional field does not "change" old versions.
        canonical = json.dumps(
            self.model_dump(mode="json", exclude_defaults=True), sort_keys=True, ensure_ascii=False
        )
        return hashlib.sha256(canonical.encode()).hexdigest()


class QuestionnaireError(WordedError, ValueError):
    """A questionnaire file that cannot be used: a msgid and its parameters (`core.wording`)."""


@dataclass(frozen=True)
class _Problems:
    """Pydantic's findings as shown: our own problems translated, pydantic's messages as is."""

    errors: Sequence[Any]

    def text(self, _: Translator) -> str:
        return "; ".join(self._line(error, _) for error in self.errors)

    @staticmethod
    def _line(error: Any, _: Translator) -> str:
        where = ".".join(str(part) for part in error["loc"]) or _("questionnaire")
        message: str = error["msg"]
        problem = (error.get("ctx") or {}).get("error")
        if isinstance(problem, QuestionnaireProblem):
            # pydantic prefixes the reason ("Value error, "): keep its prefix, say the reason
            message = message.removesuffix(str(problem)) + problem.text(_)
        return f"{where}: {message}"


def parse_questionnaire(text: str, source: str | None = None) -> QuestionnaireDefinition:
    """The questionnaire in `text`; `source` names it in errors (a file name)."""
    named: str | Msgid = __("<string>") if source is None else source
    try:
        raw = yaml.safe_load(text)
        return QuestionnaireDefinition.model_validate(raw)
    except yaml.YAMLError as error:
        raise QuestionnaireError(
            __("{source}: malformed YAML: {error}"), source=named, error=error
        ) from None
    except ValidationError as error:
        raise QuestionnaireError(
            __("{source}: {problems}"), source=named, problems=_Problems(error.errors())
        ) from None


def load_builtin_questionnaires(folder: Path = QUESTIONNAIRES_DIR) -> list[QuestionnaireDefinition]:
    return [
        parse_questionnaire(path.read_text(encoding="utf-8"), path.name)
        for path in sorted(folder.glob("*.yaml"))
    ]


@dataclass(frozen=True)
class AskingContext:
    """What, besides earlier answers, decides whether a question is asked."""

    stages: Sequence[str] = ()
    remembered: frozenset[str] = frozenset()


def is_asked(question: Question, answers: Mapping[str, Any], context: AskingContext) -> bool:
    if question.when is not None and not question.when.holds(answers):
        return False
    if question.kind == QuestionKind.STAGE and not context.stages:
        return False
    return not (question.remember is not None and question.remember in context.remembered)


def next_question(
    definition: QuestionnaireDefinition,
    answers: Mapping[str, Any],
    after: int,
    context: AskingContext,
) -> int | None:
    """Index of the next question to ask after index `after` (-1 for the first), or None."""
    for index in range(after + 1, len(definition.questions)):
        if is_asked(definition.questions[index], answers, context):
            return index
    return None


def questions_in_all(
    definition: QuestionnaireDefinition,
    answers: Mapping[str, Any],
    current: int,
    number: int,
    context: AskingContext,
) -> int:
    """How many questions this attempt has in all, for «Вопрос 5 из 6» (#17.3).

    ``number`` questions are asked up to the current one; after it, each question that will
    be asked, counting one whose condition waits for a rating not given yet (the total can
    only shrink as answers come, never grow).
    """
    unanswered = {q.id for q in definition.questions[current:]} - set(answers)
    later = 0
    for question in definition.questions[current + 1 :]:
        waiting = question.when is not None and question.when.question in unanswered
        if waiting:
            question = question.model_copy(update={"when": None})
        if is_asked(question, answers, context):
            later += 1
    return number + later


class AnswerRejected(ValueError):
    """A value the question does not offer (forged, stale or malformed)."""


def choice_labels(question: Question, context: AskingContext, locale: str) -> list[str]:
    if question.kind == QuestionKind.STAGE:
        return list(context.stages)
    return [option.label(locale) for option in question.options]


def validate_button_value(
    definition: QuestionnaireDefinition, question: Question, raw: str, context: AskingContext
) -> int | str:
    """Turn a button's value into the stored answer, refusing anything not offered."""
    if question.kind == QuestionKind.RATING:
        if not raw.isdigit() or not definition.scale.min <= int(raw) <= definition.scale.max:
            raise AnswerRejected(raw)
        return int(raw)
    if question.kind == QuestionKind.SINGLE:
        if raw not in {o.id for o in question.options}:
            raise AnswerRejected(raw)
        return raw
    if question.kind == QuestionKind.STAGE:
        if not raw.isdigit() or not 0 <= int(raw) < len(context.stages):
            raise AnswerRejected(raw)
        return context.stages[int(raw)]
    if question.kind == QuestionKind.CRITICALITY:
        if raw not in CRITICALITY_LEVELS:
            raise AnswerRejected(raw)
        return raw
    raise AnswerRejected(raw)


def toggle_choice(question: Question, selected: Sequence[str], raw: str) -> list[str]:
    if question.kind != QuestionKind.MULTI or raw not in {o.id for o in question.options}:
        raise AnswerRejected(raw)
    order = [o.id for o in question.options]
    chosen = set(selected) ^ {raw}
    return [option for option in order if option in chosen]
