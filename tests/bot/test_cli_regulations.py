"""`otklik regulations list|show` and `otklik org regulation set|show` through main()."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.demo import EXAMPLE_REGISTRY


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OTKLIK_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("OTKLIK_SECRET_KEY", "cli-secret")
    monkeypatch.delenv("OTKLIK_BOT_TOKEN", raising=False)
    return tmp_path


def test_regulations_list_shows_what_ships(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["regulations", "list"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert [line.split()[0] for line in lines if not line.startswith(" ")] == [
        "seed000",
        "seed001",
        "seed003",
    ]
    assert "Акт: Порядок реинжиниринга процессов предоставления государственных услуг" in out
    assert (
        "(приказ от 02.11.2024 № 77-НПА)" in out and "(постановление от 22.10.2025 № 1151)" in out
    )
    assert "Шагов: 6; сроки устанавливает ответственный по клиентоцентричности" in out
    assert "Шагов: 8; сроки устанавливает ответственный по клиентоцентричности" in out
    assert "Шагов: 18; сроки исчисляются по порядку; версия 2025-10-22+" in out
    assert main(["regulations", "show", "seed000"]) == 0
    shown = capsys.readouterr().out
    assert "P1 (п. 2 пп. 1 абз. 2) Анализ клиентского пути — устанавливает" in shown
    assert "п. 5. Реинжиниринг процессов рассмотрения обращений и запросов" in shown
    assert main(["regulations", "show", "seed009"]) == 1
    assert "Порядка «seed009» среди поставляемых нет" in capsys.readouterr().err


def test_org_regulation_set_and_a_case_opened_under_it(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["registry", "import", str(EXAMPLE_REGISTRY)]) == 0
    capsys.readouterr()
    assert main(["org", "regulation", "show"]) == 0
    assert capsys.readouterr().out.startswith("seed003  ")
    assert main(["org", "regulation", "set", "seed001", "--days", "a1=12"]) == 0
    assert "открытые дела продолжаются по своему порядку" in capsys.readouterr().out
    assert main(["org", "regulation", "show"]) == 0
    shown = capsys.readouterr().out
    assert (
        shown.startswith("seed001  ") and "A1: 12 раб. дн." in shown and "A2: 25 раб. дн." in shown
    )
    assert main(["org", "regulation", "set", "seed001", "--days", "R1=3"]) == 1
    assert "нет шага R1" in capsys.readouterr().err
    assert main(["cases", "open", "--process", "SUP03", "--ground", "law_change"]) == 0
    capsys.readouterr()
    assert main(["cases", "list"]) == 0
    assert "A1" in capsys.readouterr().out
