"""The organisation's choice of regulation, as opening a case reads it.

The choice itself is made in :mod:`reengineering.regulation`; here are the two reads a new
case needs: which template it opens under, and the default due dates of the steps whose
date the officer sets (the regulation counts none).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from reengineering.cases.steps import DEFAULT_TEMPLATE
from reengineering.templates import StageTemplate
from storage.models import OrganizationSettings

__all__ = ["current_regulation", "due_defaults", "settings_row"]


async def settings_row(session: AsyncSession) -> OrganizationSettings | None:
    """The organisation's one settings row, if any."""
    return await session.scalar(
        sa.select(OrganizationSettings).order_by(OrganizationSettings.id).limit(1)
    )


async def current_regulation(session: AsyncSession) -> str:
    """The id of the template new cases open under (seed 003 until a body chooses)."""
    row = await settings_row(session)
    return row.regulation_id if row is not None and row.regulation_id else DEFAULT_TEMPLATE


async def due_defaults(session: AsyncSession, template: StageTemplate) -> dict[str, int]:
    """Working days from the ground to each officer-set due date: the body's own default
    when it chose this regulation with one, else the template's (``default_days``)."""
    row = await settings_row(session)
    chosen = row.regulation_id if row is not None else DEFAULT_TEMPLATE
    own = (row.regulation_days or {}) if row is not None and chosen == template.id else {}
    return {
        step.id: int(own.get(step.id) or step.default_days)
        for step in template.steps
        if step.default_days is not None
    }
