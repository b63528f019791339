"""Questionnaires as data: loading, refusing broken files, conditions, versions."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from storage.database import SessionPool
from storage.models import Questionnaire
from surveys.catalogue import sync_questionnaires
from surveys.questionnaire import (
    AnswerRejected,
    AskingContext,
    QuestionnaireError,
    load_builtin_questionnaires,
    next_question,
    parse_questionnaire,
    toggle_choice,
    validate_button_value,
)

MINIMAL = """
code: demo
version: 1
audience: external
title: {ru: Демо}
questions:
  - {id: score, kind: rating, primary: true, text: {ru: Оценка}}
  - {id: why, kind: text, optional: true, when: {question: score, at_most: 3}, text: {ru: Почему}}
"""


def test_builtin_questionnaires_load() -> None:
    codes = {d.code: d for d in load_builtin_questionnaires()}
    assert set(codes) >= {"touchpoint", "internal_service"}
    touchpoint = codes["touchpoint"]
    assert touchpoint.scale.min == 1 and touchpoint.scale.max == 5
    problems = next(q for q in touchpoint.questions if q.id == "problems")
    assert {o.id for o in problems.options} == {
        "waiting_time",
        "queue",
        "politeness",
        "premises",
        "information",
        "other",
    }


@pytest.mark.parametrize(
    ("broken", "needle"),
    [
        (MINIMAL.replace("primary: true, ", ""), "основной вопрос"),
        (MINIMAL.replace("question: score", "question: nowhere"), "условие"),
        (MINIMAL.replace("kind: text", "kind: single_choice"), "варианты"),
        (MINIMAL + "scale: {min: 5, max: 1}\n", "шкала"),
        ("code: [unclosed", "YAML"),
    ],
)
def test_broken_questionnaires_are_refused_clearly(broken: str, needle: str) -> None:
    with pytest.raises(QuestionnaireError) as error:
        parse_questionnaire(broken, "demo.yaml")
    assert needle in str(error.value) and "demo.yaml" in str(error.value)


def test_conditions_and_remembered_questions() -> None:
    [touchpoint] = [d for d in load_builtin_questionnaires() if d.code == "touchpoint"]
    context = AskingContext(stages=("подача", "получение"))
    ids = [q.id for q in touchpoint.questions]
    assert ids[next_question(touchpoint, {"satisfaction": 5}, 0, context) or 0] == "comment"
    assert ids[next_question(touchpoint, {"satisfaction": 3}, 0, context) or 0] == "problems"
    no_stages = AskingContext()
    assert ids[next_question(touchpoint, {"satisfaction": 2}, 1, no_stages) or 0] == "criticality"
    remembered = AskingContext(remembered=frozenset({"segment"}))
    assert next_question(touchpoint, {"satisfaction": 5}, ids.index("comment"), remembered) is None


def test_button_values_are_checked_against_what_is_offered() -> None:
    [touchpoint] = [d for d in load_builtin_questionnaires() if d.code == "touchpoint"]
    rating, problems, stage = (
        touchpoint.questions[0],
        touchpoint.questions[1],
        touchpoint.questions[2],
    )
    context = AskingContext(stages=("подача",))
    assert validate_button_value(touchpoint, rating, "4", context) == 4
    assert validate_button_value(touchpoint, stage, "0", context) == "подача"
    for forged in ("6", "0", "-1", "4.5", ""):
        with pytest.raises(AnswerRejected):
            validate_button_value(touchpoint, rating, forged, context)
    with pytest.raises(AnswerRejected):
        validate_button_value(touchpoint, stage, "1", context)
    assert toggle_choice(problems, ["queue"], "waiting_time") == ["waiting_time", "queue"]
    assert toggle_choice(problems, ["queue"], "queue") == []
    with pytest.raises(AnswerRejected):
        toggle_choice(problems, [], "bribe")


async def test_versions_are_stored_and_an_edit_in_place_is_refused(
    session_pool: SessionPool,
) -> None:
    v1 = parse_questionnaire(MINIMAL)
    await sync_questionnaires(session_pool, [v1])
    await sync_questionnaires(session_pool, [v1])  # idempotent
    edited = parse_questionnaire(MINIMAL.replace("Оценка", "Новая формулировка"))
    with pytest.raises(QuestionnaireError, match="без смены версии"):
        await sync_questionnaires(session_pool, [edited])
    v2 = parse_questionnaire(
        MINIMAL.replace("version: 1", "version: 2") + "scale: {min: 1, max: 10}\n"
    )
    await sync_questionnaires(session_pool, [v1, v2])
    async with session_pool() as session:
        rows = (
            await session.execute(
                sa.select(
                    Questionnaire.version, Questionnaire.scale_max, Questionnaire.is_current
                ).order_by(Questionnaire.version)
            )
        ).all()
    assert [tuple(r) for r in rows] == [(1, 5, False), (2, 10, True)]


async def test_letting_people_skip_a_question_is_applied_to_the_version_in_place(
    session_pool: SessionPool,
) -> None:
    """Whether a question may be skipped changes no answer given: no new series (the stage
    question of the touchpoint questionnaire became skippable so, in place, in version 1)."""
    v1 = parse_questionnaire(MINIMAL)
    ids = await sync_questionnaires(session_pool, [v1])
    skippable = parse_questionnaire(MINIMAL.replace("optional: true, ", ""))
    assert skippable.checksum() != v1.checksum()
    assert skippable.series_checksum() == v1.series_checksum()
    assert await sync_questionnaires(session_pool, [skippable]) == ids
    async with session_pool() as session:
        [stored] = (await session.scalars(sa.select(Questionnaire))).all()
    assert stored.checksum == skippable.checksum()
    assert stored.definition["questions"][1]["optional"] is False


async def test_research_surveys_stay_out_of_the_indexes(
    session_pool: SessionPool, registry: object
) -> None:
    """One-off research answers never enter the continuous monthly series."""
    from datetime import date

    from analytics.rollup import rebuild_rollups
    from storage.models import MonthlyRollup
    from tests.conftest import SmallRegistry
    from tests.surveys.factories import add_responses, questionnaire

    assert isinstance(registry, SmallRegistry)
    await sync_questionnaires(session_pool)
    async with session_pool() as session, session.begin():
        research = await questionnaire(session, "research_client")
        regular = await questionnaire(session, "touchpoint")
        await add_responses(
            session,
            questionnaire=regular,
            process_id=registry.process_id,
            ratings=[5, 4],
            month=date(2025, 3, 1),
        )
        await add_responses(
            session,
            questionnaire=research,
            process_id=registry.process_id,
            ratings=[1, 1, 1],
            month=date(2025, 3, 1),
        )
        await rebuild_rollups(session)
        cells = (await session.scalars(sa.select(MonthlyRollup))).all()
    assert sum(c.n for c in cells) == 2 and {c.questionnaire_id for c in cells} == {regular.id}
