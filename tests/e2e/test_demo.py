"""`otklik demo` plays the whole product through the sandbox and stores every answer."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.demo import run_demo
from storage.database import create_engine

pytestmark = pytest.mark.e2e


async def test_demo_runs_and_stores_what_it_played(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run_demo(tmp_path / "demo", fast=True) == 0
    said = capsys.readouterr().out
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'demo' / 'otklik-demo.db'}")
    async with engine.connect() as connection:
        counts = dict(
            (
                await connection.execute(
                    sa.text("SELECT client_type, count(*) FROM responses GROUP BY client_type")
                )
            ).all()
        )
        web = (
            await connection.execute(
                sa.text(
                    "SELECT count(*), count(DISTINCT respondent_key), count(segment), "
                    "count(touchpoint_id) FROM responses "
                    "WHERE collected_via = 'web' AND client_type = 'external'"
                )
            )
        ).one()
        consented = await connection.scalar(
            sa.text(
                "SELECT count(*) FROM respondents WHERE consent_at IS NOT NULL AND key IN "
                "(SELECT respondent_key FROM responses WHERE collected_via = 'web')"
            )
        )
        maxed = (
            await connection.execute(
                sa.text(
                    "SELECT count(*), count(DISTINCT respondent_key), count(segment) "
                    "FROM responses WHERE collected_via = 'max' AND client_type = 'external'"
                )
            )
        ).one()
        loop = (
            await connection.execute(
                sa.text(
                    "SELECT kind, channel FROM outbox WHERE kind IN "
                    "('low_score_alert', 'feedback_answer') ORDER BY id"
                )
            )
        ).all()
        owner_in_max = await connection.scalar(
            sa.text("SELECT count(*) FROM people WHERE max_id IS NOT NULL AND telegram_id IS NULL")
        )
    await engine.dispose()
    # Citizens answered through the landing page and the form, each in a browser of its own.
    assert web[0] > 0 and tuple(web) == (web[0],) * 4 and consented == web[0]
    assert re.search(r"Веб-форма запущена: http://127\.0\.0\.1:\d+", said), said
    assert (
        f"Граждане ответили на сайте (страница QR-кода, затем форма) — граждан: {web[0]}," in said
    )
    stored = re.search(r"ответов граждан в этом прогоне, Веб-форма:\s+(\d+) из (\d+)", said)
    assert stored and stored.groups() == (str(web[0]), str(web[0])), said
    assert re.search(rf"по каналам сбора:\s+Telegram \d+ · MAX 4 · Веб-форма {web[0]}\n", said), (
        said
    )
    # Citizens answered in MAX from its deep links, each a respondent of its own.
    assert maxed[0] == 4 and tuple(maxed) == (4, 4, 4), maxed
    stored_max = re.search(r"ответов граждан в этом прогоне, MAX:\s+(\d+) из (\d+)", said)
    assert stored_max and stored_max.groups() == ("4", "4"), said
    assert "Граждане ответили в MAX (ссылка бота из QR-кода) — граждан: 4," in said
    # A process owner known by a MAX id only got a Telegram citizen's alert in MAX, and the
    # answer given there was relayed to the citizen in Telegram.
    assert owner_in_max == 1
    assert ("low_score_alert", "max") in loop and ("feedback_answer", "telegram") in loop, loop
    assert "Ответственный ответил в MAX; бот передал ответ гражданину в Telegram" in said
    assert re.search(r"ответов граждан в этом прогоне, Telegram:\s+13 из 13", said), said
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
