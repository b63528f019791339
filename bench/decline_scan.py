"""Benchmark: rebuild the monthly rollup from 10 M responses and scan for declines.

Times, in one run and on one table:

* the SQL floor: a hand-written GROUP BY over `responses`, run by the stdlib `sqlite3`
  module with every row fetched, i.e. the least any rebuild must cost;
* our full rebuild: `rebuild_rollups` + commit, then `scan_month` for the last complete month,
  through the project's async SQLAlchemy stack;
* pandas: `read_sql` of the needed columns into a DataFrame and a groupby (in a child process,
  so its peak memory is its own);
* the incremental path: 100 000 new responses in the current month, counted in with
  `absorb_new_responses` + commit.

Then the absorbed rollup is checked against a second full rebuild (which is timed too).

First, the decline rule's false alarms and detections, literal and guarded, on simulated
rollups (`bench/_decline_rates.py`, no database); the scan of the 10 M table also runs with
both rules.

    python bench/decline_scan.py              # 10 M responses, figures written to bench/README.md
    python bench/decline_scan.py --quick      # 200 000 responses, a smoke run; README untouched
    python bench/decline_scan.py --rates-only # only the rates (a minute), written to the README
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from _data import CACHE_DIR, Spec, warm_file
from _decline_figures import Figures, detections, figures_table
from _decline_rates import RateSpec, goals_met, measure, rate_lines
from _decline_steps import (
    LITERAL,
    Rollup,
    absorb,
    checkpoint,
    expected_after_absorb,
    forget_detections,
    insert_new,
    machine,
    plans,
    prepare,
    rebuild,
    reset,
    restore_month,
    rollup_snapshot,
    run_pandas,
    save_month,
    scan,
    sql_floor,
    timed,
)
from _readme import README, write_figures


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--responses", type=int)
    parser.add_argument("--processes", type=int)
    parser.add_argument("--touchpoints", type=int)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--new", type=int, help="new responses for the incremental step")
    parser.add_argument("--repeat", type=int, default=1, help="runs of floor and rebuild")
    parser.add_argument("--absorb-repeat", type=int, default=3, help="runs of the absorb")
    parser.add_argument(
        "--verify-rebuild",
        action="store_true",
        help="end with a full rebuild over the full rollup, timed and compared",
    )
    parser.add_argument("--db", type=Path, help="database file (default: a cache in var/bench)")
    parser.add_argument("--quick", action="store_true", help="200 000 responses, a smoke run")
    parser.add_argument("--regenerate", action="store_true", help="ignore a cached database")
    parser.add_argument("--no-pandas", action="store_true")
    parser.add_argument("--no-readme", action="store_true", help="do not write bench/README.md")
    parser.add_argument(
        "--rates-only", action="store_true", help="only the decline rule's rates (no database)"
    )
    args = parser.parse_args(argv)
    quick = {"responses": 200_000, "processes": 100, "touchpoints": 500, "new": 10_000}
    full = {"responses": 10_000_000, "processes": 1_000, "touchpoints": 5_000, "new": 100_000}
    for name, value in (quick if args.quick else full).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    return args


def rates(args: argparse.Namespace) -> bool:
    """The decline rule's rates on simulated rollups; written to the README on a full run."""
    spec = RateSpec(flat_processes=300, planted_processes=300) if args.quick else RateSpec()
    print("decline rule on simulated rollups …", flush=True)
    measured = measure(spec)
    lines = rate_lines(measured)
    print("\n".join(lines) + "\n", flush=True)
    if not (args.quick or args.no_readme):
        write_figures("decline_rates", lines)
    return goals_met(measured)


def main(argv: Sequence[str] | None = None) -> int:
    started = time.perf_counter()
    args = parse_args(argv)
    rates_met = rates(args)
    if args.rates_only:
        return 0 if rates_met else 1
    spec = Spec(
        responses=args.responses,
        processes=args.processes,
        touchpoints=args.touchpoints,
        months=args.months,
    )
    path: Path = args.db or CACHE_DIR / spec.cache_name()
    figures = Figures(spec=spec, new_responses=args.new, machine=machine())

    prepare(path, spec, args.regenerate, figures)
    figures.plans = plans(path)
    print(f"database: {figures.db_mb:,.0f} MB; warming the page cache …", flush=True)
    warm_file(path)
    floor_and_rebuilds(path, spec, args.repeat, figures)
    scans(path, spec, figures)
    if not args.no_pandas:
        pandas_step(path, figures)
    absorbed_rollup = absorbs(path, spec, args, figures)
    if args.verify_rebuild:
        verify_rebuild(path, absorbed_rollup, figures)

    figures.machine["load_end"] = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    figures.total_s = time.perf_counter() - started
    lines = figures_table(figures)
    print("\n" + "\n".join(lines))
    print("\nquery plans:", json.dumps(figures.plans, ensure_ascii=False))
    if not (args.quick or args.no_readme):
        write_figures("decline_scan", lines)
        print(f"\nfigures written to {README}")
    return 0 if figures.correct and rates_met else 1


def floor_and_rebuilds(path: Path, spec: Spec, repeat: int, figures: Figures) -> None:
    """The SQL floor and the full rebuild, `repeat` times each, alternating."""
    for run in range(repeat):
        timing, figures.floor_groups = sql_floor(path)
        figures.floor_runs.append(timing)
        print(f"[{run + 1}] SQL floor: {timing}, {figures.floor_groups:,} rows", flush=True)
        if run:  # back to an empty rollup, as in the first run
            reset(path, spec.responses)
        timing, figures.rollup_rows = asyncio.run(rebuild(path))
        figures.rebuild_runs.append(timing)
        print(f"[{run + 1}] rebuild_rollups + commit: {timing}, ", end="")
        print(f"{figures.rollup_rows:,} rollup rows", flush=True)


def scans(path: Path, spec: Spec, figures: Figures) -> None:
    """The scan with the literal rule (untimed), then, its detections forgotten, the default."""
    _, figures.literal_scan = asyncio.run(scan(path, spec.scan_month, LITERAL))
    forget_detections(path)
    figures.scan_t, figures.scan = asyncio.run(scan(path, spec.scan_month))
    found, planted, others, touchpoints = detections(figures.scan, spec)
    print(
        f"scan_month({spec.scan_month:%Y-%m}): {figures.scan_t}; declines: {found}/"
        f"{planted} planted processes, {others} others, {touchpoints} touchpoints",
        flush=True,
    )


def pandas_step(path: Path, figures: Figures) -> None:
    """read_sql and groupby in a child process, for its own peak memory."""
    figures.pandas = run_pandas(path)
    print(
        f"pandas: {figures.pandas['total_s']:.2f} s (read_sql {figures.pandas['load_s']:.2f}"
        f" s, groupby {figures.pandas['groupby_s']:.2f} s), peak RSS "
        f"{figures.pandas['peak_rss_mb']:,.0f} MB, {int(figures.pandas['groups']):,} groups",
        flush=True,
    )


def absorbs(path: Path, spec: Spec, args: argparse.Namespace, figures: Figures) -> Rollup:
    """New responses, absorbed `--absorb-repeat` times from the same start; the result checked."""
    inserted, after_id = timed(lambda: insert_new(path, spec, args.new))
    figures.insert_new_s = inserted.wall
    checkpoint(path)
    print(f"stored {args.new:,} new responses in {figures.insert_new_s:.1f} s", flush=True)
    before = rollup_snapshot(path)
    saved = save_month(path, spec.current_month)
    for run in range(args.absorb_repeat):
        if run:
            restore_month(path, spec.current_month, saved)
        timing, figures.absorbed = asyncio.run(absorb(path, after_id))
        figures.absorb_runs.append(timing)
        print(
            f"[{run + 1}] absorb_new_responses({args.new:,} new) + commit: {timing}, "
            f"{figures.absorbed:,} counted",
            flush=True,
        )
    absorbed_rollup = rollup_snapshot(path)
    figures.absorb_correct = absorbed_rollup == expected_after_absorb(path, before, after_id)
    print(f"absorbed rollup = before + new sums: {figures.absorb_correct}", flush=True)
    return absorbed_rollup


def verify_rebuild(path: Path, absorbed_rollup: Rollup, figures: Figures) -> None:
    """A full rebuild over the full rollup, timed, must give the absorbed rollup."""
    checkpoint(path)
    figures.rebuild_full_t, _ = asyncio.run(rebuild(path))
    figures.absorb_matches_rebuild = rollup_snapshot(path) == absorbed_rollup
    print(
        f"rebuild over the full rollup: {figures.rebuild_full_t}; absorbed rollup "
        f"{'==' if figures.absorb_matches_rebuild else '!='} rebuild",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
