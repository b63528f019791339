"""The case's audit trail: every event of a case is written here, with its day and moment.

Public so that the plan, research and effect checks record their events the same way.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.cases_models import CaseEvent

__all__ = ["audit_event", "moment"]


def moment(on: date, at: datetime | None) -> datetime:
    """The audit moment: the caller's, or midnight UTC of the business day."""
    return at if at is not None else datetime.combine(on, time.min, tzinfo=UTC)


async def audit_event(
    session: AsyncSession,
    case_id: int,
    action: str,
    *,
    on: date,
    at: datetime | None,
    actor_id: int | None = None,
    step_id: str | None = None,
    **details: Any,
) -> None:
    """Add an event to the case's trail (the caller's unit of work commits it)."""
    session.add(
        CaseEvent(
            case_id=case_id,
            step_code=step_id,
            actor_id=actor_id,
            action=action,
            details={key: _jsonable(value) for key, value in details.items()},
            on_day=on,
            at=moment(on, at),
        )
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    return value
