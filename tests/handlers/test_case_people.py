"""The people seed 003 names around a case, through the real dispatcher and database.

The department head signs the conclusions (§2.2.6, §3.3) and hears of an exclusion (§2.2.5);
an instruction gives one case to another owner (§1.4).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from core.calendar import default_calendar
from core.settings import Settings
from handlers.callbacks import CaseCb, SignCb
from jobs.cases import queue_deadline_reminders
from reengineering.cases import case_view, complete_step, record_decision
from reengineering.signing import sign_conclusion
from registry.heads import set_department_head
from storage.cases_models import (
    CaseDocument,
    CaseSignature,
    ReengineeringCase,
    SignatureStatus,
)
from storage.database import SessionPool
from storage.delivery_models import OutboxMessage
from storage.models import Person, Process
from tests.conftest import SmallRegistry
from tests.handlers.test_cases_ui import (
    EMPLOYEE,
    HAPPY,
    OFFICER,
    OWNER,
    TODAY,
    People,
    answer,
    open_by_instruction,
    owner_card,
    people,
    view_of,
)
from tests.hardening.test_no_trace import deliver
from tests.mocked_bot import Telegram, outbox_markup

__all__ = ["people"]  # the fixture, shared with the cases UI tests

HEAD = 600001


@pytest.fixture
async def head(session_pool: SessionPool, registry: SmallRegistry, people: People) -> int:
    """The head of the owner's department, recorded as the registry/people CLI records it."""
    async with session_pool() as session, session.begin():
        head = Person(telegram_id=HEAD, full_name="Сидорова Анна Викторовна", is_employee=True)
        session.add(head)
        await session.flush()
        assert await set_department_head(session, "SOC", head) is not None
        return head.id


async def walk(pool: SessionPool, case_id: int, officer_id: int, until: str, folder: Path) -> None:
    """Through the domain, the head signing what waits for them, until ``until`` is active."""
    async with pool() as session, session.begin():
        while True:
            view = await case_view(session, case_id, today=TODAY)
            if any(step.step_id == until for step in view.active_steps):
                return
            step = view.active_steps[0]
            if step.options:
                option = HAPPY[step.step_id]
                done = await record_decision(
                    session, case_id, step.step_id, option, officer_id, on=TODAY
                )
            else:
                done = await complete_step(session, case_id, step.step_id, officer_id, on=TODAY)
            if done.signing:
                pending = await session.scalar(
                    sa.select(CaseSignature).where(CaseSignature.status == "pending")
                )
                assert pending is not None and pending.head_id is not None
                await sign_conclusion(session, pending.id, pending.head_id, on=TODAY, folder=folder)


async def outbox(pool: SessionPool, chat: int, kind: str) -> list[OutboxMessage]:
    async with pool() as session:
        rows = await session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.chat_id == chat, OutboxMessage.kind == kind)
            .order_by(OutboxMessage.id)
        )
        return list(rows)


def buttons(message: OutboxMessage) -> dict[str, str]:
    markup = outbox_markup(message)
    assert markup is not None
    return {b["text"]: b["callback_data"] for row in markup["inline_keyboard"] for b in row}


async def test_head_signs_the_research_conclusion_and_it_carries_their_name(
    telegram: Telegram, session_pool: SessionPool, people: People, head: int
) -> None:
    """§2.2.6: «Заключение подписывается руководителем структурного подразделения … и вместе
    с документами передается ответственному по клиентоцентричности»."""
    case_id = await open_by_instruction(telegram, session_pool)
    async with session_pool() as session, session.begin():
        for step_id, option in (("R1", None), ("R2", None), ("R3", None), ("R4", None),
                                ("R5", None), ("R6", None), ("R7", "change")):  # fmt: skip
            if option:
                await record_decision(
                    session, case_id, step_id, option, people.officer_id, on=TODAY
                )
            else:
                await complete_step(session, case_id, step_id, people.officer_id, on=TODAY)
    await owner_card(telegram, case_id)
    update = await telegram.tap(OWNER, "R8: отметить выполненным")
    assert answer(telegram, update) == (
        "Заключение направлено на подпись руководителю структурного подразделения."
    )
    assert (await view_of(session_pool, case_id)).step("R8").status == "active"
    card = telegram.last_with_keyboard(OWNER).text or ""
    assert "R8: заключение на подписи у руководителя структурного подразделения" in card
    assert "(Сидорова Анна Викторовна)" in card
    [request] = await outbox(session_pool, HEAD, "case_signature")
    assert "ожидает вашей подписи как руководителя структурного подразделения" in request.text
    assert "п. 2.2.6" in request.text
    keys = buttons(request)
    assert set(keys) == {"Подписать", "Вернуть на доработку"}

    await deliver(telegram, session_pool)  # the real outbox sender, to the recording bot
    shown = telegram.last_with_keyboard(HEAD)
    assert "ожидает вашей подписи" in (shown.text or "")
    # Role-checked: the owner and the officer may not sign for the head.
    for intruder in (OWNER, OFFICER):
        update = await telegram.press(intruder, keys["Подписать"], message=shown)
        assert "подписывает руководитель структурного подразделения" in answer(telegram, update)
    update = await telegram.press(OWNER, CaseCb(c=case_id, a="d", s="R8").pack())
    assert "ожидает подписи: Сидорова Анна Викторовна" in answer(telegram, update)

    update = await telegram.tap(HEAD, "Подписать")
    assert answer(telegram, update) == (
        "Подписано; заключение направлено ответственному по клиентоцентричности."
    )
    view = await view_of(session_pool, case_id)
    assert view.step("R8").status == "done" and view.step("R8C").status == "active"
    async with session_pool() as session:
        document = await session.scalar(
            sa.select(CaseDocument).where(CaseDocument.original_name.like("Заключение R8%"))
        )
        signature = await session.scalar(sa.select(CaseSignature))
    assert document is not None and document.file_path is not None
    assert signature is not None and signature.status == SignatureStatus.SIGNED
    sheet = load_workbook(document.file_path).active
    assert sheet is not None
    cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert "ЗАКЛЮЧЕНИЕ" in cells
    assert "Руководитель структурного подразделения «Отдел социальных выплат»" in cells
    assert any("Сидорова Анна Викторовна" in c for c in cells)
    assert "Необходимо изменение процесса" in cells  # the working group's decision, R7
    [sent] = await outbox(session_pool, OFFICER, "case_conclusion")
    assert sent.method == "sendDocument" and sent.file_path == document.file_path
    update = await telegram.press(HEAD, keys["Подписать"], message=shown)
    assert answer(telegram, update) == "Это заключение больше не ожидает подписи."


async def test_head_returns_the_target_model_conclusion_then_signs_it(
    telegram: Telegram, session_pool: SessionPool, people: People, head: int, settings: Settings
) -> None:
    """§3.3: the conclusion on the target model is the head's to sign before the officer
    decides; returned, it comes back to whoever submitted it with the reason."""
    case_id = await open_by_instruction(telegram, session_pool)
    await walk(session_pool, case_id, people.officer_id, "D3", settings.data_dir)
    await telegram.send(OFFICER, "/cases")
    await telegram.press(OFFICER, CaseCb(c=case_id).pack())
    await telegram.tap(OFFICER, "D3: Согласовать целевой порядок осуществления процесса")
    update = await telegram.tap(OFFICER, "Да, внести решение")
    assert answer(telegram, update) == (
        "Заключение направлено на подпись руководителю структурного подразделения."
    )
    [request] = [m for m in await outbox(session_pool, HEAD, "case_signature") if "D3" in m.text]
    assert "п. 3.3" in request.text and "Согласовать целевой порядок" in request.text
    await deliver(telegram, session_pool)
    await telegram.press(HEAD, buttons(request)["Вернуть на доработку"])
    assert "Что нужно доработать?" in (telegram.last(HEAD).text or "")
    await telegram.send(HEAD, "Не описаны нормативные барьеры")
    assert telegram.last(HEAD).text == (
        "Заключение возвращено на доработку; отправитель уведомлён."
    )
    [returned] = await outbox(session_pool, OFFICER, "case_signature")
    assert "возвращено на доработку" in returned.text
    assert "Не описаны нормативные барьеры" in returned.text
    view = await view_of(session_pool, case_id)
    assert view.step("D3").status == "active" and view.step("D3C").status == "pending"

    await telegram.press(OFFICER, CaseCb(c=case_id).pack())
    await telegram.tap(OFFICER, "D3: Согласовать целевой порядок осуществления процесса")
    await telegram.tap(OFFICER, "Да, внести решение")
    second = [m for m in await outbox(session_pool, HEAD, "case_signature") if "D3" in m.text]
    assert len(second) == 2
    await telegram.press(HEAD, buttons(second[-1])["Подписать"], message=telegram.last(HEAD))
    view = await view_of(session_pool, case_id)
    assert view.step("D3").decision == "approve" and view.step("D3C").status == "active"


async def test_head_is_told_when_the_working_group_decides_to_exclude(
    telegram: Telegram, session_pool: SessionPool, people: People, head: int
) -> None:
    """§2.2.5: «В случае если было принято решение о необходимости исключения процесса,
    решение также направляется руководителю соответствующего структурного подразделения»."""
    case_id = await open_by_instruction(telegram, session_pool)
    async with session_pool() as session, session.begin():
        for step_id in ("R1", "R2", "R3", "R4", "R5", "R6"):
            await complete_step(session, case_id, step_id, people.officer_id, on=TODAY)
    assert await outbox(session_pool, HEAD, "case_exclusion") == []
    await telegram.send(OFFICER, "/cases")
    await telegram.press(OFFICER, CaseCb(c=case_id).pack())
    await telegram.tap(OFFICER, "R7: Процесс необходимо исключить из Реестра процессов")
    await telegram.tap(OFFICER, "Да, внести решение")
    [notice] = await outbox(session_pool, HEAD, "case_exclusion")
    assert "исключения процесса из Реестра процессов (п. 2.2.5 Порядка)" in notice.text
    assert "руководителю структурного подразделения" in notice.text
    assert await outbox(session_pool, OWNER, "case_exclusion") == []
    # The working group's decision comes with its draft minutes for the officer (§3.8).
    [minutes] = await outbox(session_pool, OFFICER, "case_minutes")
    assert minutes.method == "sendDocument" and minutes.file_path is not None
    assert "Процесс необходимо исключить из Реестра процессов" in " ".join(
        str(c.value)
        for row in load_workbook(minutes.file_path).active.iter_rows()
        for c in row  # type: ignore[union-attr]
    )


async def test_without_a_recorded_head_the_step_completes_at_once(
    telegram: Telegram, session_pool: SessionPool, people: People
) -> None:
    """A department with no head recorded has nobody to wait for."""
    case_id = await open_by_instruction(telegram, session_pool)
    async with session_pool() as session, session.begin():
        for step_id, option in (("R1", None), ("R2", None), ("R3", None), ("R4", None),
                                ("R5", None), ("R6", None), ("R7", "exclude")):  # fmt: skip
            if option:
                await record_decision(
                    session, case_id, step_id, option, people.officer_id, on=TODAY
                )
            else:
                await complete_step(session, case_id, step_id, people.officer_id, on=TODAY)
    await owner_card(telegram, case_id)
    update = await telegram.tap(OWNER, "R8: отметить выполненным")
    assert answer(telegram, update) == "Шаг R8 отмечен выполненным."
    async with session_pool() as session:
        assert await session.scalar(sa.select(sa.func.count(CaseSignature.id))) == 0
        kinds = set(await session.scalars(sa.select(OutboxMessage.kind)))
    assert "case_exclusion" not in kinds and "case_signature" not in kinds


async def test_an_instruction_gives_one_case_to_another_owner(
    telegram: Telegram, session_pool: SessionPool, people: People, registry: SmallRegistry
) -> None:
    """§1.4: the owner of the registry does the reengineering «если поручением … не указано
    иного»: the case's owner acts and hears its notices; the process owner keeps the rest."""
    async with session_pool() as session, session.begin():
        employee = await session.scalar(sa.select(Person).where(Person.telegram_id == EMPLOYEE))
        assert employee is not None
        employee.full_name = "Козлова Мария Сергеевна"
        employee_id = employee.id
    case_id = await open_by_instruction(telegram, session_pool)
    await owner_card(telegram, case_id)
    update = await telegram.press(OWNER, CaseCb(c=case_id, a="ow", x="1").pack())
    assert answer(telegram, update) == (
        "Другого ответственного по делу назначает ответственный по клиентоцентричности."
    )
    await telegram.send(OFFICER, "/cases")
    await telegram.press(OFFICER, CaseCb(c=case_id).pack())
    await telegram.tap(OFFICER, "Передать дело другому ответственному")
    assert "Ответственный за процесс в реестре не меняется" in (telegram.last(OFFICER).text or "")
    update = await telegram.tap(OFFICER, "Козлова Мария Сергеевна")
    assert answer(telegram, update) == (
        "Дело передано другому ответственному; уведомления отправлены обоим."
    )
    async with session_pool() as session:
        case = await session.get(ReengineeringCase, case_id)
        process = await session.get(Process, registry.process_id)
    assert case is not None and case.owner_id == employee_id
    assert process is not None and process.owner_id != employee_id  # the registry is unchanged
    [given] = await outbox(session_pool, EMPLOYEE, "case_owner")
    assert "Поручением вам передан реинжиниринг" in given.text
    [was] = await outbox(session_pool, OWNER, "case_owner")
    assert "Козлова Мария Сергеевна" in was.text and "по-прежнему отвечаете вы" in was.text
    assert any("шаг R1" in m.text for m in await outbox(session_pool, EMPLOYEE, "case_step"))

    # The new owner works the case; the process owner no longer sees it.
    await telegram.send(EMPLOYEE, "/cases")
    assert f"№ {case_id}" in (telegram.last(EMPLOYEE).text or "")
    await telegram.press(EMPLOYEE, CaseCb(c=case_id).pack())
    update = await telegram.tap(EMPLOYEE, "R1: отметить выполненным")
    assert answer(telegram, update) == "Шаг R1 отмечен выполненным."
    update = await telegram.press(OWNER, CaseCb(c=case_id, a="d", s="R2").pack())
    assert answer(telegram, update) == "У вас нет доступа к этому делу."
    await telegram.send(OWNER, "/cases")
    assert f"№ {case_id}" not in (telegram.last(OWNER).text or "")

    # Reminders of the case go to its owner, not to the process owner.
    calendar = default_calendar()
    async with session_pool() as session, session.begin():
        due = (await case_view(session, case_id, today=TODAY)).step("R2").due_on
        assert due == date(2025, 3, 19)  # 5 working days after the ground (§2.2.1)
        await queue_deadline_reminders(session, calendar.add_working_days(due, 1), calendar)
    [overdue] = await outbox(session_pool, EMPLOYEE, "case_overdue")
    assert "R2" in overdue.text
    assert await outbox(session_pool, OWNER, "case_overdue") == []
    [copy] = await outbox(session_pool, OFFICER, "case_overdue_copy")
    assert "Козлова Мария Сергеевна" in copy.text

    # The process owner stays the owner of the process's next case.
    async with session_pool() as session, session.begin():
        for step_id, option in (("R2", None), ("R3", None), ("R4", None), ("R5", None),
                                ("R6", None), ("R7", "no_change"), ("R8", None),
                                ("R8C", "no_change")):  # fmt: skip
            if option:
                await record_decision(
                    session, case_id, step_id, option, people.officer_id, on=TODAY
                )
            else:
                await complete_step(session, case_id, step_id, people.officer_id, on=TODAY)
    second = await open_by_instruction_again(telegram, session_pool)
    assert second != case_id
    await telegram.send(OWNER, "/cases")
    assert f"№ {second}" in (telegram.last(OWNER).text or "")
    await telegram.send(EMPLOYEE, "/cases")
    assert f"№ {second}" not in (telegram.last(EMPLOYEE).text or "")


async def open_by_instruction_again(telegram: Telegram, pool: SessionPool) -> int:
    await telegram.send(OFFICER, "/cases")
    await telegram.tap(OFFICER, "Открыть дело по поручению")
    await telegram.tap(OFFICER, "Назначение ежемесячной денежной выплаты")
    await telegram.tap(OFFICER, "Открыть дело")
    async with pool() as session:
        newest = await session.scalar(sa.select(sa.func.max(ReengineeringCase.id)))
    assert newest is not None
    return int(newest)


def test_sign_callback_fits_telegram() -> None:
    assert len(SignCb(g=2**31, ok=False).pack()) <= 64


async def test_the_plan_conclusion_is_signed_and_the_decision_reaches_the_head(
    telegram: Telegram, session_pool: SessionPool, people: People, head: int, settings: Settings
) -> None:
    """§3.7: «Заключение подписывается руководителем структурного подразделения … и вместе с
    планом мероприятий передается ответственному по клиентоцентричности, который … доводит
    его до руководителя структурного подразделения и ответственного за процесс»."""
    case_id = await open_by_instruction(telegram, session_pool)
    await walk(session_pool, case_id, people.officer_id, "D5", settings.data_dir)
    await telegram.send(OFFICER, "/cases")
    await telegram.press(OFFICER, CaseCb(c=case_id).pack())
    await telegram.tap(OFFICER, "D5: Утвердить план мероприятий")
    update = await telegram.tap(OFFICER, "Да, внести решение")
    assert answer(telegram, update) == (
        "Заключение направлено на подпись руководителю структурного подразделения."
    )
    [request] = [m for m in await outbox(session_pool, HEAD, "case_signature") if "D5" in m.text]
    assert "п. 3.7" in request.text
    await deliver(telegram, session_pool)
    await telegram.press(HEAD, buttons(request)["Подписать"], message=telegram.last(HEAD))
    assert (await view_of(session_pool, case_id)).step("D5C").status == "active"
    assert await outbox(session_pool, HEAD, "case_decision") == []
    await telegram.press(OFFICER, CaseCb(c=case_id).pack())
    await telegram.tap(OFFICER, "D5C: План мероприятий утверждён")
    await telegram.tap(OFFICER, "Да, внести решение")
    [told] = await outbox(session_pool, HEAD, "case_decision")
    assert "шаг D5C (п. 3.7): План мероприятий утверждён" in told.text
    assert "доводится до вас как до руководителя структурного подразделения" in told.text
