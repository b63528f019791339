"""Employee invite links: each registers its opener as an employee of one department."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from core.wording import WordedError, __
from storage.addresses import new_person_at, person_at
from storage.models import Department, Invite, Person

INVITE_PREFIX = "inv-"


class InviteError(WordedError, ValueError):
    """A request the officer must correct: a msgid and its parameters (`core.wording`)."""


async def subordinate_institution(session: AsyncSession, code: str, name: str) -> Department:
    """The department row standing for a subordinate institution, created on first use.

    Seed 004 §2: «внутренний клиент – … сотрудник учреждения, подведомственного
    министерству»: its staff join by an invite as the body's own employees do. A code the
    registry already gives to one of the body's departments is refused.
    """
    department = await session.scalar(sa.select(Department).where(Department.code == code))
    if department is None:
        department = Department(code=code, name=name, subordinate=True)
        session.add(department)
        await session.flush()
    elif not department.subordinate:
        raise InviteError(
            __("The code «{code}» belongs to a department of the body, not to an institution."),
            code=code,
        )
    return department


async def create_invite(
    session: AsyncSession,
    *,
    department_code: str,
    uses: int,
    days: int,
    now: datetime,
    institution: str | None = None,
) -> Invite:
    """An invite for one department, or for a subordinate institution named `institution`."""
    if uses < 1 or uses > 10_000:
        raise InviteError(__("The number of uses must be from 1 to 10,000."))
    if days < 1 or days > 365:
        raise InviteError(__("The validity period must be from 1 to 365 days."))
    if institution:
        await subordinate_institution(session, department_code, institution)
    department = await session.scalar(
        sa.select(Department).where(Department.code == department_code)
    )
    if department is None:
        raise InviteError(
            __("No department with the code «{code}» is in the registry."), code=department_code
        )
    invite = Invite(
        token=secrets.token_urlsafe(12),
        department_id=department.id,
        max_uses=uses,
        used=0,
        expires_at=now + timedelta(days=days),
        created_at=now,
    )
    session.add(invite)
    await session.flush()
    return invite


def invite_payload(invite: Invite) -> str:
    return INVITE_PREFIX + invite.token


class Redemption(StrEnum):
    REGISTERED = "registered"
    ALREADY = "already"
    EXPIRED = "expired"
    USED_UP = "used_up"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class RedeemResult:
    status: Redemption
    department_name: str = ""
    subordinate: bool = False  # the department is a subordinate institution (seed 004 §2)


async def redeem_invite(
    session: AsyncSession, *, token: str, telegram_id: int, now: datetime
) -> RedeemResult:
    invite = await session.scalar(sa.select(Invite).where(Invite.token == token))
    if invite is None:
        return RedeemResult(Redemption.UNKNOWN)
    department = await session.get(Department, invite.department_id)
    name = department.name if department else ""
    subordinate = bool(department and department.subordinate)
    person = await session.scalar(sa.select(Person).where(person_at(telegram_id)))
    if person is not None and person.is_employee and person.department_id == invite.department_id:
        return RedeemResult(Redemption.ALREADY, name)
    if invite.expires_at <= now:
        return RedeemResult(Redemption.EXPIRED, name)
    claimed = await session.execute(
        sa.update(Invite)
        .where(Invite.id == invite.id, Invite.used < Invite.max_uses)
        .values(used=Invite.used + 1)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return RedeemResult(Redemption.USED_UP, name)
    if person is None:
        person = new_person_at(telegram_id)
        person.created_at = now
        session.add(person)
    person.is_employee = True
    person.department_id = invite.department_id
    await session.flush()
    return RedeemResult(Redemption.REGISTERED, name, subordinate)


async def departments(session: AsyncSession) -> list[Department]:
    return list((await session.scalars(sa.select(Department).order_by(Department.name))).all())
