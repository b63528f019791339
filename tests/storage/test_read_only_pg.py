"""On PostgreSQL a read-only session is a READ ONLY transaction: a stray write fails loudly."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from storage.database import SessionPool, read_only_of
from storage.delivery_models import InboxUpdate
from tests.conftest import ON_POSTGRES

pytestmark = pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL's READ ONLY transactions")


async def test_a_report_session_cannot_write(session_pool: SessionPool) -> None:
    async with read_only_of(session_pool)() as session, session.begin():
        assert await session.scalar(sa.text("SHOW transaction_read_only")) == "on"
    with pytest.raises(DBAPIError, match="read-only transaction"):
        async with read_only_of(session_pool)() as session, session.begin():
            await session.execute(sa.insert(InboxUpdate).values(update_id=1, status="done"))
    async with session_pool() as session, session.begin():  # the writers' pool is unchanged
        assert await session.scalar(sa.text("SHOW transaction_read_only")) == "off"
