"""The same code on a real throwaway PostgreSQL: migrations to head and a full questionnaire."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from pydantic import SecretStr

from bot.factory import create_dispatcher
from core.settings import Settings
from storage.base import Base
from storage.database import create_engine, create_session_pool
from storage.migrate import alembic_config, current_revision, upgrade_database
from storage.models import Response
from surveys.catalogue import sync_questionnaires
from tests.conftest import TEST_TOKEN, build_small_registry
from tests.mocked_bot import Telegram, make_bot


async def test_postgres_migrates_to_head_and_stores_a_questionnaire(
    postgres_database: str, tmp_path: object
) -> None:
    engine = create_engine(postgres_database)
    replicas = [create_engine(postgres_database) for _ in range(3)]
    # replicas starting together: one migrates, the others wait on the lock and find head
    await asyncio.gather(*(upgrade_database(replica) for replica in replicas))
    for replica in replicas:
        await replica.dispose()
    await upgrade_database(engine)  # idempotent

    def diff(connection: sa.Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with engine.connect() as connection:
        assert await connection.run_sync(diff) == []
    head = ScriptDirectory.from_config(alembic_config(postgres_database)).get_current_head()
    assert await current_revision(engine) == head

    pool = create_session_pool(engine)
    await sync_questionnaires(pool)
    await build_small_registry(pool)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token=SecretStr(TEST_TOKEN),
        database_url=postgres_database,
        secret_key=SecretStr("pg-secret"),
    )
    bot, session = make_bot()
    telegram = Telegram(bot, create_dispatcher(settings, pool), session)
    await telegram.send(4242, "/start t-SUP01-EPGU")
    await telegram.tap(4242, "Дать согласие")
    await telegram.tap(4242, "3")
    await telegram.tap(4242, "Очередь")
    await telegram.tap(4242, "Готово")
    await telegram.tap(4242, "подача заявления")
    await telegram.tap(4242, "Средняя")
    await telegram.send(4242, "Комментарий")
    await telegram.tap(4242, "Гражданин")
    async with pool() as db:
        stored = (await db.scalars(sa.select(Response))).all()
    assert len(stored) == 1 and stored[0].rating == 3
    await engine.dispose()
