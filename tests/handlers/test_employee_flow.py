"""Employees join by invite links and rate internal services; everyone can /forget."""

from __future__ import annotations

import sqlalchemy as sa

from storage.database import SessionPool
from storage.models import Person, Respondent, Response
from surveys.invites import create_invite, invite_payload
from tests.conftest import SmallRegistry
from tests.handlers.conftest import MovableClock
from tests.handlers.helpers import responses
from tests.handlers.test_citizen_flow import consent_and_rate
from tests.mocked_bot import Telegram

EMPLOYEE = 8001


async def new_invite(pool: SessionPool, clock: MovableClock, uses: int = 2, days: int = 7) -> str:
    async with pool() as session, session.begin():
        invite = await create_invite(
            session, department_code="SOC", uses=uses, days=days, now=clock()
        )
        return invite_payload(invite)


async def test_valid_invite_registers_an_employee_who_rates_with_rate(
    telegram: Telegram, session_pool: SessionPool, clock: MovableClock, registry: SmallRegistry
) -> None:
    await telegram.send(EMPLOYEE, "/rate")
    assert "доступна сотрудникам" in (telegram.last(EMPLOYEE).text or "")
    payload = await new_invite(session_pool, clock)
    await telegram.send(EMPLOYEE, f"/start {payload}")
    assert "Отдел социальных выплат" in (telegram.last(EMPLOYEE).text or "")
    await telegram.send(EMPLOYEE, "/rate")
    await telegram.tap(EMPLOYEE, "Техническая поддержка")
    await telegram.tap(EMPLOYEE, "Согласен")
    await telegram.tap(EMPLOYEE, "4")
    await telegram.tap(EMPLOYEE, "3")
    await telegram.tap(EMPLOYEE, "5")
    await telegram.send(EMPLOYEE, "Спасибо за быструю помощь")
    assert "Спасибо" in (telegram.last(EMPLOYEE).text or "")
    [response] = await responses(session_pool)
    assert (
        response.client_type == "internal" and response.process_id == registry.internal_process_id
    )
    assert response.department_id == registry.department_id and response.rating == 4
    assert {a.question: a.value_int for a in response.answers if a.value_int} == {
        "satisfaction": 4,
        "speed": 3,
        "clarity": 5,
    }


async def test_expired_invite_is_refused(
    telegram: Telegram, session_pool: SessionPool, clock: MovableClock
) -> None:
    payload = await new_invite(session_pool, clock, days=1)
    clock.advance(days=2)
    await telegram.send(EMPLOYEE, f"/start {payload}")
    assert "истёк" in (telegram.last(EMPLOYEE).text or "")
    async with session_pool() as session:
        assert await session.scalar(sa.select(Person).where(Person.telegram_id == EMPLOYEE)) is None


async def test_used_up_invite_is_refused(
    telegram: Telegram, session_pool: SessionPool, clock: MovableClock
) -> None:
    payload = await new_invite(session_pool, clock, uses=1)
    await telegram.send(EMPLOYEE, f"/start {payload}")
    await telegram.send(EMPLOYEE + 1, f"/start {payload}")
    assert "максимальное число раз" in (telegram.last(EMPLOYEE + 1).text or "")
    await telegram.send(EMPLOYEE + 1, "/start inv-doesnotexist")
    assert "недействительна" in (telegram.last(EMPLOYEE + 1).text or "")


async def test_forged_internal_service_is_refused_to_non_employees(
    telegram: Telegram, registry: SmallRegistry
) -> None:
    from handlers.callbacks import RateCb

    update = await telegram.press(
        EMPLOYEE,
        RateCb(p=registry.internal_process_id).pack(),
        message=(await _any_bot_message(telegram)),
    )
    answer = telegram.session.callback_answers[update.callback_query.id]  # type: ignore[union-attr]
    assert answer.text and "только сотрудникам" in answer.text


async def _any_bot_message(telegram: Telegram):  # type: ignore[no-untyped-def]
    await telegram.send(EMPLOYEE, "/start")
    return telegram.last(EMPLOYEE)


async def test_forget_unlinks_answers_and_withdraws_consents(
    telegram: Telegram, session_pool: SessionPool
) -> None:
    user = 5050
    await consent_and_rate(telegram, user, "5")
    await telegram.send(user, "Всё хорошо")
    await telegram.tap(user, "Пенсионер")
    await telegram.tap(user, "ответ на мой отзыв")
    async with session_pool() as session:
        [key_before] = (await session.scalars(sa.select(Response.respondent_key))).all()
    await telegram.send(user, "/forget")
    await telegram.tap(user, "Да, удалить")
    assert "1" in (telegram.last(user).text or "")
    async with session_pool() as session:
        assert (await session.scalars(sa.select(Respondent))).all() == []
        [key_after] = (await session.scalars(sa.select(Response.respondent_key))).all()
        contacts = (
            await session.execute(sa.text("SELECT count(*) FROM respondent_contacts"))
        ).scalar()
    assert key_after != key_before and key_after.startswith("forgotten-") and contacts == 0
    # coming back starts afresh: consent again, segment asked again, old answer not linked
    await telegram.send(user, "/start t-SUP01-MFC")
    assert "Прежде чем начать" in (telegram.last(user).text or "")
