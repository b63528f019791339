"""The bot starts without pandas, numpy, openpyxl or matplotlib: they come with the first
report or workbook. Loading them at start costs some 50 MB of the bot's memory goal
(bench/survey_throughput.py: peak ≤ 200 MB); this session's merges had pulled them in
through three module-level imports (the internal agenda, the signers, the forms)."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("pandas", "numpy", "openpyxl", "matplotlib", "PIL")


def test_the_bot_starts_without_the_report_libraries() -> None:
    code = (
        "import sys; import bot.app, bot.factory, handlers, jobs.setup, web.app; "
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == "", f"loaded at start: {loaded}"
