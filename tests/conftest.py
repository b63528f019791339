"""Shared fixtures: settings, a migrated database per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings
from storage.database import SessionPool, create_engine, create_session_pool
from storage.migrate import upgrade_database

TEST_TOKEN = "1000001:TEST-token-for-otklik-tests-only"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token=SecretStr(TEST_TOKEN),
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'otklik.db'}",
        secret_key=SecretStr("test-secret-key"),
        officer_ids=[900001],
        data_dir=tmp_path / "var",
    )


@pytest.fixture
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(settings.database_url)
    await upgrade_database(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
def session_pool(engine: AsyncEngine) -> SessionPool:
    return create_session_pool(engine)
