"""Smoke test of `bench/report_stall.py`: a small database, no timing assertions."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.sqlite_only, pytest.mark.bench_smoke]

BENCH = Path(__file__).resolve().parents[2] / "bench" / "report_stall.py"


async def test_report_stall_benchmark_builds_every_report(tmp_path: Path) -> None:
    figures = tmp_path / "figures.json"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(BENCH),
        "--responses",
        "20000",
        "--baseline",
        "0.5",
        "--db",
        str(tmp_path / "stall.db"),
        "--no-readme",
        "--json",
        str(figures),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), 600)
    text = output.decode(errors="replace")
    assert process.returncode == 0, text

    result = json.loads(figures.read_text())
    assert result["spec"]["responses"] == 20000
    windows = {w["name"]: w for w in result["windows"]}
    assert "no report (baseline)" in windows
    assert len(windows) == 7, text  # the baseline and six updates
    assert all(w["produced"] for w in windows.values()), text  # every chart and document sent
    assert sum(w["writes"] for w in windows.values()) > 0, text  # the writers ran
    assert "loop lag p99" in text and "Traceback" not in text
