"""Smoke test of `bench/channel_throughput.py`: the same plans in Telegram and MAX, tiny numbers.

No timing assertions. The MAX phase with the stand-in's 30 requests a second is checked for
what the bench itself owes (the plans reached the stand-in, the limits were on, the requests
were counted), not for completion: whether the bot keeps within MAX's limit is what the
benchmark measures.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import sys
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.bench_smoke,
    pytest.mark.skipif(
        importlib.util.find_spec("bot.max") is None, reason="the MAX channel (bot.max) is absent"
    ),
]

BENCH = Path(__file__).resolve().parents[2] / "bench" / "channel_throughput.py"
RESPONDENTS = 5


async def test_channel_throughput_runs_the_same_plans_in_telegram_and_max(tmp_path: Path) -> None:
    figures = tmp_path / "figures.json"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(BENCH),
        "--respondents",
        str(RESPONDENTS),
        "--max-limits",
        "both",
        "--timeout",
        "30",
        "--deadline",
        "120",
        "--workdir",
        str(tmp_path / "work"),
        "--json",
        str(figures),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), 400)
    text = output.decode(errors="replace")
    assert process.returncode in (0, 1), text  # 1: some questionnaire did not complete

    [result] = json.loads(figures.read_text())
    assert result["respondents"] == RESPONDENTS
    telegram, limited, free = result["telegram"], result["max"], result["max-unlimited"]
    for phase, channel in ((telegram, "telegram"), (free, "max")):
        assert phase["completed"] == RESPONDENTS, text
        assert phase["responses_rows"] == RESPONDENTS
        assert phase["collected_via"] == {channel: RESPONDENTS}
        assert phase["failures"] == []
        assert phase["rate_limited"] == 0
        assert phase["limits"]["enabled"] is False
        assert "Traceback" not in phase["log_issues"]
    # Like for like: the same plans, so the same updates, all answered in both channels.
    assert free["planned"] == telegram["planned"] == limited["planned"]
    assert free["updates"] == telegram["updates"] == free["answered"] == telegram["answered"]
    assert free["messenger"] == limited["messenger"] == "max"
    assert 0 < free["requests_per_update"] < 5
    # The limited phase: every respondent's deep link reached the MAX stand-in, under limits.
    assert limited["limits"]["enabled"] is True
    assert limited["limits"]["global_rate"] == 30
    assert limited["updates"] >= RESPONDENTS
    assert not any("sandbox created" in failure for failure in limited["failures"])
    assert limited["requests"]["getupdates"] > 0
    assert "MAX/Telegram" in text and "30 ÷" in text and "limits on" in text
