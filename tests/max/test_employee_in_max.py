"""An employee joins by an invite link opened in MAX and rates an internal service with /rate."""

from __future__ import annotations

import sqlalchemy as sa

from core.clock import utcnow
from sandbox.simulated import SimulatedUser
from storage.database import SessionPool
from storage.models import Person, Response
from surveys.invites import create_invite, invite_payload
from tests.conftest import SmallRegistry
from tests.max.conftest import Running

EMPLOYEE_MAX_ID = 4400001


async def test_an_invite_opened_in_max_makes_an_employee_who_rates_with_rate(
    running: Running, session_pool: SessionPool, registry: SmallRegistry
) -> None:
    async with session_pool() as session, session.begin():
        invite = await create_invite(session, department_code="SOC", uses=5, days=7, now=utcnow())
        payload = invite_payload(invite)
    employee = SimulatedUser(running.max, EMPLOYEE_MAX_ID, timeout=20)
    await employee.say("/rate", expect="доступна сотрудникам")
    await employee.start(payload, expect="Отдел социальных выплат")
    await employee.say("/rate")
    await employee.tap("Техническая поддержка", expect="Прежде чем начать")
    await employee.tap("Дать согласие")
    for score in ("4", "3", "5"):
        await employee.tap(score)
    await employee.say("Спасибо за быструю помощь", expect="Спасибо")
    async with session_pool() as session:
        person = await session.scalar(sa.select(Person).where(Person.max_id == EMPLOYEE_MAX_ID))
        rows = (await session.execute(sa.select(Response.rating, Response.collected_via))).all()
    assert person is not None and person.is_employee and person.telegram_id is None
    assert person.department_id == registry.department_id
    assert [tuple(row) for row in rows] == [(4, "max")]
