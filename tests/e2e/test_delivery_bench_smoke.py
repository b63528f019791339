"""The delivery benchmark (bench/delivery.py) end to end with tiny numbers.

Same faults as the real run (2% 429, 1% 5xx, 1% of users blocked); asserts the correctness
half of the goal — nothing lost, nothing duplicated, exactly the blocked users unreachable —
and no timing, which depends on the machine.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench._delivery_result import DeliveryResult
from bench.delivery import run_benchmark, sender_factory

pytestmark = [pytest.mark.e2e, pytest.mark.bench_smoke]


async def test_delivery_bench_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    sender = "current"
    result: DeliveryResult = await run_benchmark(
        200, 100.0, sender_factory=sender_factory(sender), workdir=tmp_path, limit_s=120
    )

    assert result.lost == 0
    assert result.duplicated == 0 and result.extra_copies == 0
    assert result.blocked == 2 and result.expected == 198
    assert result.delivered == 198
    assert result.unreachable_people == 2 and result.wrongly_unreachable == 0
    # Blocked people of the registry: their messages are kept for them (issue #13, point 5).
    assert result.rows == {"sent": 198, "held": 2}
    assert result.sandbox_403 == 2
    assert result.sandbox_429_injected > 0  # the retry path ran (fixed fault seed)
    assert result.api_calls > 200  # every message tried, faulted ones again
