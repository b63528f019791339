"""`otklik invites create --institution`: staff of a subordinate institution join as
internal clients (seed 004 §2 «сотрудник учреждения, подведомственного министерству»)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from bot.cli import main
from bot.demo import EXAMPLE_REGISTRY
from storage.database import create_engine
from tests.bot.test_cli import workdir  # noqa: F401  (the fixture)


async def _subordinate(database: Path) -> list[tuple[str, str, bool]]:
    engine = create_engine(f"sqlite+aiosqlite:///{database}")
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                sa.text("SELECT code, name, subordinate FROM departments WHERE subordinate")
            )
            return [(code, name, bool(flag)) for code, name, flag in rows]
    finally:
        await engine.dispose()


def test_an_invite_for_a_subordinate_institution(
    workdir: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["registry", "import", str(EXAMPLE_REGISTRY)]) == 0
    capsys.readouterr()
    invite = ["invites", "create", "--bot-username", "otklik_bot"]
    assert main([*invite, "--department", "KCSON", "--institution", "ГБУ «КЦСОН»"]) == 0
    assert capsys.readouterr().out.strip().startswith("https://t.me/otklik_bot?start=inv-")
    assert main([*invite, "--department", "KCSON", "--institution", "ГБУ «КЦСОН»"]) == 0
    assert asyncio.run(_subordinate(workdir / "cli.db")) == [("KCSON", "ГБУ «КЦСОН»", True)]
    own = pd.read_excel(EXAMPLE_REGISTRY, sheet_name="Процессы")["Код подразделения"].iloc[0]
    assert main([*invite, "--department", str(own), "--institution", "ГБУ «Другое»"]) == 1
    assert "подразделению самого органа" in capsys.readouterr().err
