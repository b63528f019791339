"""Crash test: simulated answers through the sandbox while the bot is killed with SIGKILL.

Two scenarios, each on a fresh database loaded with `examples/registry.xlsx`:

* **polling** — one bot process (`python -m bot.cli run`, long polling, SQLite file database),
  killed with SIGKILL at random points and restarted at once each time;
* **replicas** — PostgreSQL and Redis (throwaway servers), three webhook replicas
  (`run --webhook http://LB/hook --listen …`, the first registers the webhook, the others
  `--no-register`) behind a round-robin balancer (`bench/_balancer.py`, a 502 when the chosen
  replica is down, so the sandbox's webhook delivery retries); one replica is killed with
  SIGKILL repeatedly and restarted. Outbox messages enqueued at the start (due times spread
  over the run) check that the sender ran in one replica at a time: each must reach its chat
  exactly once, and the `leases` table is sampled for its holder.

Simulated people (distinct user ids, `--concurrency` of them at a time, a new one starting as
soon as one finishes) follow the short path /start <touchpoint> → Дать согласие → 5 → Пропустить →
Гражданин → «Спасибо! Ваш ответ сохранён.» They act on what the chat shows: when their wait
times out (the bot was killed) they press the same button again (or send the same message);
when the bot says the question was already answered and nothing follows, they send the
/start link again to resume. Figures per scenario: answers acknowledged (people who saw the
thanks), answers stored (rows of `responses`), duplicates (people with more than one row).
The goal is stored = acknowledged and 0 duplicates.

Kill schedule: the run, counted in finished respondents, is cut into `--kills` equal windows
around k/(kills + 1) of the answers; kill k comes at a random (seeded) point of window k, plus a
random 0–1 s. The last respondent does not start before the last kill, so every requested kill
lands while the run is on, however small it is. The bots run in a fixed-offset time zone in
which it is about noon at the start (`--timezone` to choose another), so a run does not cross
local midnight, where the daily limit ("already rated today") starts afresh.

    python bench/crash.py                  # 5 000 answers, 10 kills per scenario; README updated
    python bench/crash.py --quick          # 150 answers, 3 kills; README untouched
    python bench/crash.py --scenario polling --answers 1000 --kills 5 --no-readme
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from _crash_crowd import Config, midday_timezone  # noqa: E402
from _crash_report import report, summary  # noqa: E402
from _crash_results import Result  # noqa: E402
from _crash_scenarios import scenario_polling, scenario_replicas  # noqa: E402
from _readme import README, write_figures  # noqa: E402

FULL_ANSWERS = 5000
"""The issue's size: about 18 minutes for both scenarios on this 2-core machine."""


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="150 answers, 3 kills; no README")
    parser.add_argument("--answers", type=int, help="answers per scenario (default 5000)")
    parser.add_argument("--kills", type=int, help="SIGKILLs per scenario (default 10)")
    parser.add_argument("--concurrency", type=int, default=50, help="respondents at a time")
    parser.add_argument(
        "--scenario", choices=("polling", "replicas", "both"), default="both", help="which"
    )
    parser.add_argument("--timeout", type=float, default=30.0, help="wait before a retry, s")
    parser.add_argument("--deadline", type=float, default=300.0, help="per respondent, s")
    parser.add_argument("--callback-ttl", type=float, default=15.0, help="sandbox's, s")
    parser.add_argument("--outbox", type=int, help="outbox messages (default answers / 10)")
    parser.add_argument(
        "--victim",
        choices=("first", "leader"),
        default="first",
        help="replica killed: always the first, or whichever holds the scheduler lease",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--timezone", help="the bots' OTKLIK_TIMEZONE (default: a zone where it is noon now)"
    )
    parser.add_argument("--workdir", type=Path, help="databases and bot logs (default: temp)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    parser.add_argument("--no-readme", action="store_true", help="do not write bench/README.md")
    return parser.parse_args(argv)


def config_from(args: argparse.Namespace) -> Config:
    answers = args.answers or (150 if args.quick else FULL_ANSWERS)
    kills = args.kills if args.kills is not None else (3 if args.quick else 10)
    outbox = args.outbox if args.outbox is not None else max(20, answers // 10)
    return Config(
        answers=answers,
        kills=kills,
        concurrency=args.concurrency,
        answer_timeout=args.timeout,
        user_deadline=args.deadline,
        seed=args.seed,
        callback_ttl=args.callback_ttl,
        outbox=outbox,
        victim=args.victim,
        timezone=args.timezone or midday_timezone(),
    )


async def run(args: argparse.Namespace, config: Config, workdir: Path) -> list[Result]:
    results: list[Result] = []
    scenarios = ("polling", "replicas") if args.scenario == "both" else (args.scenario,)
    for name in scenarios:
        print(f"\n== scenario {name}: {config.answers} answers, {config.kills} kills", flush=True)
        runner = scenario_polling if name == "polling" else scenario_replicas
        result = await runner(config, workdir)
        results.append(result)
        print("\n".join(summary(result)), flush=True)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    config = config_from(args)
    started, load = time.monotonic(), os.getloadavg()[0]
    with contextlib.ExitStack() as stack:
        workdir = args.workdir or Path(
            stack.enter_context(tempfile.TemporaryDirectory(prefix="otklik-crash-"))
        )
        workdir.mkdir(parents=True, exist_ok=True)
        results = asyncio.run(run(args, config, workdir))
    lines = report(results, config, started, load)
    print()
    print("\n".join(lines))
    if args.json:
        args.json.write_text(
            json.dumps(
                [{**asdict(r), "goal_met": r.goal_met} for r in results],
                ensure_ascii=False,
                indent=2,
            )
        )
    full = not args.quick and args.answers is None and args.kills is None
    if full and not args.no_readme and args.scenario == "both":
        write_figures("crash", lines)
        print(f"\nfigures written to {README}")
    return 0 if all(r.goal_met for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
