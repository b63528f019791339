"""Effect check: did satisfaction with the process change after its reengineering?

Three months after a case completes, the owner and the officers get the process's monthly
satisfaction for the three months before the case against the three months after it, as
a chart with a short caption. "Before" is the three full months preceding the month the
ground arose; "after" the three full months following the month of completion, so the
check is sent once those months are over (the first run from the fourth month on).

Only the regular satisfaction questionnaires count: the research survey of the case
itself asks a different question of invited people and would bias the comparison. Series
of different questionnaire versions are never mixed (the version of the "after" data wins).
The caption says whether the change exceeds sampling noise (EFFECT_MARGIN standard errors of
the difference), so an official does not read a chance wobble as the effect of the case.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from html import escape
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.decline_guard import drop_significance
from analytics.indexes import build_series, latest_version, month_add, monthly_index, scale_max_of
from analytics.stats import RollupCell
from core.i18n import DEFAULT_LOCALE, Translator
from core.russian import month_range_ru, ru_number
from core.wording import speaking
from reengineering.cases import case_number, officer_chats, owner_chat
from reengineering.cases.audit import audit_event
from reengineering.research import RESEARCH_CODES
from storage.cases_models import CaseStatus, ReengineeringCase
from storage.delivery_models import OutboxLane
from storage.models import Process, Questionnaire
from storage.outbox import enqueue

__all__ = ["EFFECT_MONTHS", "EffectSummary", "effect_checks", "effect_due_on", "effect_windows"]

EFFECT_MONTHS = 3
EFFECT_MARGIN = 2.0  # two standard errors: about 95 %, no streak was picked from the noise here


@dataclass(frozen=True)
class EffectSummary:
    """The numbers of one effect check (what the caption says)."""

    case_id: int
    before: tuple[date, ...]
    after: tuple[date, ...]
    before_mean: float | None
    before_n: int
    after_mean: float | None
    after_n: int
    chart: Path
    change_standard_error: float | None = None  # of after_mean − before_mean


def effect_windows(arose_on: date, closed_on: date) -> tuple[list[date], list[date]]:
    """First days of the months compared: three before the case, three after it."""
    start = arose_on.replace(day=1)
    end = closed_on.replace(day=1)
    before = [month_add(start, -offset) for offset in range(EFFECT_MONTHS, 0, -1)]
    after = [month_add(end, offset) for offset in range(1, EFFECT_MONTHS + 1)]
    return before, after


def effect_due_on(closed_on: date) -> date:
    """The first day on which the three months after completion are all over."""
    return month_add(closed_on.replace(day=1), EFFECT_MONTHS + 1)


def _pooled(cells: list[RollupCell]) -> RollupCell:
    pooled = RollupCell()
    for cell in cells:
        pooled = pooled.merge(cell)
    return pooled


def _change_text(delta: float, standard_error: float | None, _: Translator) -> str:
    """«+0,10 — 0,7 стандартной ошибки (0,15), в пределах случайных колебаний: …»."""
    sign = "+" if delta > 0 else ""
    change = _("Change of the mean score: {change}").format(change=f"{sign}{ru_number(delta)}")
    if standard_error is None:
        return _("{change} (standard error unknown: fewer than two answers in a period).").format(
            change=change
        )
    if standard_error == 0:
        return _("{change}; the answers are the same in each period, no sampling noise.").format(
            change=change
        )
    z = abs(delta) / standard_error
    size = (
        _("more than 99 standard errors")
        if z > 99
        else _("{z} standard errors").format(z=ru_number(z, 1))
    )
    verdict = (
        _("more than the sampling noise")
        if z >= EFFECT_MARGIN
        else _("within the sampling noise: the effect is not confirmed")
    )
    return _("{change} — {size} ({error}), {verdict} (threshold — {margin}).").format(
        change=change,
        size=size,
        error=ru_number(standard_error),
        verdict=verdict,
        margin=ru_number(EFFECT_MARGIN, 1),
    )


def _caption(process: Process, number: str, summary: EffectSummary, _: Translator) -> str:
    def line(label: str, months: tuple[date, ...], mean: float | None, n: int) -> str:
        span = month_range_ru(months[0], months[-1])
        value = (
            _("{mean} (answers: {n})").format(mean=ru_number(mean), n=n)
            if mean is not None
            else _("no scores")
        )
        return f"{label} ({span}): {value}"

    lines = [
        _("📈 Effect check of reengineering {number}: «{process}».").format(
            number=number, process=escape(process.name)
        ),
        line(_("Before the reengineering"), summary.before, summary.before_mean, summary.before_n),
        line(_("After the reengineering"), summary.after, summary.after_mean, summary.after_n),
    ]
    if summary.before_mean is not None and summary.after_mean is not None:
        delta = summary.after_mean - summary.before_mean
        lines.append(_change_text(delta, summary.change_standard_error, _))
    else:
        lines.append(_("Not enough scores in one of the periods to compare."))
    return "\n".join(lines)


async def _check(session: AsyncSession, case: ReengineeringCase, folder: Path) -> EffectSummary:
    assert case.closed_on is not None
    process = await session.get(Process, case.process_id)
    assert process is not None
    before, after = effect_windows(case.arose_on, case.closed_on)
    research_ids = set(
        await session.scalars(
            sa.select(Questionnaire.id).where(Questionnaire.code.in_(RESEARCH_CODES))
        )
    )
    rows = [
        row
        for row in await monthly_index(
            session, by=("process",), process_ids=[process.id], since=before[0], until=after[-1]
        )
        if row.questionnaire_id not in research_ids
    ]
    after_rows = [row for row in rows if row.month in after]
    version = latest_version(after_rows) or latest_version([r for r in rows if r.month in before])
    scale_max = (await scale_max_of(session)).get(version, 5) if version is not None else 5
    before_series = build_series(rows, version or -1, scale_max, before)
    after_series = build_series(rows, version or -1, scale_max, after)
    chart = folder / str(case.id) / "effect.png"
    chart.parent.mkdir(parents=True, exist_ok=True)
    from analytics.chart_effect import before_after_chart  # matplotlib: loaded on demand

    await asyncio.to_thread(
        before_after_chart,
        process.name,
        before_series.points,
        after_series.points,
        chart,
        locale=DEFAULT_LOCALE,  # the chart in the default locale; its caption is translated
        scale_max=scale_max,
    )
    before_cell, after_cell = _pooled(before_series.cells), _pooled(after_series.cells)
    return EffectSummary(
        case.id,
        tuple(before),
        tuple(after),
        before_cell.mean,
        before_cell.n,
        after_cell.mean,
        after_cell.n,
        chart,
        change_standard_error=drop_significance(before_cell, after_cell).standard_error,
    )


async def effect_checks(
    session: AsyncSession,
    now: datetime,
    *,
    cases_dir: Path,
    tz: tzinfo = UTC,
    _: Translator | None = None,
) -> list[EffectSummary]:
    """Send the before/after comparison of every completed case whose time has come, once.

    ``cases_dir`` is ``settings.data_dir / "cases"``; the chart goes to
    ``cases_dir / case_id / effect.png``. Each recipient gets one sendPhoto (outbox dedupe
    key ``effect:{case_id}:{chat_id}``) and the case remembers it was checked.
    """
    _ = speaking(_)
    today = now.astimezone(tz).date()
    cases = await session.scalars(
        sa.select(ReengineeringCase)
        .where(
            ReengineeringCase.status == CaseStatus.CLOSED,
            ReengineeringCase.outcome == "completed",
            ReengineeringCase.effect_checked_at.is_(None),
            ReengineeringCase.closed_on.is_not(None),
        )
        .order_by(ReengineeringCase.id)
    )
    done: list[EffectSummary] = []
    for case in list(cases):
        assert case.closed_on is not None
        if today < effect_due_on(case.closed_on):
            continue
        summary = await _check(session, case, cases_dir)
        process = await session.get(Process, case.process_id)
        assert process is not None
        caption = _caption(process, case_number(case.id), summary, _)
        owner = await owner_chat(session, process, case)
        chats = [*([owner] if owner is not None else []), *await officer_chats(session)]
        for chat in dict.fromkeys(chats):
            await enqueue(
                session,
                chat_id=chat,
                text=caption,
                kind="effect_check",
                lane=OutboxLane.ALERT,
                dedupe_key=f"effect:{case.id}:{chat}",
                method="sendPhoto",
                file_path=str(summary.chart),
            )
        case.effect_checked_at = now
        await audit_event(
            session, case.id, "effect_checked", on=today, at=now,
            before_mean=summary.before_mean, before_n=summary.before_n,
            after_mean=summary.after_mean, after_n=summary.after_n, chart=str(summary.chart),
        )  # fmt: skip
        done.append(summary)
    await session.flush()
    return done
