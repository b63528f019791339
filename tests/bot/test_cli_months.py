"""`otklik scan` and `otklik report` default to the last complete month and name it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from analytics.report_xlsx import HEAD_ROWS
from bot.cli import main

# 1 Dec 2026, 00:30 in Moscow (OTKLIK_TIMEZONE's default) but still 30 Nov in UTC
NOW = datetime(2026, 11, 30, 21, 30, tzinfo=UTC)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OTKLIK_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("OTKLIK_SECRET_KEY", "cli-secret")
    monkeypatch.delenv("OTKLIK_TIMEZONE", raising=False)
    monkeypatch.setattr("core.clock.utcnow", lambda: NOW)
    return tmp_path


def test_scan_and_reports_default_to_the_last_complete_local_month(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["scan"]) == 0
    assert "Проверен ноябрь 2026 г. (последний завершённый месяц)" in capsys.readouterr().out

    out = workdir / "dynamics.xlsx"
    assert main(["report", "dynamics", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Динамика удовлетворённости за декабрь 2025 г. – ноябрь 2026 г." in printed
    assert "01.12.2025–30.11.2026" in printed and "(последний завершённый месяц)" in printed
    months = list(pd.read_excel(out, sheet_name="Число ответов", header=HEAD_ROWS).columns[-12:])
    assert months[0] == "дек 2025" and months[-1] == "ноя 2026"

    assert main(["report", "dynamics", "--month", "2026-10", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "ноябрь 2025 г. – октябрь 2026 г.: 01.11.2025–31.10.2026" in printed
    assert "последний завершённый" not in printed


def test_future_months_are_refused_in_russian(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = workdir / "x.xlsx"
    for argv in (
        ["report", "dynamics", "--month", "2027-01", "--out", str(out)],
        ["scan", "--month", "2027-01"],
    ):
        assert main(argv) == 2, argv
        error = capsys.readouterr().err
        assert "Месяц январь 2027 г. ещё не наступил" in error, argv
        assert "Последний завершённый месяц — ноябрь 2026 г." in error, argv
    assert not out.exists()
    # December has begun in Moscow: the scan refuses it, a report of it says it is partial
    assert main(["scan", "--month", "2026-12"]) == 2
    assert "декабрь 2026 г. ещё не завершён" in capsys.readouterr().err
    assert main(["report", "dynamics", "--month", "2026-12", "--out", str(out)]) == 0
    assert "месяц ещё не завершён: данные по 01.12.2026" in capsys.readouterr().out
