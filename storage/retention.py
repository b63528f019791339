"""Inbox retention: a handled update leaves its id and status behind, never the update itself.

The raw update carries the sender's Telegram id, username, names and what they typed. It is
needed only until it is handled (and for the restart after a crash); idempotence needs the
update id and status alone. Handling drops it (storage.uow), and this sweep catches the rest:
rows another path finished without dropping it, and updates stuck pending so long that no
restart is going to handle them any more (given up with the reason `stuck pending`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from storage.delivery_models import InboxUpdate

# A pending update is handled within milliseconds, or by the start-up recovery after a crash
# (which runs before any job). One still pending an hour later in a running bot is stuck (its
# handler failed, or it was throttled) and is given up: its sender is not kept waiting in it.
INBOX_STUCK_AFTER = timedelta(hours=1)


@dataclass(frozen=True)
class InboxSweep:
    given_up: int
    scrubbed: int


async def sweep_inbox(
    session: AsyncSession, now: datetime, stuck_after: timedelta = INBOX_STUCK_AFTER
) -> InboxSweep:
    """Give up updates stuck pending, and drop the payload of every finished one."""
    given_up = await session.execute(
        sa.update(InboxUpdate)
        .where(InboxUpdate.status == "pending", InboxUpdate.received_at < now - stuck_after)
        .values(status="failed", payload=sa.null(), reason="stuck pending")
    )
    scrubbed = await session.execute(
        sa.update(InboxUpdate)
        .where(InboxUpdate.status != "pending", InboxUpdate.payload.is_not(None))
        .values(payload=sa.null())
    )
    return InboxSweep(
        given_up=int(given_up.rowcount or 0),  # type: ignore[attr-defined]
        scrubbed=int(scrubbed.rowcount or 0),  # type: ignore[attr-defined]
    )
