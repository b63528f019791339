"""One budget for every request the bot makes to MAX: 30 a second, shared and retried.

MAX answers 429 to a bot that goes beyond 30 requests a second and names no delay. The
handlers' replies, the outbox and the long poll all draw on the same budget, so each request
waits for its turn here (first come, first served), and a 429 pauses everyone for a second
and the request is tried again: under a crowd a person's answer comes late, not never.
"""

from __future__ import annotations

import asyncio

from bot.delivery import TokenBucket

# A little below MAX's 30 (bot.max.channel): the server's window and ours never line up.
PACE_PER_SECOND = 27.0
PAUSE_AFTER_429 = 1.0
ATTEMPTS_ON_429 = 4


class MaxPacer:
    """The outbox's token bucket, shared by every caller in arrival order; a 429 pauses all."""

    def __init__(self, rate: float = PACE_PER_SECOND, burst: float = 5.0) -> None:
        self.bucket = TokenBucket(rate, burst)
        self._turn = asyncio.Lock()
        self.waited = 0.0  # seconds spent waiting for a turn, for the benchmarks

    async def take(self, cost: int = 1) -> None:
        """Wait for this call's turn (in arrival order); `cost`: the requests it makes."""
        if cost <= 0:
            return
        async with self._turn:
            for _ in range(cost):
                wait = self.bucket.delay()
                while wait > 0:
                    self.waited += wait
                    await asyncio.sleep(wait)
                    wait = self.bucket.delay()

    def pause(self, seconds: float = PAUSE_AFTER_429) -> None:
        self.bucket.pause(seconds)
