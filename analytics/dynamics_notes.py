"""The «Note» of a process in the dynamics summary: why figures are missing, partial, hidden,
and whether the process is declining.

A sustained decline is a ground for reengineering: «устойчивое снижение в течение более трех
месяцев подряд уровня удовлетворенности клиентов процессом» (seed 003 §1.5(2)). The summary
says so for the process it concerns, judged as the monthly scan judges it (the streak, then
the noise guard, with the installation's OTKLIK_DECLINE_* rules), so the officer reading the
report sees the same ground the owner was told about.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from analytics.indexes import IndexRow, build_series
from analytics.scan import DeclineRules, judge_series
from analytics.stats import MIN_INTERVAL_RESPONSES, RollupCell
from analytics.wording import answers_text
from core.i18n import Translator
from storage.models import Questionnaire

__all__ = ["MonthFacts", "decline_note", "other_versions", "summary_notes"]


@dataclass(frozen=True)
class MonthFacts:
    """What the summary row of a process shows for its last month."""

    month: str
    cell: RollupCell
    interval: tuple[float, float] | None
    hide: bool
    any_hidden: bool
    other_versions: Sequence[int]
    min_cell: int


def other_versions(
    rows: Sequence[IndexRow], version_id: int | None, questionnaires: Mapping[int, Questionnaire]
) -> list[int]:
    """The versions of the process's other questionnaires with answers in the window."""
    return sorted(
        {
            questionnaires[r.questionnaire_id].version
            for r in rows
            if r.questionnaire_id != version_id and r.questionnaire_id in questionnaires
        }
    )


def decline_note(
    rows: Sequence[IndexRow],
    questionnaire: Questionnaire | None,
    window: Sequence[date],
    rules: DeclineRules,
    _: Translator,
) -> str | None:
    """The note of a process whose series ends in a sustained decline, else None."""
    if questionnaire is None:
        return None
    series = build_series(rows, questionnaire.id, questionnaire.scale_max, window)
    verdict = judge_series(series, rules, _)
    if not verdict.triggered:
        return None
    reason = f"{verdict.reason[:1].lower()}{verdict.reason[1:]}"
    reason = reason if reason.endswith(".") else f"{reason}."
    return _(
        "Sustained decline of satisfaction, a ground for the reengineering of the process: {reason}"
    ).format(reason=reason)


def summary_notes(facts: MonthFacts, decline: str | None, _: Translator) -> list[str]:
    """Why a month's figures are missing, partial or hidden; the decline first if there is one
    (the caller withholds it for a series with hidden months: its means would tell them)."""
    notes: list[str] = [decline] if decline is not None else []
    cell = facts.cell
    if cell.n == 0:
        notes.append(_("No responses for {month}.").format(month=facts.month))
    elif facts.interval is None:
        count = "" if facts.hide else f"{answers_text(cell.n, _)}, "  # a hidden n stays hidden
        notes.append(
            _(
                "Too few responses for a confidence interval: {count}at least {minimum} are needed."
            ).format(count=count, minimum=MIN_INTERVAL_RESPONSES)
        )
    if facts.other_versions:
        notes.append(
            _(
                "Responses to another questionnaire version ({versions}) are not included: "
                "series are not mixed."
            ).format(versions=", ".join(str(v) for v in facts.other_versions))
        )
    if facts.any_hidden:
        notes.append(_("Hidden: fewer than {count} respondents.").format(count=facts.min_cell))
    return notes
