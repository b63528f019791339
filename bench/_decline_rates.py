"""False alarms and detections of the decline rule, literal and guarded, on simulated rollups.

The series are built the way the scan sees them: per process and month a rollup cell (n, Σx,
Σx²) of ratings drawn from the model of `bench/_data.py` (the process's level, uniform in
3.6–4.4, plus a monthly wobble of σ 0.03, plus answer noise of σ 0.9, rounded into 1..5), and
each is judged by the project's own `analytics.scan.judge_series`, once with the literal rule and
once with the default noise guard. No database: the cells are what `monthly_index` would return.

* flat: no trend; the scan is run at each of the last `scan_months` months of every process,
  so the false-alarm rate is per process-month, as a body would live it month after month;
* planted: the expected rating falls by `step` a month over the last `planted_months` months
  (the rule needs 3), judged at the last of them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from analytics.decline import MonthlyScore
from analytics.decline_guard import NoiseGuard
from analytics.indexes import Series, months_back
from analytics.scan import DeclineRules, judge_series
from analytics.stats import RollupCell
from core.i18n import translator

ANSWER_SD = 0.9
WOBBLE_SD = 0.03
LEVELS = np.arange(1, 6)


@dataclass(frozen=True)
class RateSpec:
    """The simulation's parameters (printed with the figures)."""

    flat_processes: int = 2_000
    planted_processes: int = 2_000
    months: int = 24
    scan_months: int = 12
    step: float = 0.2
    planted_months: tuple[int, ...] = (3, 4)
    answers: tuple[int, ...] = (30, 100, 400, 1000)
    seed: int = 2026


@dataclass
class Rates:
    """Counts per number of answers a month: (literal, guarded) triggers over trials."""

    spec: RateSpec
    guard: NoiseGuard
    flat: dict[int, tuple[int, int, int]] = field(default_factory=dict)
    planted: dict[tuple[int, int], tuple[int, int, int]] = field(default_factory=dict)


def _level_probabilities(expected: np.ndarray) -> np.ndarray:
    """P(rating = 1..5) for each expected rating: a normal answer rounded into the scale."""
    erf = np.vectorize(math.erf)
    edges = (np.arange(1.5, 5.0, 1.0)[None, :] - expected[:, None]) / (ANSWER_SD * math.sqrt(2))
    below = 0.5 * (1 + erf(edges))
    cumulative = np.concatenate(
        [np.zeros((len(expected), 1)), below, np.ones((len(expected), 1))], axis=1
    )
    return np.clip(np.diff(cumulative, axis=1), 0.0, 1.0)


def _cells(rng: np.random.Generator, expected: np.ndarray, answers: int) -> list[list[RollupCell]]:
    """Rollup cells for a (processes, months) array of expected ratings."""
    processes, months = expected.shape
    probabilities = _level_probabilities(expected.ravel())
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    counts = rng.multinomial(answers, probabilities)
    totals = counts @ LEVELS
    squares = counts @ (LEVELS * LEVELS)
    flat = [
        RollupCell(n=answers, total=int(t), total_sq=int(s))
        for t, s in zip(totals, squares, strict=True)
    ]
    return [flat[p * months : (p + 1) * months] for p in range(processes)]


def _series(cells: list[RollupCell], months: list[date]) -> Series:
    points = [
        MonthlyScore(month, cell.mean or 0.0, cell.n)
        for month, cell in zip(months, cells, strict=True)
    ]
    return Series(1, 5, points, cells)


def _expected(rng: np.random.Generator, processes: int, months: int) -> np.ndarray:
    base = rng.uniform(3.6, 4.4, processes)
    return base[:, None] + rng.normal(0.0, WOBBLE_SD, (processes, months))


def _judge(series: Series, literal: DeclineRules, guarded: DeclineRules) -> tuple[bool, bool]:
    _ = translator()
    return judge_series(series, literal, _).triggered, judge_series(series, guarded, _).triggered


def measure(spec: RateSpec = RateSpec(), guard: NoiseGuard | None = None) -> Rates:
    """Run the simulation; `guard` defaults to the settings' default guard."""
    guard = guard or NoiseGuard()
    rates = Rates(spec, guard)
    literal = DeclineRules(guard=NoiseGuard(rule="literal"))
    guarded = DeclineRules(guard=guard)
    months = months_back(date(2026, 10, 1), spec.months)
    for answers in spec.answers:
        rng = np.random.default_rng([spec.seed, answers])
        flat = _cells(rng, _expected(rng, spec.flat_processes, spec.months), answers)
        hits = [0, 0]
        trials = 0
        for process in flat:
            for end in range(spec.months - spec.scan_months + 1, spec.months + 1):
                found = _judge(_series(process[:end], months[:end]), literal, guarded)
                hits = [hits[0] + found[0], hits[1] + found[1]]
                trials += 1
        rates.flat[answers] = (hits[0], hits[1], trials)
        for planted in spec.planted_months:
            expected = _expected(rng, spec.planted_processes, spec.months)
            for k in range(1, planted + 1):
                expected[:, spec.months - 1 - planted + k] -= spec.step * k
            hits = [0, 0]
            for process in _cells(rng, expected, answers):
                found = _judge(_series(process, months), literal, guarded)
                hits = [hits[0] + found[0], hits[1] + found[1]]
            rates.planted[(answers, planted)] = (hits[0], hits[1], spec.planted_processes)
    return rates


FALSE_ALARM_GOAL = 0.01  # of flat process-months, at the defaults
DETECTION_LOSS_GOAL = 0.10  # at most 10 points below the literal rule's own rate
GOAL_ANSWERS = 100


def _share(hits: int, trials: int) -> str:
    return f"{hits / trials:.2%} ({hits:,} of {trials:,})"


def rate_lines(rates: Rates) -> list[str]:
    """The figures as Markdown: a table per kind of series, then the goals."""
    spec, guard = rates.spec, rates.guard
    lines = [
        f"Decline rule on simulated rollups (`bench/_decline_rates.py`): {spec.flat_processes:,} "
        f"flat processes scanned at each of their last {spec.scan_months} months, and "
        f"{spec.planted_processes:,} processes per planted decline of {spec.step} a month; "
        f"answers σ {ANSWER_SD}, monthly wobble σ {WOBBLE_SD}, seed {spec.seed}. Guard: "
        f"`{guard.rule}`, margin {guard.margin} (the defaults); literal: "
        "`OTKLIK_DECLINE_GUARD=literal`; both at `OTKLIK_DECLINE_MONTHS=3`.",
        "",
        "| answers a month | series | literal rule | guarded (default) |",
        "|---:|---|---:|---:|",
    ]
    for answers in spec.answers:
        literal, guarded, trials = rates.flat[answers]
        lines.append(
            f"| {answers} | flat: false alarms per process-month | {_share(literal, trials)} | "
            f"{_share(guarded, trials)} |"
        )
        for planted in spec.planted_months:
            literal, guarded, trials = rates.planted[(answers, planted)]
            lines.append(
                f"| {answers} | planted: −{spec.step}/month for {planted} months, found | "
                f"{_share(literal, trials)} | {_share(guarded, trials)} |"
            )
    lines += ["", "Goals at the defaults, 100 answers a month:", ""]
    literal, guarded, trials = rates.flat[GOAL_ANSWERS]
    alarm = guarded / trials
    verdict = "met" if alarm <= FALSE_ALARM_GOAL else "NOT met"
    lines.append(
        f"* false alarms ≤ {FALSE_ALARM_GOAL:.0%} of flat process-months: {alarm:.2%} "
        f"(literal rule {literal / trials:.2%}) — {verdict}"
    )
    for planted in spec.planted_months:
        literal, guarded, trials = rates.planted[(GOAL_ANSWERS, planted)]
        loss = (literal - guarded) / trials
        ok = loss <= DETECTION_LOSS_GOAL
        lines.append(
            f"* planted −{spec.step}/month for {planted} months found no more than "
            f"{DETECTION_LOSS_GOAL * 100:.0f} points below the literal rule: guarded "
            f"{guarded / trials:.1%}, literal {literal / trials:.1%}, {loss * 100:.1f} points "
            f"below — {'met' if ok else 'NOT met'}"
        )
    return lines


def goals_met(rates: Rates) -> bool:
    _, guarded, trials = rates.flat[GOAL_ANSWERS]
    if guarded / trials > FALSE_ALARM_GOAL:
        return False
    return all(
        (literal - guarded) / trials <= DETECTION_LOSS_GOAL
        for (answers, _), (literal, guarded, trials) in rates.planted.items()
        if answers == GOAL_ANSWERS
    )
