"""The figures of bench/decline_scan.py: timings, the goals, and the README's table."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from _data import Spec

from analytics.scan import ScanReport

REBUILD_GOAL = 1.5  # × the SQL floor
ABSORB_GOAL = 2.0  # seconds for 100 000 new responses


@dataclass(frozen=True)
class Timing:
    """Wall-clock and CPU seconds of this process (all threads: aiosqlite works in one).

    The machine is shared, so wall time depends on the neighbours; CPU time much less.
    """

    wall: float
    cpu: float

    def __str__(self) -> str:
        return f"{self.wall:.2f} s (CPU {self.cpu:.2f} s)"


NO_TIME = Timing(float("nan"), float("nan"))


def best(timings: Sequence[Timing]) -> Timing:
    return Timing(min(t.wall for t in timings), min(t.cpu for t in timings))


@dataclass
class Figures:
    spec: Spec
    new_responses: int
    generated_s: float | None = None
    db_mb: float = 0.0
    floor_runs: list[Timing] = field(default_factory=list)
    floor_groups: int = 0
    rebuild_runs: list[Timing] = field(default_factory=list)
    rollup_rows: int = 0
    scan_t: Timing = NO_TIME
    scan: ScanReport | None = None
    literal_scan: ScanReport | None = None
    pandas: dict[str, float] = field(default_factory=dict)
    insert_new_s: float = 0.0
    absorb_runs: list[Timing] = field(default_factory=list)
    absorbed: int = 0
    absorb_correct: bool = False
    rebuild_full_t: Timing | None = None
    absorb_matches_rebuild: bool | None = None
    plans: dict[str, list[str]] = field(default_factory=dict)
    machine: dict[str, str] = field(default_factory=dict)
    total_s: float = 0.0

    @property
    def floor(self) -> Timing:
        return best(self.floor_runs)

    @property
    def rebuild(self) -> Timing:
        return best(self.rebuild_runs)

    @property
    def absorb(self) -> Timing:
        return best(self.absorb_runs)

    @property
    def correct(self) -> bool:
        return self.absorb_correct and self.absorb_matches_rebuild is not False


def detections(report: ScanReport | None, spec: Spec) -> tuple[int, int, int, int]:
    """(planted found, planted, other processes found, touchpoints found)."""
    if report is None:
        return 0, len(spec.declining_processes), 0, 0
    found = {d.process_id for d in report.new if d.level == "process"}
    planted = set(spec.declining_processes)
    touchpoints = sum(1 for d in report.new if d.level == "touchpoint")
    return len(found & planted), len(planted), len(found - planted), touchpoints


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def goal_lines(f: Figures) -> list[str]:
    """Each goal judged on wall time and, apart, on CPU time (the machine is shared)."""
    floor = f.floor
    rebuilds = [("into an empty rollup", f.rebuild)]
    if f.rebuild_full_t is not None:
        rebuilds.append(("over the full rollup", f.rebuild_full_t))
    lines = []
    for label, t in rebuilds:
        wall, cpu = t.wall / floor.wall, t.cpu / floor.cpu
        lines.append(
            f"* full rebuild ≤ {REBUILD_GOAL}× the SQL floor ({label}): wall {wall:.2f}× — "
            f"{verdict(wall <= REBUILD_GOAL)}; CPU {cpu:.2f}× — {verdict(cpu <= REBUILD_GOAL)}"
        )
    lines.append(
        f"* absorb of {f.new_responses:,} new responses ≤ {ABSORB_GOAL:.0f} s: wall "
        f"{f.absorb.wall:.2f} s — {verdict(f.absorb.wall <= ABSORB_GOAL)}; CPU "
        f"{f.absorb.cpu:.2f} s — {verdict(f.absorb.cpu <= ABSORB_GOAL)}"
    )
    return lines


def figures_table(f: Figures) -> list[str]:
    """The README's block: the run, the machine, the steps' table, declines, checks, goals."""
    spec = f.spec
    found, planted, others, touchpoints = detections(f.scan, spec)
    literal_found, _, literal_others, literal_touchpoints = detections(f.literal_scan, spec)
    generated = f"{f.generated_s:.0f} s" if f.generated_s is not None else "cached"
    return [
        f"Run {time.strftime('%Y-%m-%d %H:%M')}: {spec.responses:,} responses, "
        f"{spec.processes:,} processes, {spec.touchpoints:,} touchpoints, {spec.months} months "
        f"(current month {spec.current_month:%Y-%m}, scan of {spec.scan_month:%Y-%m}); "
        f"database {f.db_mb:,.0f} MB; generation {generated}; whole run {f.total_s / 60:.1f} min.",
        "",
        f"Machine: {f.machine['cpu']}; {f.machine['memory']} RAM; {f.machine['software']}. "
        f"Load average {f.machine['load']} at the start, {f.machine.get('load_end', '?')} at the "
        "end: the machine is shared, so wall times carry the neighbours' load; CPU times "
        "much less.",
        "",
        *steps_table(f),
        "",
        f"Declines recorded for {spec.scan_month:%Y-%m} at the defaults (noise guard on): "
        f"{found} of {planted} planted processes, {others} other processes, {touchpoints} "
        f"touchpoints; {f.scan.within_noise if f.scan else 0} streaks set aside as noise. With "
        f"`OTKLIK_DECLINE_GUARD=literal`: {literal_found} of {planted} planted, {literal_others} "
        f"other processes (a flat series ends in three decreases about 1 time in 24), "
        f"{literal_touchpoints} touchpoints.",
        "",
        f"Checks: {'; '.join(checks(f))}.",
        "",
        "Goals:",
        "",
        *goal_lines(f),
    ]


def best_of(runs: Sequence[Timing]) -> str:
    """The walls of every run, when the best of several is shown."""
    if len(runs) < 2:
        return ""
    walls = ", ".join(f"{t.wall:.2f}" for t in runs)
    return f"; best of {len(runs)} (wall {walls} s)"


def table_row(step: str, t: Timing, floor: Timing, ratio: bool = True, bold: bool = False) -> str:
    """One step's row: wall, CPU and, unless `ratio` is off, both as multiples of the floor."""
    cells = [f"{t.wall:.2f} s", f"{t.cpu:.2f} s"]
    if ratio:
        cells += [f"{t.wall / floor.wall:.2f}", f"{t.cpu / floor.cpu:.2f}"]
    else:
        cells += ["—", "—"]
    if bold:
        step, cells = f"**{step}**", [f"**{cell}**" for cell in cells]
    return f"| {step} | {' | '.join(cells)} |"


def steps_table(f: Figures) -> list[str]:
    """Each timed step against the SQL floor; pandas on a row of its own."""
    floor = f.floor
    full = Timing(f.rebuild.wall + f.scan_t.wall, f.rebuild.cpu + f.scan_t.cpu)
    pandas_total = f.pandas.get("total_s", float("nan"))
    peak = f.pandas.get("peak_rss_mb", float("nan"))
    growth = peak - f.pandas.get("baseline_rss_mb", float("nan"))
    scanned = (
        f"{f.scan.processes:,} process and {f.scan.touchpoints:,} touchpoint series"
        if f.scan
        else "no series"
    )
    table = [
        "| step | wall | CPU | × floor (wall) | × floor (CPU) |",
        "|---|---:|---:|---:|---:|",
        table_row(
            f"SQL floor: GROUP BY via stdlib sqlite3, {f.floor_groups:,} rows fetched"
            + best_of(f.floor_runs),
            floor,
            floor,
        ),
        table_row(
            f"rebuild_rollups + commit, {f.rollup_rows:,} rows into an empty rollup"
            + best_of(f.rebuild_runs),
            f.rebuild,
            floor,
        ),
    ]
    if f.rebuild_full_t is not None:
        table.append(
            table_row(
                "rebuild_rollups + commit over the full rollup (DELETE + INSERT)",
                f.rebuild_full_t,
                floor,
            )
        )
    return [
        *table,
        table_row(f"scan_month ({scanned})", f.scan_t, floor),
        table_row("full rebuild + scan", full, floor, bold=True),
        f"| pandas: read_sql {f.pandas.get('load_s', float('nan')):.1f} s + groupby "
        f"{f.pandas.get('groupby_s', float('nan')):.1f} s; peak RSS {peak:,.0f} MB "
        f"(+{growth:,.0f} MB) | {pandas_total:.2f} s | — | {pandas_total / floor.wall:.2f} | — |",
        table_row(
            f"absorb_new_responses + commit: {f.new_responses:,} new ({f.absorbed:,} rated)"
            + best_of(f.absorb_runs),
            f.absorb,
            floor,
            ratio=False,
        ),
    ]


def checks(f: Figures) -> list[str]:
    """The correctness checks: the absorbed rollup, pandas' groups, the second rebuild."""
    found = [
        "absorbed rollup = rollup before + the new rows' sums (hand-written SQL, Python "
        f"cell_key): {'yes' if f.absorb_correct else 'NO'}",
        "pandas groups = SQL floor groups: "
        f"{'yes' if int(f.pandas.get('groups', -1)) == f.floor_groups else 'NO'}",
    ]
    if f.absorb_matches_rebuild is not None:
        found.append(
            f"absorbed rollup = full rebuild: {'yes' if f.absorb_matches_rebuild else 'NO'}"
        )
    return found
