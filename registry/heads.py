"""Department heads and finding a person as the registry names them.

Seed 003 names the head of the department (руководитель структурного подразделения) the one
who signs the conclusions of a case (§2.2.6, §3.3, §3.7) and hears of an exclusion (§2.2.5);
a department records its head so the bot knows whom to ask.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from core.channels import MAX_BASE
from storage.models import Department, Person

__all__ = ["department_head", "find_person", "set_department_head"]

_USERNAME = re.compile(r"@?([A-Za-z][A-Za-z0-9_]{4,31})")


async def find_person(session: AsyncSession, ref: str) -> Person | None:
    """A person by what the registry writes: a Telegram id, ``max:123456``, or @username."""
    text = ref.replace(" ", "")
    number = text[4:] if text[:4].casefold() == "max:" else ""
    if text.isdigit() and 0 < int(text) < MAX_BASE:
        query = sa.select(Person).where(Person.telegram_id == int(text))
    elif number.isdigit() and 0 < int(number) < MAX_BASE:
        query = sa.select(Person).where(Person.max_id == int(number))
    elif match := _USERNAME.fullmatch(text):
        query = sa.select(Person).where(sa.func.lower(Person.username) == match.group(1).lower())
    else:
        return None
    return await session.scalar(query.order_by(Person.id).limit(1))


async def set_department_head(
    session: AsyncSession, department_code: str, head: Person | None
) -> Department | None:
    """Record (or clear, with None) the head of a department; None when there is no such one."""
    department = await session.scalar(
        sa.select(Department).where(Department.code == department_code)
    )
    if department is None:
        return None
    department.head_id = head.id if head is not None else None
    if head is not None:
        head.is_employee = True
    await session.flush()
    return department


async def department_head(session: AsyncSession, department_id: int | None) -> Person | None:
    """The head of a department, or None (no department, or no head recorded)."""
    if department_id is None:
        return None
    department = await session.get(Department, department_id)
    if department is None or department.head_id is None:
        return None
    return await session.get(Person, department.head_id)
