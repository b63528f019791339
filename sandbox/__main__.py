"""``python -m sandbox --port 8081 [--messenger max]``: run a stand-in until Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio

from sandbox.max.server import MaxSandboxServer
from sandbox.telegram.server import SandboxServer


def main(argv: list[str] | None = None) -> None:
    """Parse flags and serve forever; everything else is tunable via ``/_sandbox``."""
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081, help="0 picks a free port")
    parser.add_argument("--token", default=None, help="accept only this bot token")
    parser.add_argument("--bot-username", default="otklik_sandbox_bot")
    parser.add_argument("--callback-ttl", type=float, default=15.0)
    parser.add_argument("--seed", type=int, default=0, help="fault-injection RNG seed")
    parser.add_argument("--rate-limits", action="store_true", help="enable flood limits")
    parser.add_argument("--messenger", choices=("telegram", "max"), default="telegram")
    args = parser.parse_args(argv)
    kind = MaxSandboxServer if args.messenger == "max" else SandboxServer
    server = kind(
        args.host,
        args.port,
        token=args.token,
        bot_username=args.bot_username,
        callback_ttl=args.callback_ttl,
        fault_seed=args.seed,
    )
    if args.rate_limits:
        server.set_rate_limits(True)
    try:
        asyncio.run(server.run_forever())
    except KeyboardInterrupt:  # pragma: no cover - signal handler normally wins
        pass


if __name__ == "__main__":
    main()
