"""/cases through the real dispatcher: owners work their steps, the officer opens and decides."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiogram.methods import SendDocument
from aiogram.types import Chat, Document, FSInputFile, Message, Update
from openpyxl import load_workbook

from handlers.callbacks import CaseCb, CaseOpenCb, ExtensionCb, ResearchCb
from reengineering.cases import CaseView, case_view, complete_step, open_case, record_decision
from storage.cases_models import CaseDocument, CaseExtension, ReengineeringCase
from storage.database import SessionPool
from storage.delivery_models import OutboxMessage
from storage.models import Person, Process, Questionnaire, SurveySession
from tests.conftest import SmallRegistry
from tests.handlers.conftest import MovableClock
from tests.mocked_bot import Telegram, outbox_markup

OWNER, OFFICER, EMPLOYEE, OTHER_OWNER, STRANGER = 700001, 900001, 800001, 700002, 5555
TODAY = date(2025, 3, 12)  # the clock fixture: 2025-03-12 09:30 UTC, a Wednesday
PROCESS = "Назначение ежемесячной денежной выплаты"
HAPPY: Mapping[str, str] = {
    "R7": "change",
    "R8C": "change",
    "D3": "approve",
    "D3C": "approve",
    "D5": "approve",
    "D5C": "approve",
}


@dataclass(frozen=True)
class People:
    officer_id: int
    owner_id: int


@pytest.fixture
async def people(session_pool: SessionPool, registry: SmallRegistry) -> People:
    """The officer, an employee of the owner's department, the owner of another process."""
    async with session_pool() as session, session.begin():
        owner = await session.scalar(sa.select(Person).where(Person.telegram_id == OWNER))
        assert owner is not None
        owner.full_name = "Петров Пётр Петрович"
        officer = Person(
            telegram_id=OFFICER, is_officer=True, is_employee=True, full_name="Иванова И. И."
        )
        employee = Person(
            telegram_id=EMPLOYEE, is_employee=True, department_id=registry.department_id
        )
        other = Person(telegram_id=OTHER_OWNER, is_employee=True)
        session.add_all([officer, employee, other])
        await session.flush()
        internal = await session.get(Process, registry.internal_process_id)
        assert internal is not None
        internal.owner_id = other.id
        return People(officer.id, owner.id)


def answer(telegram: Telegram, update: Update) -> str:
    assert update.callback_query is not None
    sent = telegram.session.callback_answers[update.callback_query.id]
    return sent.text or ""


async def open_by_instruction(telegram: Telegram, pool: SessionPool) -> int:
    """The officer's path: /cases → «Открыть дело по поручению» → the process → confirm."""
    await telegram.send(OFFICER, "/cases")
    assert "Открытых дел нет." in (telegram.last(OFFICER).text or "")
    await telegram.tap(OFFICER, "Открыть дело по поручению")
    await telegram.tap(OFFICER, PROCESS)
    assert "поручение" in (telegram.last(OFFICER).text or "")
    update = await telegram.tap(OFFICER, "Открыть дело")
    assert answer(telegram, update) == "Дело открыто, ответственный за процесс уведомлён."
    async with pool() as session:
        case_id = await session.scalar(sa.select(ReengineeringCase.id))
    assert case_id is not None
    return case_id


async def owner_card(telegram: Telegram, case_id: int) -> str:
    await telegram.send(OWNER, "/cases")
    await telegram.press(OWNER, CaseCb(c=case_id).pack())
    return telegram.last_with_keyboard(OWNER).text or ""


async def walk(pool: SessionPool, case_id: int, officer_id: int, until: str) -> CaseView:
    """Through the domain: do the first active step until ``until`` is active."""
    async with pool() as session, session.begin():
        while True:
            view = await case_view(session, case_id, today=TODAY)
            active = view.active_steps
            if not active or any(step.step_id == until for step in active):
                return view
            step = active[0]
            if step.options:
                await record_decision(
                    session, case_id, step.step_id, HAPPY[step.step_id], officer_id, on=TODAY
                )
            else:
                await complete_step(session, case_id, step.step_id, officer_id, on=TODAY)


async def view_of(pool: SessionPool, case_id: int) -> CaseView:
    async with pool() as session:
        return await case_view(session, case_id, today=TODAY)


async def test_officer_opens_a_case_and_the_owner_works_its_steps(
    telegram: Telegram, session_pool: SessionPool, people: People
) -> None:
    case_id = await open_by_instruction(telegram, session_pool)
    await telegram.send(OWNER, "/cases")
    listing = telegram.last(OWNER).text or ""
    assert f"№ {case_id} «{PROCESS}» — R1, R2 до 17.03.2025" in listing
    card = await owner_card(telegram, case_id)
    assert "Основание: поручение" in card
    assert "▶️ <b>R1</b>" in card and "до 17.03.2025" in card
    assert "⏳ <b>R3</b>" in card
    labels = [b.text for row in telegram.last_with_keyboard(OWNER).reply_markup.inline_keyboard  # type: ignore[union-attr]
              for b in row]  # fmt: skip
    assert "R1: отметить выполненным" in labels and "R1: попросить продлить срок" in labels
    assert not any("Продлить" in label for label in labels), "officer's buttons are not shown"

    update = await telegram.tap(OWNER, "R1: отметить выполненным")
    assert answer(telegram, update) == "Шаг R1 отмечен выполненным."
    await telegram.tap(OWNER, "R2: отметить выполненным")
    card = telegram.last_with_keyboard(OWNER).text or ""
    assert "✅ <b>R1</b>" in card and "✅ <b>R2</b>" in card and "▶️ <b>R3</b>" in card
    async with session_pool() as session:
        told = await session.scalars(
            sa.select(OutboxMessage.text).where(
                OutboxMessage.chat_id == OWNER, OutboxMessage.kind == "case_step"
            )
        )
        assert any("шаг R3" in text and "Ожидается от вас" in text for text in told)


async def test_owner_attaches_a_document_downloaded_outside_the_transaction(
    telegram: Telegram, session_pool: SessionPool, people: People, monkeypatch: Any
) -> None:
    case_id = await open_by_instruction(telegram, session_pool)
    downloads: list[tuple[str, Path]] = []

    async def fake_download(file: str, destination: Path, **_: Any) -> None:
        downloads.append((file, destination))
        destination.write_bytes(b"segment profile")

    monkeypatch.setattr(telegram.bot, "download", fake_download)
    await owner_card(telegram, case_id)
    await telegram.tap(OWNER, "R1: приложить документ")
    await telegram.send(OWNER, "просто текст")
    assert "файлом или фотографией" in (telegram.last(OWNER).text or "")
    document = Document(file_id="FILE-1", file_unique_id="U1", file_name="Профиль сегмента.xlsx")
    await telegram.send(OWNER, None, document=document)
    texts = [m.text or "" for m in telegram.session.sent_to(OWNER)]
    assert "Документ «Профиль сегмента.xlsx» приложен к шагу R1." in texts
    assert "R1 — Профиль сегмента.xlsx" in texts[-1]
    async with session_pool() as session:
        stored = (await session.scalars(sa.select(CaseDocument))).one()
    assert stored.telegram_file_id == "FILE-1" and stored.step_code == "R1"
    [(file_id, path)] = downloads
    assert file_id == "FILE-1" and stored.file_path == str(path)
    assert path.read_bytes() == b"segment profile" and f"cases/{case_id}" in path.as_posix()


async def test_extension_requested_by_the_owner_and_granted_by_the_officer(
    telegram: Telegram, session_pool: SessionPool, people: People
) -> None:
    case_id = await open_by_instruction(telegram, session_pool)
    await owner_card(telegram, case_id)
    await telegram.tap(OWNER, "R1: попросить продлить срок")
    await telegram.send(OWNER, "Данные МФЦ придут только в понедельник")
    texts = [m.text or "" for m in telegram.session.sent_to(OWNER)]
    assert "Запрос направлен ответственному по клиентоцентричности." in texts
    assert "Запрошено продление срока R1" in texts[-1]

    await telegram.send(OFFICER, "/cases")
    await telegram.press(OFFICER, CaseCb(c=case_id).pack())
    await telegram.tap(OFFICER, "Продлить срок R1 до")
    await telegram.send(OFFICER, "31.02.2025")
    assert telegram.last(OFFICER).text == (
        "Дата не распознана. Введите её в формате ДД.ММ.ГГГГ, например 12.05.2025."
    )
    await telegram.send(OFFICER, "24.03.2025")
    texts = [m.text or "" for m in telegram.session.sent_to(OFFICER)]
    assert "Срок продлён до 24.03.2025, ответственный за процесс уведомлён." in texts
    assert "▶️ <b>R1</b>" in texts[-1] and "до 24.03.2025 (срок продлён)" in texts[-1]
    view = await view_of(session_pool, case_id)
    assert view.step("R1").due_on == date(2025, 3, 24)


async def test_an_extension_to_a_day_off_offers_the_next_working_day(
    telegram: Telegram, session_pool: SessionPool, people: People
) -> None:
    """23.03.2025 is a Sunday, 08.03.2025 a holiday (Saturday anyway), 10.03 a Monday after
    it: the officer is told and offered the next working day as a button."""
    case_id = await open_by_instruction(telegram, session_pool)
    await owner_card(telegram, case_id)
    await telegram.tap(OWNER, "R1: попросить продлить срок")
    await telegram.send(OWNER, "Данные МФЦ придут только в понедельник")
    await telegram.send(OFFICER, "/cases")
    await telegram.press(OFFICER, CaseCb(c=case_id).pack())
    await telegram.tap(OFFICER, "Продлить срок R1 до")
    await telegram.send(OFFICER, "23.03.2025")
    offer = telegram.last(OFFICER)
    assert offer.text == (
        "23.03.2025 (воскресенье) — нерабочий день по производственному календарю. "
        "Ближайший рабочий день — 24.03.2025 (понедельник). Выберите его или введите "
        "другую дату."
    )
    view = await view_of(session_pool, case_id)
    assert view.step("R1").due_on != date(2025, 3, 23), "nothing is decided yet"
    await telegram.tap(OFFICER, "Назначить 24.03.2025")
    texts = [m.text or "" for m in telegram.session.sent_to(OFFICER)]
    assert "Срок продлён до 24.03.2025, ответственный за процесс уведомлён." in texts
    assert telegram.session.chats[OFFICER].messages[offer.message_id].reply_markup is None
    view = await view_of(session_pool, case_id)
    assert view.step("R1").due_on == date(2025, 3, 24)


async def test_officer_refuses_an_extension(
    telegram: Telegram, session_pool: SessionPool, people: People
) -> None:
    case_id = await open_by_instruction(telegram, session_pool)
    await owner_card(telegram, case_id)
    await telegram.tap(OWNER, "R2: попросить продлить срок")
    await telegram.send(OWNER, "Нет регламента")
    await telegram.send(OFFICER, "/cases")
    await telegram.press(OFFICER, CaseCb(c=case_id).pack())
    update = await telegram.tap(OFFICER, "Отказать в продлении R2")
    assert answer(telegram, update) == "В продлении отказано, ответственный за процесс уведомлён."
    async with session_pool() as session:
        extension = (await session.scalars(sa.select(CaseExtension))).one()
    assert extension.status == "refused"


async def test_no_change_decisions_close_the_case(
    telegram: Telegram, session_pool: SessionPool, people: People
) -> None:
    case_id = await open_by_instruction(telegram, session_pool)
    await walk(session_pool, case_id, people.officer_id, until="R7")
    await telegram.send(OFFICER, "/cases")
    await telegram.press(OFFICER, CaseCb(c=case_id).pack())
    await telegram.tap(OFFICER, "R7: Изменение процесса не требуется")
    assert "Внести решение по шагу R7" in (telegram.last(OFFICER).text or "")
    update = await telegram.tap(OFFICER, "Да, внести решение")
    assert answer(telegram, update) == "Решение внесено."
    # Seed 003: the owner sends the group's decision on (R8), the officer confirms it (R8C).
    await owner_card(telegram, case_id)
    await telegram.tap(OWNER, "R8: отметить выполненным")
    await telegram.press(OFFICER, CaseCb(c=case_id).pack())
    await telegram.tap(OFFICER, "R8C: Изменение процесса не требуется")
    update = await telegram.tap(OFFICER, "Да, внести решение")
    assert answer(telegram, update) == "Решение внесено, дело закрыто."
    card = telegram.last(OFFICER).text or ""
    assert "🏁 Завершён 12.03.2025: изменение процесса не требуется" in card
    view = await view_of(session_pool, case_id)
    assert view.status == "closed" and view.outcome == "no_change"
    assert view.step("R7").decision == "no_change"


async def test_return_for_revision_asks_for_the_revision_date(
    telegram: Telegram, session_pool: SessionPool, people: People, clock: MovableClock
) -> None:
    case_id = await open_by_instruction(telegram, session_pool)
    await walk(session_pool, case_id, people.officer_id, until="D3C")
    clock.advance(days=1)  # a return on the day of resubmission would count as resubmitted
    await telegram.send(OFFICER, "/cases")
    await telegram.press(OFFICER, CaseCb(c=case_id).pack())
    await telegram.tap(OFFICER, "D3C: Целевой порядок направлен на доработку")
    assert "срок доработки" in (telegram.last(OFFICER).text or "")
    await telegram.send(OFFICER, "к пятнице")
    assert "Дата не распознана" in (telegram.last(OFFICER).text or "")
    await telegram.send(OFFICER, "01.03.2025")
    assert "Срок доработки не может быть раньше даты решения." in (
        telegram.last(OFFICER).text or ""
    )
    await telegram.send(OFFICER, "20.03.2025")
    texts = [m.text or "" for m in telegram.session.sent_to(OFFICER)]
    assert "Решение внесено: доработка до 20.03.2025." in texts
    view = await view_of(session_pool, case_id)
    assert view.step("D2").status == "active" and view.step("D2").reopened
    assert view.step("D2").due_on == date(2025, 3, 20)
    assert "(на доработке)" in texts[-1]


async def test_crafted_callbacks_for_another_owners_case_are_refused(
    telegram: Telegram, session_pool: SessionPool, people: People
) -> None:
    case_id = await open_by_instruction(telegram, session_pool)
    await telegram.send(OTHER_OWNER, "/cases")
    assert telegram.last(OTHER_OWNER).text == "Открытых дел нет."
    crafted = [
        CaseCb(c=case_id),
        CaseCb(c=case_id, a="d", s="R1"),
        CaseCb(c=case_id, a="doc", s="R1"),
        CaseCb(c=case_id, a="ext", s="R1"),
        CaseCb(c=case_id, a="px"),
        CaseCb(c=case_id, a="rl"),
        CaseCb(c=case_id + 1),
    ]
    for data in crafted:
        update = await telegram.press(OTHER_OWNER, data.pack())
        assert answer(telegram, update) == "У вас нет доступа к этому делу.", data
    for officer_only in (CaseOpenCb(p=1, ok=True), ExtensionCb(e=1, ok=True)):
        update = await telegram.press(OTHER_OWNER, officer_only.pack())
        assert answer(telegram, update) == "У вас нет доступа к этому делу."
    view = await view_of(session_pool, case_id)
    assert view.step("R1").status == "active" and not view.documents
    await telegram.send(STRANGER, "/cases")
    assert "доступны ответственным" in (telegram.last(STRANGER).text or "")


async def test_owner_builds_the_action_plan_and_gets_it_as_xlsx(
    telegram: Telegram, session_pool: SessionPool, people: People
) -> None:
    case_id = await open_by_instruction(telegram, session_pool)
    await walk(session_pool, case_id, people.officer_id, until="D4")
    await owner_card(telegram, case_id)
    await telegram.tap(OWNER, "Добавить мероприятие в план")
    await telegram.tap(OWNER, "1. Организационные мероприятия")
    await telegram.send(OWNER, "Обучение специалистов МФЦ")
    await telegram.send(OWNER, "32.13.2025")
    assert telegram.last(OWNER).text == (
        "Дата не распознана. Введите её в формате ДД.ММ.ГГГГ, например 12.05.2025."
    )
    await telegram.send(OWNER, "01.01.2025")
    assert telegram.last(OWNER).text == "Эта дата уже прошла. Введите более позднюю дату."
    await telegram.send(OWNER, "30.06.2025")
    await telegram.send(OWNER, "Петров П. П., начальник отдела")
    await telegram.send(OWNER, "Специалисты обучены")
    await telegram.send(OWNER, "Протокол обучения")
    texts = [m.text or "" for m in telegram.session.sent_to(OWNER)]
    assert "Мероприятие 1.1 добавлено в план." in texts
    assert "План мероприятий: мероприятий — 1" in texts[-1]
    await telegram.tap(OWNER, "План мероприятий (Excel)")
    [sent] = [r for r in telegram.session.requests if isinstance(r, SendDocument)]
    assert isinstance(sent.document, FSInputFile)
    sheet = load_workbook(sent.document.path).active
    assert sheet is not None
    values = [cell for row in sheet.iter_rows(values_only=True) for cell in row if cell]
    assert "Обучение специалистов МФЦ" in values
    # the annex's one column «Образ результата и отчетный документ» holds the report document
    assert any(str(value).endswith("Протокол обучения") for value in values)

    update = await telegram.tap(OWNER, "Целевой процесс использует цифровой сервис")
    assert "шесть мероприятий прототипирования" in answer(telegram, update)
    assert "План мероприятий: мероприятий — 7" in (telegram.last_with_keyboard(OWNER).text or "")
    await telegram.send(OFFICER, "/cases")
    await telegram.press(OFFICER, CaseCb(c=case_id).pack())
    await telegram.tap(OFFICER, "Дата заседания рабочей группы")
    await telegram.send(OFFICER, "27.03.2025")
    texts = [m.text or "" for m in telegram.session.sent_to(OFFICER)]
    assert "Дата заседания внесена: 27.03.2025." in texts


async def test_a_research_survey_that_would_invite_nobody_asks_first(
    telegram: Telegram, session_pool: SessionPool, people: People
) -> None:
    from storage.models import Department

    async with session_pool() as session, session.begin():
        session.add(Department(code="EMPTY", name="Архивный отдел"))
    case_id = await open_by_instruction(telegram, session_pool)
    await owner_card(telegram, case_id)
    await telegram.tap(OWNER, "R1: отметить выполненным")
    await telegram.tap(OWNER, "Запустить опрос клиентов и исполнителей (R3)")
    await telegram.tap(OWNER, "✅ Отдел социальных выплат")  # off
    await telegram.tap(OWNER, "Архивный отдел")  # on: nobody works there
    await telegram.tap(OWNER, "Запустить опрос")
    assert (telegram.last_with_keyboard(OWNER).text or "").startswith("Сейчас пригласить некого")
    async with session_pool() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(
            OutboxMessage.kind == "research_invite")) == 0  # fmt: skip
    update = await telegram.tap(OWNER, "Запустить всё равно")
    assert answer(telegram, update).startswith("Опрос запущен: приглашены сотрудники — 0")


async def test_research_survey_from_the_case_and_the_r4_workbook(
    telegram: Telegram, session_pool: SessionPool, people: People
) -> None:
    case_id = await open_by_instruction(telegram, session_pool)
    await owner_card(telegram, case_id)
    await telegram.tap(OWNER, "R1: отметить выполненным")
    await telegram.tap(OWNER, "Запустить опрос клиентов и исполнителей (R3)")
    assert telegram.button(OWNER, "✅ Отдел социальных выплат"), "own department preselected"
    update = await telegram.tap(OWNER, "Запустить опрос")
    assert answer(telegram, update).startswith("Опрос запущен: приглашены сотрудники — 2")
    async with session_pool() as session:
        invites = list(
            await session.scalars(
                sa.select(OutboxMessage).where(OutboxMessage.kind == "research_invite")
            )
        )
    assert EMPLOYEE in {invite.chat_id for invite in invites}

    invitation = Message(
        message_id=1,
        date=datetime.now(UTC),
        chat=Chat(id=EMPLOYEE, type="private"),
        text=next(invite.text for invite in invites if invite.chat_id == EMPLOYEE),
    )
    [own] = [invite for invite in invites if invite.chat_id == EMPLOYEE]
    button = outbox_markup(own)["inline_keyboard"][0][0]["callback_data"]  # type: ignore[index]
    assert ResearchCb.unpack(button).c == case_id
    await telegram.press(EMPLOYEE, button, invitation)
    assert "Прежде чем начать" in (telegram.last(EMPLOYEE).text or "")
    await telegram.tap(EMPLOYEE, "Согласен, продолжить")
    async with session_pool() as session:
        code = await session.scalar(
            sa.select(Questionnaire.code).join(
                SurveySession, SurveySession.questionnaire_id == Questionnaire.id
            )
        )
    assert code == "research_performer"
    assert "Вопрос 1" in (telegram.last(EMPLOYEE).text or "")

    await owner_card(telegram, case_id)
    update = await telegram.tap(OWNER, "Завершить опрос и сформировать перечни (R4)")
    assert answer(telegram, update) == "Опрос завершён."
    [sent] = [r for r in telegram.session.requests if isinstance(r, SendDocument)]
    assert isinstance(sent.document, FSInputFile)
    assert "Сложности по этапам" in load_workbook(sent.document.path).sheetnames


async def test_officer_sees_every_case_overdue_first(
    telegram: Telegram, session_pool: SessionPool, registry: SmallRegistry, people: People
) -> None:
    fresh = await open_by_instruction(telegram, session_pool)
    async with session_pool() as session, session.begin():
        opened = await open_case(
            session, registry.internal_process_id, "instruction",
            arose_on=date(2025, 3, 3), actor_id=people.officer_id,
        )  # fmt: skip
    await telegram.send(OFFICER, "/cases")
    keyboard = telegram.last(OFFICER).reply_markup
    assert keyboard is not None
    labels = [row[0].text for row in keyboard.inline_keyboard]  # type: ignore[union-attr]
    assert labels[0].startswith(f"⚠️ № {opened.case_id}") and labels[1].startswith(f"▶️ № {fresh}")
    assert labels[-1] == "➕ Открыть дело по поручению"
    await telegram.send(OWNER, "/cases")
    assert f"№ {opened.case_id}" not in (telegram.last(OWNER).text or "")


async def test_only_the_invited_answer_the_research_survey(
    telegram: Telegram, session_pool: SessionPool, people: People
) -> None:
    """Issue #13, point 13: ``rs:<case id>`` (case ids are sequential) let anyone answer the
    R3 survey, and their answers reached the owner's R4 workbook. Invitations now carry a
    token, bound to the invitee's chat; forged, guessed or borrowed buttons are refused."""
    import secrets

    case_id = await open_by_instruction(telegram, session_pool)
    await owner_card(telegram, case_id)
    await telegram.tap(OWNER, "R1: отметить выполненным")
    await telegram.tap(OWNER, "Запустить опрос клиентов и исполнителей (R3)")
    await telegram.tap(OWNER, "Запустить опрос")
    async with session_pool() as session:
        invites = list(
            await session.scalars(
                sa.select(OutboxMessage).where(OutboxMessage.kind == "research_invite")
            )
        )
    assert invites, "the launch queued invitations"
    buttons = {
        invite.chat_id: outbox_markup(invite)["inline_keyboard"][0][0]["callback_data"]  # type: ignore[index]
        for invite in invites
    }
    stranger_menu = Message(
        message_id=1, date=datetime.now(UTC), chat=Chat(id=STRANGER, type="private")
    )

    async def stranger_presses(data: str) -> None:
        update = await telegram.press(STRANGER, data, stranger_menu)
        said = answer(telegram, update)
        assert "приглаш" in said or "больше не действует" in said, (data, said)
        async with session_pool() as session:
            assert await session.scalar(sa.select(sa.func.count(SurveySession.id))) == 0, data
        texts = [m.text or "" for m in telegram.session.sent_to(STRANGER)]
        assert all("Прежде чем начать" not in text for text in texts), data

    await stranger_presses(f"rs:{case_id}")  # the old, guessable button
    await stranger_presses(f"rk:{case_id}:1")  # the old consent button: straight to questions
    employees_button = buttons[EMPLOYEE]
    assert len(employees_button.encode()) <= 64
    assert len(set(buttons.values())) == len(buttons), "one token per invitee"
    token = employees_button.rsplit(":", 1)[-1]
    await stranger_presses(f"rs:{case_id}:{secrets.token_urlsafe(16)}")  # a guessed token
    await stranger_presses(employees_button)  # another person's invitation
    await stranger_presses(f"rk:{case_id}:{token}:1")  # consent with another person's token

    invitation = Message(
        message_id=2, date=datetime.now(UTC), chat=Chat(id=EMPLOYEE, type="private"), text="…"
    )
    await telegram.press(EMPLOYEE, employees_button, invitation)
    await telegram.tap(EMPLOYEE, "Согласен, продолжить")
    assert "Вопрос 1" in (telegram.last(EMPLOYEE).text or "")
    async with session_pool() as session:
        assert await session.scalar(sa.select(sa.func.count(SurveySession.id))) == 1
