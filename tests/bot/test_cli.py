"""The command line on a temporary database: registry, QR codes, invites, reports."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from analytics.report_xlsx import HEAD_ROWS
from bot.cli import main
from bot.demo import EXAMPLE_REGISTRY


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OTKLIK_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("OTKLIK_SECRET_KEY", "cli-secret")
    monkeypatch.delenv("OTKLIK_BOT_TOKEN", raising=False)
    return tmp_path


def test_registry_qr_invites_and_reports(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["registry", "import", str(EXAMPLE_REGISTRY)]) == 0
    assert "Процессы: новых 23" in capsys.readouterr().out
    assert main(["registry", "export", str(workdir / "out.xlsx")]) == 0
    assert main(["touchpoints", "qr", str(workdir / "qr"), "--bot-username", "otklik_bot"]) == 0
    assert len(list((workdir / "qr").glob("*.png"))) == 55  # active touchpoints of the example
    assert main(["invites", "create", "--department", "NOPE", "--bot-username", "otklik_bot"]) == 1
    assert "не найдено" in capsys.readouterr().err
    code = pd.read_excel(EXAMPLE_REGISTRY, sheet_name="Процессы")["Код подразделения"].iloc[0]
    assert (
        main(
            [
                "invites",
                "create",
                "--department",
                str(code),
                "--uses",
                "3",
                "--expires",
                "2",
                "--bot-username",
                "otklik_bot",
            ]
        )
        == 0
    )
    assert capsys.readouterr().out.strip().startswith("https://t.me/otklik_bot?start=inv-")
    assert main(["report", "dynamics", "--month", "2025-03", "--out", str(workdir / "d.xlsx")]) == 0
    assert "Динамика удовлетворённости" in pd.read_excel(
        workdir / "d.xlsx", sheet_name=None, header=HEAD_ROWS
    )
    assert main(["report", "pain-map", "--out", str(workdir / "p.xlsx")]) == 1
    assert "--process" in capsys.readouterr().err
    assert main(["scan", "--month", "2025-13"]) == 2
    assert main(["scan", "--month", "2025-03"]) == 0
    assert "новых снижений 0" in capsys.readouterr().out


def test_cases_open_list_and_action_plan(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["registry", "import", str(EXAMPLE_REGISTRY)]) == 0
    assert main(["cases", "open", "--process", "NOPE"]) == 1
    assert main(["cases", "open", "--process", "SUP03"]) == 0
    opened = capsys.readouterr().out
    assert "Открыто дело №" in opened
    assert main(["cases", "open", "--process", "SUP03"]) == 0
    assert "уже открыто дело" in capsys.readouterr().out
    assert main(["cases", "list"]) == 0
    assert "R1" in capsys.readouterr().out
    case_id = opened.split("№ ")[1].split()[0]
    out = workdir / "plan.xlsx"
    assert main(["report", "action-plan", "--case", case_id, "--out", str(out)]) == 0
    assert out.exists()
    assert main(["report", "action-plan", "--out", str(out)]) == 1


def test_department_head_and_a_case_given_to_another_owner(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Seed 003 §2.2.6 (the head signs the conclusions) and §1.4 (an instruction names
    another owner for one case)."""
    assert main(["registry", "import", str(EXAMPLE_REGISTRY)]) == 0
    capsys.readouterr()
    assert main(["people", "head", "NOPE", "700002"]) == 1
    assert "Подразделения с кодом «NOPE» нет." in capsys.readouterr().err
    assert main(["people", "head", "UMSP", "999"]) == 1
    assert "Сотрудник не найден: 999." in capsys.readouterr().err
    assert main(["people", "head", "UMSP"]) == 2
    capsys.readouterr()
    assert main(["people", "head", "UMSP", "700002"]) == 0
    assert "Руководитель подразделения «Управление социальной поддержки населения»: 700002" in (
        capsys.readouterr().out
    )
    assert main(["cases", "open", "--process", "SUP01"]) == 0
    case_id = capsys.readouterr().out.split("№ ")[1].split()[0]
    assert main(["cases", "owner", case_id, "700003"]) == 0
    assert f"Дело № {case_id} передано: 700003" in capsys.readouterr().out
    assert main(["cases", "owner", case_id, "700003"]) == 1
    assert "уже отвечает за это дело" in capsys.readouterr().err
    head, case_owner, process_owner = asyncio.run(_stored(workdir / "cli.db"))
    assert head == 700002 and case_owner == 700003 and process_owner == 700001
    assert main(["people", "head", "UMSP", "--clear"]) == 0
    assert "нет руководителя" in capsys.readouterr().out


async def _stored(path: Path) -> tuple[int, int, int]:
    """The head of UMSP, the case's own owner and the process owner, by Telegram id."""
    engine = create_async_engine(f"sqlite+aiosqlite:///{path}")
    async with engine.connect() as connection:
        head = await connection.scalar(
            sa.text(
                "SELECT p.telegram_id FROM departments d JOIN people p ON p.id = d.head_id "
                "WHERE d.code = 'UMSP'"
            )
        )
        owners = (
            await connection.execute(
                sa.text(
                    "SELECT p.telegram_id, o.telegram_id FROM reengineering_cases c "
                    "JOIN people p ON p.id = c.owner_id JOIN processes r ON r.id = c.process_id "
                    "JOIN people o ON o.id = r.owner_id"
                )
            )
        ).one()
    await engine.dispose()
    return int(head), int(owners[0]), int(owners[1])
