"""Smoke test of `bench/survey_throughput.py`: tiny numbers, no timing assertions."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.bench_smoke]

BENCH = Path(__file__).resolve().parents[2] / "bench" / "survey_throughput.py"
RESPONDENTS = 5


async def test_survey_throughput_benchmark_completes_every_questionnaire(tmp_path: Path) -> None:
    figures = tmp_path / "figures.json"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(BENCH),
        "--respondents",
        str(RESPONDENTS),
        "--timeout",
        "60",
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
    output, _ = await asyncio.wait_for(process.communicate(), 300)
    text = output.decode(errors="replace")
    assert process.returncode == 0, text

    [result] = json.loads(figures.read_text())
    assert result["respondents"] == RESPONDENTS
    assert result["all_completed"], text
    real, echo = result["otklik"], result["echo"]
    assert real["completed"] == RESPONDENTS
    assert real["responses_rows"] == RESPONDENTS
    assert real["sessions_completed"] == RESPONDENTS
    assert real["failures"] == []
    assert echo["completed"] == RESPONDENTS
    # Like for like: the echo bot got exactly the updates the real bot got, all answered.
    assert echo["updates"] == real["updates"] == real["answered"] == echo["answered"]
    assert real["updates"] >= 5 * RESPONDENTS  # /start, consent, rating, comment, segment
    assert real["peak_mb"] > 0
    assert "Traceback" not in real["log_issues"]
    assert "updates/s" in text
