"""`otklik demo` plays the whole product through the sandbox and stores every answer."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.demo import run_demo
from storage.database import create_engine

pytestmark = pytest.mark.e2e


async def test_demo_runs_and_stores_what_it_played(tmp_path: Path) -> None:
    assert await run_demo(tmp_path / "demo", fast=True) == 0
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'demo' / 'otklik-demo.db'}")
    async with engine.connect() as connection:
        counts = dict(
            (
                await connection.execute(
                    sa.text("SELECT client_type, count(*) FROM responses GROUP BY client_type")
                )
            ).all()
        )
    await engine.dispose()
    assert counts["external"] > 12 and counts["internal"] > 5  # live answers plus 12 months
    reports = tmp_path / "demo" / "reports"
    assert {p.name for p in reports.iterdir()} >= {
        "trend-SUP02.png",
        "overview.png",
        "dynamics.xlsx",
        "pain-map-SUP02.xlsx",
        "segments-SUP02.xlsx",
        "internal.xlsx",
    }
