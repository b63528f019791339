"""The seed 003 workflow template: loading, refusing broken templates, planning due dates."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from core.calendar import WorkingCalendar
from reengineering.templates import (
    TEMPLATES_DIR,
    StageTemplate,
    TemplateError,
    load_template,
    parse_template,
    plan_due_dates,
    plan_steps,
)

SEED003 = TEMPLATES_DIR / "seed003.yaml"
Raw = dict[str, Any]


@pytest.fixture(scope="module")
def template() -> StageTemplate:
    return load_template()


@pytest.fixture
def raw() -> Raw:
    data = yaml.safe_load(SEED003.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _step(raw: Raw, step_id: str) -> dict[str, Any]:
    return next(step for step in raw["steps"] if step["id"] == step_id)


# ---------------------------------------------------------------------------- loading


def test_seed003_loads_by_name_and_by_path(template: StageTemplate) -> None:
    assert load_template("seed003") == template
    assert load_template(SEED003) == template
    assert load_template(str(SEED003)) == template
    assert template.id == "seed003"
    assert template.step_ids == (
        "R1", "R2", "R3", "R4", "R5", "R6", "R7", "R8", "R8C",
        "D1", "D2", "D3", "D3C", "D4", "D5", "D5C",
        "IMPL", "REPORT",
    )  # fmt: skip


def test_seed003_deadlines_and_clocks(template: StageTemplate) -> None:
    # (clock event, clock steps, working days) per step, from seed 003 §§ 2.2–4.2.
    expected = {
        "R1": ("ground", (), 3),  # п. 2.2
        "R2": ("ground", (), 5),  # п. 2.2.1
        "R3": ("done", ("R1",), 10),  # п. 2.2.2: after the segment profile
        "R4": ("done", ("R3",), 2),  # п. 2.2.3
        "R5": ("done", ("R1",), 12),  # п. 2.2.4: after the segment profile
        "R6": ("all_done", ("R4", "R5"), 3),  # п. 2.2.5
        "R7": ("done", ("R6",), 7),  # п. 2.2.5: working group
        "R8": ("decision", ("R7",), 1),  # п. 2.2.5: decision sent to the officer
        "R8C": ("done", ("R8",), 3),  # п. 2.2.6: officer decides
        "D1": ("decision", ("R8C",), 7),  # п. 3.1
        "D2": ("done", ("D1",), 3),  # п. 3.1
        "D3": ("done", ("D2",), 7),  # п. 3.2
        "D3C": ("decision", ("D3",), 3),  # п. 3.3
        "D4": ("decision", ("D3C",), 7),  # п. 3.4
        "D5": ("meeting", ("D4",), None),  # п. 3.6: next meeting
        "D5C": ("decision", ("D5",), 3),  # п. 3.7
        "IMPL": ("decision", ("D5C",), None),  # п. 4.1: plan dates
        "REPORT": ("done", ("IMPL",), 7),  # п. 4.2
    }
    actual = {
        step.id: (step.clock.event, step.clock.steps, step.deadline_days) for step in template.steps
    }
    assert actual == expected
    assert [step.stage for step in template.steps] == (
        ["research"] * 9 + ["design"] * 7 + ["implementation"] * 2
    )


def test_seed003_decisions(template: StageTemplate) -> None:
    def options(step_id: str) -> dict[str, tuple[str | None, str | None, bool]]:
        decision = template.step(step_id).decision
        assert decision is not None
        return {o.id: (o.next, o.outcome, o.revision) for o in decision.options}

    assert options("R7") == {
        "change": ("R8", None, False),
        "no_change": ("R8", None, False),
        "exclude": ("R8", None, False),
    }
    assert options("R8C") == {
        "change": ("D1", None, False),
        "no_change": (None, "no_change", False),
        "exclude": (None, "excluded", False),
    }
    assert options("D3C") == {"approve": ("D4", None, False), "revise": ("D2", None, True)}
    assert options("D5C") == {"approve": ("IMPL", None, False), "revise": ("D4", None, True)}
    assert template.step("REPORT").outcome == "completed"
    assert template.step("R7").actor == "working_group"
    assert template.step("R8C").actor == "officer"


# ------------------------------------------------------------------ broken templates

Mutator = Callable[[Raw], None]


def _set(step_id: str, key: str, value: Any) -> Mutator:
    def mutate(raw: Raw) -> None:
        _step(raw, step_id)[key] = value

    return mutate


def _set_clock(step_id: str, clock: dict[str, Any]) -> Mutator:
    return _set(step_id, "clock", clock)


def _duplicate_id(raw: Raw) -> None:
    _step(raw, "R4")["id"] = "R3"


def _option(step_id: str, option_id: str, key: str, value: Any) -> Mutator:
    def mutate(raw: Raw) -> None:
        for option in _step(raw, step_id)["decision"]["options"]:
            if option["id"] == option_id:
                option[key] = value

    return mutate


def _drop(step_id: str, key: str) -> Mutator:
    def mutate(raw: Raw) -> None:
        del _step(raw, step_id)[key]

    return mutate


def _no_ground(raw: Raw) -> None:
    raw["steps"] = [step for step in raw["steps"] if step["clock"]["event"] != "ground"]
    _step(raw, "R3")["clock"] = {"event": "done", "steps": ["R4"]}
    _step(raw, "R5")["clock"] = {"event": "done", "steps": ["R4"]}
    _step(raw, "R4")["clock"] = {"event": "done", "steps": ["R3"]}


BROKEN: dict[str, tuple[Mutator, list[str]]] = {
    "duplicate id": (_duplicate_id, ["шаг R3, поле id", "повторяется"]),
    "unknown clock step": (
        _set_clock("R3", {"event": "done", "steps": ["R9"]}),
        ["шаг R3, поле clock.steps", "несуществующий шаг «R9»"],
    ),
    "clock cycle": (
        _set_clock("R1", {"event": "done", "steps": ["R4"]}),
        ["шаги R1, R4, R3, поле clock", "R1 ждёт R4, R4 ждёт R3, R3 ждёт R1"],
    ),
    "zero deadline": (_set("R4", "deadline_days", 0), ["шаг R4, поле deadline_days", "указано 0"]),
    "negative deadline": (_set("R5", "deadline_days", -12), ["шаг R5", "указано -12"]),
    "text deadline": (_set("R3", "deadline_days", "десять"), ["шаг R3, поле deadline_days"]),
    "fractional deadline": (_set("R3", "deadline_days", 2.5), ["шаг R3, поле deadline_days"]),
    "missing deadline": (_drop("R6", "deadline_days"), ["шаг R6, поле deadline_days", "не указан"]),
    "meeting with deadline": (_set("D5", "deadline_days", 5), ["шаг D5, поле deadline_days"]),
    "empty title": (_set("R2", "title", "  "), ["шаг R2, поле title", "пустым"]),
    "english title": (_set("R2", "title", "As-is process"), ["шаг R2, поле title", "русском"]),
    "missing title": (_drop("R2", "title"), ["шаг R2, поле title", "не заполнено"]),
    "unknown actor": (_set("R5", "actor", "boss"), ["шаг R5, поле actor", "'boss'"]),
    "typo in a field": (
        _set("R5", "deadline_day", 12),
        ["шаг R5, поле deadline_day", "неизвестное"],
    ),
    "option to unknown step": (
        _option("R8C", "change", "next", "D9"),
        ["шаг R8C, поле decision.options[change].next", "«D9»"],
    ),
    "option with next and outcome": (
        _option("R8C", "no_change", "next", "D1"),
        ["шаг R8C, поле decision.options[no_change]", "либо next"],
    ),
    "option without target": (
        _option("R8C", "exclude", "outcome", None),
        ["шаг R8C, поле decision.options[exclude]", "либо next"],
    ),
    "unknown outcome": (
        _option("R8C", "exclude", "outcome", "deleted"),
        ["шаг R8C, поле decision.options[exclude].outcome", "'deleted'"],
    ),
    "revision forward": (
        _option("D3C", "revise", "next", "D5"),
        ["шаг D3C, поле decision.options[revise].next", "«D5»"],
    ),
    "branch without matching clock": (
        _option("R8C", "change", "next", "D2"),
        ["шаг R8C, поле decision.options[change].next", "«D2»"],
    ),
    "clock on a step without decision": (
        _set_clock("D2", {"event": "decision", "steps": ["D1"]}),
        ["шаг D2, поле clock.steps", "нет решения"],
    ),
    "clock on an unknown option": (
        _set_clock("D1", {"event": "decision", "steps": ["R8C"], "options": ["chang"]}),
        ["шаг D1, поле clock.options", "«chang»"],
    ),
    "all_done with one step": (
        _set_clock("R6", {"event": "all_done", "steps": ["R4"]}),
        ["шаг R6, поле clock.steps", "два"],
    ),
    "ground with steps": (
        _set_clock("R1", {"event": "ground", "steps": ["R2"]}),
        ["шаг R1, поле clock.steps", "ground"],
    ),
    "unknown clock event": (
        _set_clock("R3", {"event": "after", "steps": ["R1"]}),
        ["шаг R3, поле clock.event"],
    ),
    "no ground step": (_no_ground, ["clock.event: ground"]),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_template_is_refused(raw: Raw, case: str) -> None:
    mutate, fragments = BROKEN[case]
    broken = copy.deepcopy(raw)
    mutate(broken)
    with pytest.raises(TemplateError) as caught:
        parse_template(broken, "broken.yaml")
    message = str(caught.value)
    assert message.startswith("Шаблон реинжиниринга «broken.yaml» содержит ошибки:")
    for fragment in fragments:
        assert fragment in message, message
    assert caught.value.problems


def test_every_problem_is_reported_at_once(raw: Raw) -> None:
    _step(raw, "R3")["deadline_days"] = -2
    _step(raw, "R4")["clock"]["steps"] = ["R9"]
    with pytest.raises(TemplateError) as caught:
        parse_template(raw)
    assert len(caught.value.problems) == 2


def test_broken_files(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="не найден"):
        load_template(tmp_path / "absent.yaml")
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("steps: [\n", encoding="utf-8")
    with pytest.raises(TemplateError, match="YAML"):
        load_template(bad_yaml)
    not_mapping = tmp_path / "list.yaml"
    not_mapping.write_text("- R1\n", encoding="utf-8")
    with pytest.raises(TemplateError, match="набором полей"):
        load_template(not_mapping)


# ---------------------------------------------------------------------------- planning

GROUND = date(2025, 4, 29)  # Tuesday, just before the May holidays
MEETING = date(2025, 7, 31)  # Thursday: the working-group meeting entered for D5
PLAN_END = date(2025, 10, 31)  # Friday: the last measure of the approved plan
ENTERED = {"D5": MEETING, "IMPL": PLAN_END}
HAPPY_DECISIONS = {
    "R7": "change",
    "R8C": "change",
    "D3": "approve",
    "D3C": "approve",
    "D5": "approve",
    "D5C": "approve",
}

# Computed by hand from the 2025 production calendar: 01.05 holiday, 02.05 and 08.05
# transferred days off, 09.05 holiday, 12.06 holiday, 13.06 transferred day off,
# Sat 01.11 working, 03.11 transferred day off, 04.11 holiday. Every step is completed on
# its due date, so each clock starts on the previous due date.
EXPECTED_DUE = {
    "R1": date(2025, 5, 6),  # ground 29.04 + 3: 30.04, 05.05, 06.05
    "R2": date(2025, 5, 12),  # ground + 5: 30.04, 05.05, 06.05, 07.05, 12.05
    "R3": date(2025, 5, 22),  # R1 06.05 + 10: 07, 12, 13, 14, 15, 16, 19, 20, 21, 22.05
    "R4": date(2025, 5, 26),  # R3 22.05 + 2: 23.05, 26.05
    "R5": date(2025, 5, 26),  # R1 06.05 + 12: … 22.05 (10), 23.05, 26.05
    "R6": date(2025, 5, 29),  # max(R4, R5) 26.05 + 3: 27, 28, 29.05
    "R7": date(2025, 6, 9),  # R6 29.05 + 7: 30.05, 02, 03, 04, 05, 06, 09.06
    "R8": date(2025, 6, 10),  # R7 decision 09.06 + 1
    "R8C": date(2025, 6, 17),  # R8 10.06 + 3: 11.06, (12–15.06 off) 16.06, 17.06
    "D1": date(2025, 6, 26),  # R8C 17.06 + 7: 18, 19, 20, 23, 24, 25, 26.06
    "D2": date(2025, 7, 1),  # D1 26.06 + 3: 27.06, 30.06, 01.07
    "D3": date(2025, 7, 10),  # D2 01.07 + 7: 02, 03, 04, 07, 08, 09, 10.07
    "D3C": date(2025, 7, 15),  # D3 10.07 + 3: 11, 14, 15.07
    "D4": date(2025, 7, 24),  # D3C 15.07 + 7: 16, 17, 18, 21, 22, 23, 24.07
    "D5": MEETING,  # the meeting date entered
    "D5C": date(2025, 8, 5),  # D5 31.07 + 3: 01.08, 04.08, 05.08
    "IMPL": PLAN_END,  # the end of the plan entered
    "REPORT": date(2025, 11, 12),  # IMPL 31.10 + 7: Sat 01.11, 05, 06, 07, 10, 11, 12.11
}


def test_nothing_done_yet(template: StageTemplate) -> None:
    due = plan_due_dates(template, GROUND, {}, {}, WorkingCalendar())
    assert due == {
        step_id: EXPECTED_DUE[step_id] if step_id in ("R1", "R2") else None
        for step_id in template.step_ids
    }


def test_due_dates_of_every_step_when_done_on_time(template: StageTemplate) -> None:
    calendar = WorkingCalendar()
    done: dict[str, date] = {}
    decisions: dict[str, str] = {}
    for step_id in template.clock_order():
        plan = plan_due_dates(template, GROUND, done, decisions, calendar, entered_dates=ENTERED)
        due = plan[step_id]
        assert due == EXPECTED_DUE[step_id], step_id
        done[step_id] = due
        if step_id in HAPPY_DECISIONS:
            decisions[step_id] = HAPPY_DECISIONS[step_id]
    final = plan_due_dates(template, GROUND, done, decisions, calendar, entered_dates=ENTERED)
    assert final == EXPECTED_DUE


def test_default_calendar_is_used(template: StageTemplate) -> None:
    assert plan_due_dates(template, GROUND, {}, {})["R1"] == EXPECTED_DUE["R1"]


def test_regional_day_off_moves_the_deadline(template: StageTemplate) -> None:
    calendar = WorkingCalendar(extra_days_off=[date(2025, 5, 5)])
    assert plan_due_dates(template, GROUND, {}, {}, calendar)["R1"] == date(2025, 5, 7)


def test_no_change_ends_the_case(template: StageTemplate) -> None:
    done = {step_id: EXPECTED_DUE[step_id] for step_id in template.step_ids[:9]}
    decisions = {"R7": "no_change", "R8C": "no_change"}
    due = plan_due_dates(template, GROUND, done, decisions, WorkingCalendar())
    assert due["R8C"] == EXPECTED_DUE["R8C"]
    assert all(due[step_id] is None for step_id in template.step_ids[9:])


def test_entered_dates_missing(template: StageTemplate) -> None:
    done = {step_id: EXPECTED_DUE[step_id] for step_id in template.step_ids[:14]}
    plans = plan_steps(template, GROUND, done, HAPPY_DECISIONS, WorkingCalendar())
    assert plans["D5"].started == EXPECTED_DUE["D4"]
    assert plans["D5"].due is None  # the meeting date is not entered yet


def test_revision_loop(template: StageTemplate) -> None:
    calendar = WorkingCalendar()
    done = {step_id: EXPECTED_DUE[step_id] for step_id in template.step_ids[:13]}  # to D3C
    decisions = {"R7": "change", "R8C": "change", "D3": "revise", "D3C": "revise"}
    deadline = date(2025, 7, 25)
    plans = plan_steps(
        template, GROUND, done, decisions, calendar, revision_deadlines={"D3C": deadline}
    )
    assert plans["D2"].reopened and plans["D2"].done is None
    assert plans["D2"].started == EXPECTED_DUE["D3C"]
    assert plans["D2"].due == deadline
    assert plans["D3"].due is None and plans["D3C"].due is None and plans["D4"].due is None
    assert plans["D1"].done == EXPECTED_DUE["D1"]  # earlier steps keep their completion

    # Revised documents resubmitted on Thu 24.07: the working group has 7 working days
    # again: 25.07, 28, 29, 30, 31.07, 01.08, 04.08. The old D3/D3C completions are stale.
    done["D2"] = date(2025, 7, 24)
    due = plan_due_dates(template, GROUND, done, decisions, calendar)
    assert due["D2"] == EXPECTED_DUE["D2"]  # the original pass deadline, now met
    assert due["D3"] == date(2025, 8, 4)
    assert due["D3C"] is None

    # Approved on 04.08: the officer has 3 working days: 05, 06, 07.08.
    done["D3"] = date(2025, 8, 4)
    decisions["D3"] = "approve"
    due = plan_due_dates(template, GROUND, done, decisions, calendar)
    assert due["D3C"] == date(2025, 8, 7)
    assert due["D4"] is None

    done["D3C"] = date(2025, 8, 7)
    decisions["D3C"] = "approve"
    due = plan_due_dates(template, GROUND, done, decisions, calendar)
    assert due["D4"] == date(2025, 8, 18)  # 08, 11, 12, 13, 14, 15, 18.08


def test_plan_revision_goes_back_to_d4(template: StageTemplate) -> None:
    done = {step_id: EXPECTED_DUE[step_id] for step_id in template.step_ids[:16]}  # to D5C
    decisions = {**HAPPY_DECISIONS, "D5": "revise", "D5C": "revise"}
    due = plan_due_dates(
        template,
        GROUND,
        done,
        decisions,
        WorkingCalendar(),
        entered_dates=ENTERED,
        revision_deadlines={"D5C": date(2025, 8, 15)},
    )
    assert due["D4"] == date(2025, 8, 15)
    assert due["D5"] is None and due["IMPL"] is None


def test_wrong_inputs_are_refused(template: StageTemplate) -> None:
    with pytest.raises(ValueError, match="R99"):
        plan_due_dates(template, GROUND, {"R99": GROUND}, {})
    with pytest.raises(ValueError, match="maybe"):
        plan_due_dates(template, GROUND, {}, {"R7": "maybe"})
    with pytest.raises(ValueError, match="R1"):
        plan_due_dates(template, GROUND, {}, {"R1": "change"})
