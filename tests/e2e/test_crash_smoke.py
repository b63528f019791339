"""Smoke test of `bench/crash.py`: a tiny polling run with two SIGKILLs; no timing assertions."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.bench_smoke]

BENCH = Path(__file__).resolve().parents[2] / "bench" / "crash.py"
ANSWERS = 30
KILLS = 2


async def test_crash_benchmark_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    figures = tmp_path / "figures.json"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(BENCH),
        "--scenario",
        "polling",
        "--answers",
        str(ANSWERS),
        "--kills",
        str(KILLS),
        "--concurrency",
        "10",
        "--timeout",
        "20",
        "--deadline",
        "240",
        "--no-readme",
        "--workdir",
        str(tmp_path / "work"),
        "--json",
        str(figures),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), 420)
    text = output.decode(errors="replace")
    print(text)  # the figures, shown with -s or when the test fails
    assert process.returncode in (0, 1), text  # 1: the goal was not met, judged below

    [result] = json.loads(figures.read_text())
    assert result["answers"] == ANSWERS
    assert len(result["kills"]) == KILLS, text
    assert result["gave_up"] == 0, text
    # Nothing lost, nothing doubled: every person's answer is stored exactly once, and
    # nobody was thanked for an answer that is not in the database.
    assert result["stored"] == ANSWERS, text
    assert result["duplicates"] == 0, text
    assert result["acknowledged_not_stored"] == [], text
    # stored = acknowledged is the benchmark's goal. A kill can still land between the
    # commit of the last answer and the thanks (and a tap handled after a restart can no
    # longer be answered: "query is too old"), so such people are told "already rated
    # today" instead: see bench/README.md, section crash. Every stored answer was
    # acknowledged one way or the other.
    assert result["stored"] == result["acknowledged"] + result["told_limit"], text
    assert result["inbox"].get("pending", 0) == 0, text
    assert "answers acknowledged" in text
