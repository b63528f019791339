"""Benchmark: the same respondents' questionnaires through Telegram and through MAX, one run.

The real bot (`python -m bot.cli run`, a separate process on a fresh SQLite file loaded with
`examples/registry.xlsx`) is started twice (three times with `--max-limits both`): once
with only `OTKLIK_BOT_TOKEN` + `OTKLIK_TELEGRAM_API_URL` against the in-process Telegram
stand-in, once with only `OTKLIK_MAX_TOKEN` + `OTKLIK_MAX_API_URL` against the MAX stand-in.
Both get the same seeded plans (bench/_survey_plans.py) at the same concurrency, driven by
`sandbox.simulated.SimulatedUser`, which works on either stand-in: a deep link's start, then
button presses and messages, each waited for the bot's answer.

The MAX stand-in counts every request against MAX's 30 requests a second (limits on, as the
real API has them); `--max-limits both` adds a MAX phase with the limits off, which shows
what the bot itself costs in MAX. The Telegram stand-in's limits stay off, as in
bench/survey_throughput.py.

    python bench/channel_throughput.py                 # 100 and 500, README updated
    python bench/channel_throughput.py --quick         # 20 respondents, README untouched
    python bench/channel_throughput.py --respondents 50 --max-limits off
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
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

from _channel_report import ChannelRound, report  # noqa: E402
from _readme import README, write_figures  # noqa: E402
from _survey_phases import Options, Phase, run_otklik, summary  # noqa: E402
from _survey_processes import collected_via  # noqa: E402

DEFAULT_SIZES = [100, 500]
QUICK_TIMEOUT, QUICK_DEADLINE = 5.0, 20.0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--respondents", type=int, nargs="+", help="concurrent respondents (default 100 500)"
    )
    parser.add_argument("--quick", action="store_true", help="20 respondents; README untouched")
    parser.add_argument(
        "--max-limits",
        choices=("on", "off", "both"),
        help="the MAX stand-in's 30 requests/s (default: both; on with --quick)",
    )
    parser.add_argument(
        "--timeout", type=float, help="seconds per answer (default 120; 10 with --quick)"
    )
    parser.add_argument(
        "--deadline", type=float, help="seconds per phase, then give up (600; 30 with --quick)"
    )
    parser.add_argument(
        "--callback-ttl", type=float, help="stand-ins' callback answer deadline (default: timeout)"
    )
    parser.add_argument("--workdir", type=Path, help="databases and bot logs (default: temp)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    parser.add_argument("--no-readme", action="store_true", help="do not write bench/README.md")
    args = parser.parse_args(argv)
    if args.respondents is None:
        args.respondents = [20] if args.quick else DEFAULT_SIZES
    if args.max_limits is None:
        args.max_limits = "on" if args.quick else "both"
    # A quick run must end in well under a minute even when the bot loses answers.
    if args.timeout is None:
        args.timeout = QUICK_TIMEOUT if args.quick else 120.0
    if args.deadline is None:
        args.deadline = QUICK_DEADLINE if args.quick else 600.0
    if args.quick or args.respondents != DEFAULT_SIZES or args.max_limits != "both":
        args.no_readme = True
    return args


def registry_copy(workdir: Path, respondents: int) -> Path:
    """The freshly imported registry, kept from the Telegram phase for the MAX phases."""
    return workdir / f"registry-{respondents}.db"


async def max_phase(
    respondents: int, workdir: Path, options: Options, steps: Any, *, limits: bool
) -> Phase:
    name = "max" if limits else "max-unlimited"
    phase, _ = await run_otklik(
        respondents,
        workdir,
        options,
        messenger="max",
        name=name,
        steps=steps,
        limits=limits,
        template=registry_copy(workdir, respondents),
    )
    phase.collected_via = collected_via(workdir / f"otklik-{name}-{respondents}.db")
    print(f"   {name + ':':15}{summary(phase)}", flush=True)
    return phase


async def run_round(
    respondents: int, workdir: Path, options: Options, max_limits: str
) -> ChannelRound:
    """Telegram first (its plans), then MAX with the very same plans."""
    print(f"\n== {respondents} concurrent respondents", flush=True)
    registry_copy(workdir, respondents).unlink(missing_ok=True)  # a kept workdir's last run
    telegram, steps = await run_otklik(
        respondents,
        workdir,
        options,
        messenger="telegram",
        name="telegram",
        template=registry_copy(workdir, respondents),
    )
    telegram.collected_via = collected_via(workdir / f"otklik-telegram-{respondents}.db")
    print(f"   {'telegram:':15}{summary(telegram)}", flush=True)
    limited = unlimited = None
    if max_limits in ("on", "both"):
        limited = await max_phase(respondents, workdir, options, steps, limits=True)
    if max_limits in ("off", "both"):
        unlimited = await max_phase(respondents, workdir, options, steps, limits=False)
    return ChannelRound(respondents, telegram, limited, unlimited)


async def run(args: argparse.Namespace, options: Options) -> list[ChannelRound]:
    async def rounds(workdir: Path) -> list[ChannelRound]:
        return [await run_round(n, workdir, options, args.max_limits) for n in args.respondents]

    if args.workdir is not None:
        args.workdir = args.workdir.resolve()  # the bots run in folders of their own
        args.workdir.mkdir(parents=True, exist_ok=True)
        return await rounds(args.workdir)
    with tempfile.TemporaryDirectory(prefix="channel-throughput-") as tmp:
        return await rounds(Path(tmp))


def as_json(rounds: Sequence[ChannelRound]) -> list[dict[str, Any]]:
    return [
        {
            "respondents": r.respondents,
            "all_completed": r.all_completed,
            **{
                p.bot: {
                    **asdict(p),
                    "updates_per_s": p.updates_per_s,
                    "questionnaires_per_s": p.questionnaires_per_s,
                    "cpu_ms_per_update": p.cpu_ms_per_update,
                    "requests_per_update": p.requests_per_update,
                    "ratio_to_telegram": r.ratio(p),
                }
                for p in r.phases
            },
        }
        for r in rounds
    ]


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if importlib.util.find_spec("bot.max") is None:
        print("this benchmark needs the MAX channel (bot.max), which this checkout lacks")
        return 2
    options = Options(
        answer_timeout=args.timeout, deadline=args.deadline, callback_ttl=args.callback_ttl
    )
    rounds = asyncio.run(run(args, options))
    lines = report(rounds, options)
    print()
    print("\n".join(lines))
    if args.json is not None:
        args.json.write_text(json.dumps(as_json(rounds), ensure_ascii=False, indent=2))
    if not args.no_readme:
        write_figures("channel_throughput", lines)
        print(f"\nfigures written to {README}")
    return 0 if all(r.all_completed for r in rounds) else 1


if __name__ == "__main__":
    sys.exit(main())
