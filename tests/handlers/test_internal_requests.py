"""Internal requests through the real dispatcher, handlers and database (seed 004 §2–3, §9–10).

An employee sends /request, chooses a service and the form, writes; the owner of the internal
service answers or refuses with reasons; the job reminds the owner before the deadline and
tells the officer when it passes; /late lists what is late.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from core.i18n import translator
from core.settings import Settings
from handlers.callbacks import RequestCb
from inquiries.service import Refusal, close
from jobs.inquiries import inquiries_followup
from storage.database import SessionPool
from storage.delivery_models import OutboxMessage
from storage.inquiries_models import InternalRequest, RequestStatus
from storage.models import Department, Person, Process
from surveys.invites import create_invite, invite_payload
from tests.conftest import SmallRegistry
from tests.handlers.conftest import MovableClock
from tests.mocked_bot import Telegram, outbox_markup

EMPLOYEE, COLLEAGUE, IT_OWNER, OTHER_OWNER, OFFICER = 8101, 8102, 700500, 700001, 900001
REQUEST_TEXT = "Не печатает принтер в кабинете 214"


@dataclass(frozen=True)
class Desk:
    it_owner_id: int
    employee_id: int


@pytest.fixture
async def desk(telegram: Telegram, session_pool: SessionPool, registry: SmallRegistry) -> Desk:
    """The IT service gets an owner; an employee, a colleague and the officer are known."""
    async with session_pool() as session, session.begin():
        owner = Person(
            telegram_id=IT_OWNER, full_name="Петрова А. В.", is_employee=True, department_id=None
        )
        employee = Person(
            telegram_id=EMPLOYEE,
            full_name="Иванов И. И.",
            is_employee=True,
            department_id=registry.department_id,
        )
        session.add_all([owner, employee, Person(telegram_id=COLLEAGUE, is_employee=True)])
        session.add(Person(telegram_id=OFFICER, is_officer=True))
        await session.flush()
        process = await session.get(Process, registry.internal_process_id)
        assert process is not None
        process.owner_id = owner.id
        found = Desk(owner.id, employee.id)
    for user in (IT_OWNER, OTHER_OWNER):
        await telegram.send(user, "/start")  # a chat to press buttons in
    return found


async def outbox(pool: SessionPool, kind: str | None = None) -> list[OutboxMessage]:
    query = sa.select(OutboxMessage).order_by(OutboxMessage.id)
    if kind is not None:
        query = query.where(OutboxMessage.kind == kind)
    async with pool() as session:
        return list((await session.scalars(query)).all())


async def requests(pool: SessionPool) -> list[InternalRequest]:
    async with pool() as session:
        query = sa.select(InternalRequest).order_by(InternalRequest.id)
        return list((await session.scalars(query)).all())


async def send_request(telegram: Telegram, user: int, form: str, text: str = REQUEST_TEXT) -> None:
    await telegram.send(user, "/request")
    await telegram.tap(user, "Техническая поддержка")
    await telegram.tap(user, form)
    await telegram.send(user, text)


def buttons(message: OutboxMessage) -> list[str]:
    markup = outbox_markup(message)
    assert markup is not None
    return [b["callback_data"] for row in markup["inline_keyboard"] for b in row]  # type: ignore[index]


async def test_written_request_is_acknowledged_and_put_before_the_owner(
    telegram: Telegram, session_pool: SessionPool, desk: Desk, clock: MovableClock
) -> None:
    """§10(1) «направляется уведомление о факте получения»; §10(3) «не позднее 30 дней»."""
    await send_request(telegram, EMPLOYEE, "Письменно")
    acknowledgement = telegram.last(EMPLOYEE).text or ""
    [request] = await requests(session_pool)
    assert request.author_id == desk.employee_id and request.form == "written"
    assert request.text == REQUEST_TEXT and request.acknowledged_at == clock()
    assert request.received_on == date(2025, 3, 12) and request.due_on == date(2025, 4, 11)
    assert f"№ {request.id}" in acknowledgement and "12.03.2025" in acknowledgement
    assert "не позднее 11.04.2025" in acknowledgement
    [to_owner] = await outbox(session_pool, "internal_request")
    assert to_owner.chat_id == IT_OWNER and REQUEST_TEXT in to_owner.text
    assert "Иванов И. И., Отдел социальных выплат" in to_owner.text
    answer, refuse = buttons(to_owner)
    assert RequestCb.unpack(answer).x == "answer" and RequestCb.unpack(refuse).x == "refuse"

    await telegram.press(IT_OWNER, answer)
    await telegram.send(IT_OWNER, "Картридж заменён, принтер печатает.")
    assert "отправлен сотруднику" in (telegram.last(IT_OWNER).text or "")
    [reply] = await outbox(session_pool, "internal_request_answer")
    assert reply.chat_id == EMPLOYEE and "Картридж заменён" in reply.text
    [closed] = await requests(session_pool)
    assert closed.status == RequestStatus.ANSWERED and closed.closed_by == desk.it_owner_id

    await telegram.send(EMPLOYEE, "/myrequests")
    assert f"№ {request.id}" in (telegram.last(EMPLOYEE).text or "")
    await telegram.send(COLLEAGUE, "/myrequests")
    assert f"№ {request.id}" not in (telegram.last(COLLEAGUE).text or "")


async def test_written_deadline_moves_off_a_holiday_to_the_next_working_day(
    telegram: Telegram, session_pool: SessionPool, desk: Desk, clock: MovableClock
) -> None:
    """30 calendar days from 09.04.2025 end on 09.05.2025, Victory Day; 10–11 May are the
    weekend, so the answer is due on Monday 12.05.2025 (art. 193 of the Civil Code)."""
    clock.now = datetime(2025, 4, 9, 8, 0, tzinfo=UTC)
    await send_request(telegram, EMPLOYEE, "Письменно")
    [request] = await requests(session_pool)
    assert request.due_on == date(2025, 5, 12)
    assert "не позднее 12.05.2025" in (telegram.last(EMPLOYEE).text or "")


async def test_oral_request_is_due_by_the_end_of_the_working_day(
    telegram: Telegram, session_pool: SessionPool, desk: Desk, clock: MovableClock
) -> None:
    """§9(3–4): «в момент обращения» or «до конца рабочего дня»; on a Saturday, Monday's."""
    await send_request(telegram, EMPLOYEE, "Устно")
    assert "до конца рабочего дня 12.03.2025" in (telegram.last(EMPLOYEE).text or "")
    clock.now = datetime(2025, 3, 15, 9, 0, tzinfo=UTC)  # a Saturday
    await send_request(telegram, EMPLOYEE, "Устно", "Нужна консультация по авансовому отчёту")
    today, saturday = await requests(session_pool)
    assert today.due_on == date(2025, 3, 12) and saturday.due_on == date(2025, 3, 17)
    to_owner = (await outbox(session_pool, "internal_request"))[0]
    done = buttons(to_owner)[0]
    assert RequestCb.unpack(done).x == "done"
    await telegram.press(IT_OWNER, done)
    [told] = await outbox(session_pool, "internal_request_answer")
    assert told.chat_id == EMPLOYEE and "устный ответ" in told.text


async def test_refusal_without_reasons_is_not_taken(
    telegram: Telegram, session_pool: SessionPool, desk: Desk, settings: Settings
) -> None:
    """§3 «обоснование причин, по которым то или иное обращение не может быть рассмотрено»."""
    await send_request(telegram, EMPLOYEE, "Письменно")
    [request] = await requests(session_pool)
    await telegram.press(IT_OWNER, RequestCb(r=request.id, x="refuse").pack())
    await telegram.send(IT_OWNER, "   \u200b ")
    assert "должен содержать причины" in (telegram.last(IT_OWNER).text or "")
    assert (await requests(session_pool))[0].status == RequestStatus.OPEN
    async with session_pool() as session, session.begin():
        problem = await close(
            session,
            request.id,
            owned=frozenset({request.process_id}),
            by=desk.it_owner_id,
            outcome=RequestStatus.REFUSED,
            text=None,
            now=datetime.now(UTC),
            _=translator("ru"),
        )
    assert problem is Refusal.EMPTY
    await telegram.send(IT_OWNER, "Ремонт мебели ведёт хозяйственный отдел, а не ИТ.")
    [refused] = await requests(session_pool)
    assert refused.status == RequestStatus.REFUSED and refused.answer
    [told] = await outbox(session_pool, "internal_request_answer")
    assert told.chat_id == EMPLOYEE and "Причины" in told.text and "хозяйственный" in told.text


async def test_only_the_owner_of_the_service_answers_and_only_employees_ask(
    telegram: Telegram, session_pool: SessionPool, desk: Desk
) -> None:
    await send_request(telegram, EMPLOYEE, "Письменно")
    [request] = await requests(session_pool)
    update = await telegram.press(OTHER_OWNER, RequestCb(r=request.id, x="answer").pack())
    answer = telegram.session.callback_answers[update.callback_query.id]  # type: ignore[union-attr]
    assert answer.text and "владелец сервиса" in answer.text
    await telegram.send(OTHER_OWNER, "Попытка ответить за чужой сервис")
    assert (await requests(session_pool))[0].status == RequestStatus.OPEN
    await telegram.send(987654, "/request")
    assert "для сотрудников" in (telegram.last(987654).text or "")


async def test_owner_is_reminded_and_the_officer_sees_what_is_late(
    telegram: Telegram,
    session_pool: SessionPool,
    desk: Desk,
    clock: MovableClock,
    settings: Settings,
) -> None:
    """Due 11.04.2025: reminded three working days before (08.04), late from 12.04."""
    await send_request(telegram, EMPLOYEE, "Письменно")
    clock.now = datetime(2025, 4, 7, 9, 0, tzinfo=UTC)
    await inquiries_followup(session_pool, settings, clock)
    assert await outbox(session_pool, "internal_request_reminder") == []
    clock.now = datetime(2025, 4, 8, 9, 0, tzinfo=UTC)
    await inquiries_followup(session_pool, settings, clock)
    await inquiries_followup(session_pool, settings, clock)  # a second run queues nothing
    [reminder] = await outbox(session_pool, "internal_request_reminder")
    assert reminder.chat_id == IT_OWNER and "11.04.2025" in reminder.text
    assert len(buttons(reminder)) == 2
    await telegram.send(OFFICER, "/late")
    assert "не просрочено" in (telegram.last(OFFICER).text or "")

    clock.now = datetime(2025, 4, 14, 9, 0, tzinfo=UTC)
    await inquiries_followup(session_pool, settings, clock)
    await inquiries_followup(session_pool, settings, clock)
    [late] = await outbox(session_pool, "internal_request_late")
    assert late.chat_id == OFFICER and REQUEST_TEXT not in late.text
    await telegram.send(OFFICER, "/late")
    listing = telegram.last(OFFICER).text or ""
    assert "Техническая поддержка" in listing and "11.04.2025" in listing
    assert "3 дн." in listing and "Петрова А. В." in listing
    await telegram.send(EMPLOYEE, "/late")
    assert "Просроченные" not in (telegram.last(EMPLOYEE).text or "")


async def test_staff_of_a_subordinate_institution_are_internal_clients(
    telegram: Telegram, session_pool: SessionPool, desk: Desk, clock: MovableClock
) -> None:
    """§2 «внутренний клиент – … сотрудник учреждения, подведомственного министерству»."""
    async with session_pool() as session, session.begin():
        invite = await create_invite(
            session,
            department_code="KCSON",
            uses=5,
            days=7,
            now=clock(),
            institution="ГБУ «Комплексный центр социального обслуживания»",
        )
        payload = invite_payload(invite)
    await telegram.send(8200, f"/start {payload}")
    assert "подведомственного учреждения" in (telegram.last(8200).text or "")
    async with session_pool() as session:
        department = await session.scalar(sa.select(Department).where(Department.code == "KCSON"))
        assert department is not None and department.subordinate
    await send_request(telegram, 8200, "Письменно", "Нужен доступ к общей папке")
    [to_owner] = await outbox(session_pool, "internal_request")
    assert "Комплексный центр" in to_owner.text


async def test_oral_request_is_recalled_in_the_afternoon_and_late_the_next_day(
    telegram: Telegram,
    session_pool: SessionPool,
    desk: Desk,
    clock: MovableClock,
    settings: Settings,
) -> None:
    """§9(4) «до конца рабочего дня»: a reminder at 14:00 of that day, late from the next."""
    await send_request(telegram, EMPLOYEE, "Устно")  # 12:30 in Moscow
    await inquiries_followup(session_pool, settings, clock)
    assert await outbox(session_pool, "internal_request_reminder") == []
    clock.now = datetime(2025, 3, 12, 11, 30, tzinfo=UTC)  # 14:30 in Moscow
    await inquiries_followup(session_pool, settings, clock)
    [reminder] = await outbox(session_pool, "internal_request_reminder")
    assert reminder.chat_id == IT_OWNER and RequestCb.unpack(buttons(reminder)[0]).x == "done"
    assert await outbox(session_pool, "internal_request_late") == []
    clock.now = datetime(2025, 3, 13, 6, 0, tzinfo=UTC)
    await inquiries_followup(session_pool, settings, clock)
    [late] = await outbox(session_pool, "internal_request_late")
    assert late.chat_id == OFFICER and "12.03.2025" in late.text
