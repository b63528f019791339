"""The role cache listens on the project's sessions only, not on every SQLAlchemy Session."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from storage.database import ProjectSession, create_engine, create_session_pool
from storage.models import Base, Person
from surveys import actors


def test_a_foreign_session_leaves_the_role_cache_alone() -> None:
    engine = sa.create_engine("sqlite://")
    Base.metadata.create_all(engine)
    before = actors._Generation.value
    with Session(engine) as session, session.begin():
        session.add(Person(telegram_id=1))
    assert actors._Generation.value == before
    with ProjectSession(engine) as session, session.begin():
        session.add(Person(telegram_id=2))
    assert actors._Generation.value > before


async def test_the_project_pool_makes_project_sessions() -> None:
    engine = create_engine("sqlite+aiosqlite://")
    try:
        async with create_session_pool(engine)() as session:
            assert isinstance(session.sync_session, ProjectSession)
    finally:
        await engine.dispose()
