"""Codes as people type them on the command line: refused with the known ones listed.

Seed clause (issue #17, point 11): «unknown codes are refused with the known ones listed».
Every lookup by a typed code (a department, a process, a touchpoint, a questionnaire) names
what exists instead, so nobody has to open the registry to find the right spelling.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

SHOWN_CODES = 60  # the example registry's 56 touchpoints fit; a larger registry ends in «…»


def code_list(codes: Sequence[str], limit: int = SHOWN_CODES) -> str:
    """`A, B, C`, cut with «…» past `limit`; «—» when there is none."""
    if not codes:
        return "—"
    return ", ".join(codes[:limit]) + (", …" if len(codes) > limit else "")


async def known_codes(
    session: AsyncSession, column: InstrumentedAttribute[str], *criteria: Any
) -> str:
    """The codes stored in `column` (rows meeting `criteria`), sorted, as one line."""
    query = sa.select(column).where(*criteria).distinct().order_by(column)
    return code_list(list((await session.scalars(query)).all()))
