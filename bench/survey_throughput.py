"""Benchmark: concurrent respondents completing the touchpoint questionnaire over HTTP.

The real bot (`python -m bot.cli run`, a separate process, SQLite file database loaded with
`examples/registry.xlsx`) and a bare aiogram echo bot (`bench/echo_bot.py`, also a process)
are driven through the same in-process sandbox Bot API by simulated people with fresh user
ids, all started at once. Each respondent follows a seeded plan (a touchpoint of the registry,
consent, rating, the conditional questions, comment or skip, segment); the echo bot's
respondents send the same plans' messages and button presses, each waited for an answer, so
updates/s compare like for like.

For each concurrency it prints updates/s and questionnaires/s of both bots and the ratio
(real/echo), checks that every questionnaire completed (rows of `responses` = respondents)
and reads the real bot's peak memory (VmHWM of /proc/<pid>/status).

    python bench/survey_throughput.py                        # 500 and 2 000, README updated
    python bench/survey_throughput.py --respondents 100      # any sizes
    python bench/survey_throughput.py --quick                # 20 respondents, README untouched
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from _readme import README, write_figures  # noqa: E402
from _survey_phases import Options, Round, run_round  # noqa: E402
from _survey_report import print_report, report  # noqa: E402


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--respondents", type=int, nargs="+", help="concurrent respondents (default 500 2000)"
    )
    parser.add_argument("--quick", action="store_true", help="20 respondents; README untouched")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per answer")
    parser.add_argument(
        "--deadline", type=float, default=600.0, help="seconds per bot and size; then give up"
    )
    parser.add_argument(
        "--callback-ttl",
        type=float,
        help="sandbox's answerCallbackQuery deadline (default: --timeout; Telegram's is ~15)",
    )
    parser.add_argument("--workdir", type=Path, help="databases and bot logs (default: temp)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    parser.add_argument("--no-readme", action="store_true", help="do not write bench/README.md")
    args = parser.parse_args(argv)
    if args.respondents is None:
        args.respondents = [20] if args.quick else [500, 2000]
    if args.quick or args.respondents != [500, 2000]:
        args.no_readme = True
    return args


async def run(args: argparse.Namespace, options: Options) -> list[Round]:
    if args.workdir is not None:
        args.workdir = args.workdir.resolve()  # the bots run in folders of their own
        args.workdir.mkdir(parents=True, exist_ok=True)
        return [await run_round(n, args.workdir, options) for n in args.respondents]
    with tempfile.TemporaryDirectory(prefix="survey-throughput-") as tmp:
        return [await run_round(n, Path(tmp), options) for n in args.respondents]


def as_json(rounds: Sequence[Round]) -> list[dict[str, Any]]:
    return [
        {
            "respondents": r.respondents,
            "ratio": r.ratio,
            "all_completed": r.all_completed,
            "goals": r.goals,
            **{
                p.bot: {
                    **asdict(p),
                    "updates_per_s": p.updates_per_s,
                    "questionnaires_per_s": p.questionnaires_per_s,
                    "cpu_ms_per_update": p.cpu_ms_per_update,
                }
                for p in (r.otklik, r.echo)
            },
        }
        for r in rounds
    ]


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    options = Options(
        answer_timeout=args.timeout, deadline=args.deadline, callback_ttl=args.callback_ttl
    )
    rounds = asyncio.run(run(args, options))
    lines = report(rounds, options)
    print_report(lines)
    if args.json is not None:
        args.json.write_text(json.dumps(as_json(rounds), ensure_ascii=False, indent=2))
    if not args.no_readme:
        write_figures("survey_throughput", lines)
        print(f"\nfigures written to {README}")
    return 0 if all(r.all_completed and r.echo.completed == r.respondents for r in rounds) else 1


if __name__ == "__main__":
    sys.exit(main())
