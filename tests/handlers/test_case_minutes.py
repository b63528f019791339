"""The working group's minutes and the plan to every executor (seed 003 §3.8), the segment
profile at R1 (§2.2), and respondents told of the changes (seed 001 §4(3)): through the real
dispatcher, database and outbox."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiogram.methods import SendDocument
from aiogram.types import BufferedInputFile, Document
from openpyxl import load_workbook

from core.channels import MAX_BASE, Channel
from handlers.callbacks import CaseCb
from reengineering.cases import complete_step
from reengineering.plan import add_plan_item, set_plan_item_status
from storage.cases_models import CaseDocument, PlanItem
from storage.database import SessionPool
from storage.delivery_models import OutboxMessage
from storage.models import (
    ActivityDirection,
    ClientType,
    Person,
    Process,
    Respondent,
    RespondentContact,
    Touchpoint,
    TouchpointKind,
)
from storage.outbox import ANSWER_KINDS, forget_chat
from tests.conftest import SmallRegistry
from tests.handlers.test_cases_ui import (
    OFFICER,
    OWNER,
    TODAY,
    People,
    answer,
    open_by_instruction,
    owner_card,
    people,
    walk,
)
from tests.hardening.test_no_trace import deliver
from tests.mocked_bot import Telegram

__all__ = ["people"]  # the fixture, shared with the cases UI tests

EXECUTORS = {610001: "Орлов Олег Олегович", 610002: "Белова Берта Борисовна"}


async def outbox(pool: SessionPool, kind: str, chat: int | None = None) -> list[OutboxMessage]:
    query = sa.select(OutboxMessage).where(OutboxMessage.kind == kind)
    if chat is not None:
        query = query.where(OutboxMessage.chat_id == chat)
    async with pool() as session:
        return list(await session.scalars(query.order_by(OutboxMessage.id)))


async def plan_with_executors(pool: SessionPool, case_id: int, officer_id: int) -> None:
    """Two measures for executors in the bot, one for a contractor who is not."""
    async with pool() as session, session.begin():
        ids = {}
        for telegram_id, name in EXECUTORS.items():
            person = Person(telegram_id=telegram_id, full_name=name, is_employee=True)
            session.add(person)
            await session.flush()
            ids[name] = person.id
        measures = [
            (1, "Обучение специалистов МФЦ", EXECUTORS[610001], ids[EXECUTORS[610001]]),
            (2, "Изменение административного регламента", EXECUTORS[610002],
             ids[EXECUTORS[610002]]),
            (3, "Доработка формы на портале", "ООО «Подрядчик»", None),
        ]  # fmt: skip
        for section, measure, name, person_id in measures:
            await add_plan_item(
                session, case_id, officer_id, section=section, measure=measure,
                due_on=date(2025, 6, 30), responsible_name=name, responsible_id=person_id,
                on=TODAY,
            )  # fmt: skip
        await complete_step(session, case_id, "D4", officer_id, on=TODAY)


async def decide_in_the_bot(telegram: Telegram, case_id: int, label: str) -> str:
    await telegram.send(OFFICER, "/cases")
    await telegram.press(OFFICER, CaseCb(c=case_id).pack())
    await telegram.tap(OFFICER, label)
    return answer(telegram, await telegram.tap(OFFICER, "Да, внести решение"))


def cells(path: str | Path) -> list[str]:
    sheet = load_workbook(path).active
    assert sheet is not None
    return [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]


async def test_minutes_drafted_and_the_approved_plan_sent_with_them_to_every_executor(
    telegram: Telegram, session_pool: SessionPool, people: People, monkeypatch: Any
) -> None:
    """§3.8: the plan «считается утвержденным протоколом заседания рабочей группы, который
    направляется … всем исполнителям мероприятий, указанным в плане мероприятий, вместе с
    приложением в виде плана мероприятий»."""
    case_id = await open_by_instruction(telegram, session_pool)
    await walk(session_pool, case_id, people.officer_id, until="D4")
    await plan_with_executors(session_pool, case_id, people.officer_id)
    said = await decide_in_the_bot(telegram, case_id, "D5: Утвердить план мероприятий")
    assert said == "Решение внесено."

    # The draft minutes: attached to D5, sent to the officer, shaded fields to complete.
    async with session_pool() as session:
        draft = await session.scalar(
            sa.select(CaseDocument).where(CaseDocument.original_name.like("Проект протокола D5%"))
        )
    assert draft is not None and draft.file_path is not None and draft.step_code == "D5"
    [sent] = await outbox(session_pool, "case_minutes", OFFICER)
    assert sent.method == "sendDocument" and sent.file_path == draft.file_path
    assert "Проект протокола заседания рабочей группы от 12.03.2025" in sent.text
    text = cells(draft.file_path)
    assert "ПРОТОКОЛ (ПРОЕКТ)" in text
    assert "заседания рабочей группы по внедрению клиентоцентричности" in text
    assert "Утвердить план мероприятий" in text  # «Решили»
    assert any("Орлов Олег Олегович" in c and "ООО «Подрядчик»" in c for c in text)
    sheet = load_workbook(draft.file_path).active
    assert sheet is not None
    chair = next(r for r in sheet.iter_rows() if r[0].value == "Председатель")
    assert chair[1].value in (None, "") and chair[1].fill.fgColor.rgb.endswith("FFF2CC")

    # The officer attaches the completed, signed minutes to D5 in the bot.
    async def fake_download(file: str, destination: Path, **_: Any) -> None:
        destination.write_bytes(b"signed minutes")

    monkeypatch.setattr(telegram.bot, "download", fake_download)
    await telegram.press(OFFICER, CaseCb(c=case_id).pack())
    upload = Document(file_id="MIN-1", file_unique_id="M1", file_name="Протокол № 7.pdf")
    # D5 is done; the minutes belong to the meeting step, attached through its button.
    await telegram.press(OFFICER, CaseCb(c=case_id, a="doc", s="D5").pack())
    await telegram.send(OFFICER, None, document=upload)
    async with session_pool() as session:
        signed = await session.scalar(
            sa.select(CaseDocument).where(CaseDocument.original_name == "Протокол № 7.pdf")
        )
    assert signed is not None and signed.step_code == "D5" and signed.file_path

    said = await decide_in_the_bot(telegram, case_id, "D5C: План мероприятий утверждён")
    assert said == "Решение внесено."
    for chat in EXECUTORS:
        documents = [m for m in await outbox(session_pool, "plan_approved", chat)
                     if m.method == "sendDocument"]  # fmt: skip
        assert len(documents) == 2, chat
        plan, minutes = documents
        assert "Приложение к протоколу: план мероприятий" in plan.text
        assert plan.file_path is not None and Path(plan.file_path).exists()
        assert any("Обучение специалистов МФЦ" in c for c in cells(plan.file_path))
        assert minutes.file_path == signed.file_path  # the officer's minutes, not the draft
        assert "утверждён план мероприятий (п. 3.8)" in minutes.text
    [unnamed] = [m for m in await outbox(session_pool, "plan_approved", OFFICER)]
    assert "нет в боте: ООО «Подрядчик»" in unnamed.text

    await deliver(telegram, session_pool)  # the real outbox sender sends the files
    for chat in EXECUTORS:
        files = [r for r in telegram.session.requests
                 if isinstance(r, SendDocument) and r.chat_id == chat]  # fmt: skip
        assert len(files) == 2


async def test_r1_offers_the_segment_profile_with_the_journey_and_channels(
    telegram: Telegram, session_pool: SessionPool, people: People, registry: SmallRegistry
) -> None:
    """§2.2: the profile «содержит сведения об основных признаках для проведения сегментации,
    особенностях клиентского пути и предпочтительных каналах взаимодействия с клиентами»."""
    async with session_pool() as session, session.begin():
        portal = await session.get(Touchpoint, registry.touchpoint_id)
        assert portal is not None
        portal.specifics = "Заявление подаётся с подтверждённой учётной записью"
    case_id = await open_by_instruction(telegram, session_pool)
    await owner_card(telegram, case_id)
    await telegram.tap(OWNER, "R1: профиль клиентского сегмента (Excel)")
    [sent] = [r for r in telegram.session.requests if isinstance(r, SendDocument)]
    assert sent.chat_id == OWNER and "п. 2.2" in (sent.caption or "")
    assert isinstance(sent.document, BufferedInputFile)
    book = load_workbook(io.BytesIO(sent.document.data))
    assert "Клиентский путь" in book.sheetnames
    journey = [[c for c in row] for row in book["Клиентский путь"].iter_rows(values_only=True)]
    assert [row[0] for row in journey].index("1. информирование") > 0, "stages listed first"
    portal_row = next(r for r in journey if r[1] == "Портал Госуслуг")
    assert portal_row[2] == "ЕПГУ"
    assert portal_row[5] == "Заявление подаётся с подтверждённой учётной записью"
    mfc_row = next(r for r in journey if r[1] == "МФЦ, окно приёма")
    assert mfc_row[2] == "МФЦ" and mfc_row[5] == "Офлайн"
    info = {row[0]: row[1] for row in book["Сведения"].iter_rows(values_only=True)}
    assert "гипотез" in str(info["Предпочтительные каналы взаимодействия"])
    await telegram.tap(OWNER, "R1: отметить выполненным")
    labels = [b.text for row in telegram.last_with_keyboard(OWNER).reply_markup.inline_keyboard  # type: ignore[union-attr]
              for b in row]  # fmt: skip
    assert not any("профиль клиентского сегмента" in label for label in labels)


@pytest.fixture
async def respondents(session_pool: SessionPool, registry: SmallRegistry) -> dict[str, int]:
    """Who gave feedback and what they agreed to: the chats the bot keeps for contact."""
    max_chat = MAX_BASE + 77
    async with session_pool() as session, session.begin():
        it = await session.scalar(
            sa.select(ActivityDirection).where(ActivityDirection.code == "internal_it")
        )
        assert it is not None
        other = Process(code="OTH01", name="Другая услуга", direction=it,
                        client_type=ClientType.EXTERNAL, stages=[])  # fmt: skip
        elsewhere = Touchpoint(code="OTH01-T", process=other, name="Сайт", channel="Сайт",
                               kind=TouchpointKind.DIGITAL, payload="t-OTH01")  # fmt: skip
        session.add_all([other, elsewhere])
        await session.flush()
        people = [
            ("asked", 4001, registry.touchpoint_id, False, True),
            ("asked_in_max", max_chat, registry.offline_touchpoint_id, False, True),
            ("may_be_asked_only", 4002, registry.touchpoint_id, True, False),
            ("asked_about_other_service", 4003, elsewhere.id, False, True),
        ]
        for key, chat, touchpoint, recontact, answer_ok in people:
            session.add(Respondent(key=key, recontact_ok=recontact, answer_ok=answer_ok))
            await session.flush()
            session.add(RespondentContact(respondent_key=key, chat_id=chat,
                                          touchpoint_id=touchpoint))  # fmt: skip
    return {key: chat for key, chat, *_ in people}


async def test_respondents_who_asked_to_hear_back_are_told_when_the_plan_is_carried_out(
    telegram: Telegram, session_pool: SessionPool, people: People, respondents: dict[str, int]
) -> None:
    """Seed 001 §4(3): «информирование внешних и внутренних клиентов об изменениях в процессе
    предоставления государственных услуг (функций) … (при необходимости)»."""
    case_id = await open_by_instruction(telegram, session_pool)
    await walk(session_pool, case_id, people.officer_id, until="D4")
    async with session_pool() as session, session.begin():
        item = await add_plan_item(
            session, case_id, people.officer_id, section=1, measure="Обучение специалистов",
            due_on=date(2025, 6, 30), responsible_name="Петров П. П.", on=TODAY,
        )  # fmt: skip
    await walk(session_pool, case_id, people.officer_id, until="IMPL")
    async with session_pool() as session, session.begin():
        await set_plan_item_status(session, item, "done", people.officer_id, on=TODAY)
        assert (await session.get(PlanItem, item)) is not None
    assert await outbox(session_pool, "service_changed") == []
    await owner_card(telegram, case_id)
    update = await telegram.tap(OWNER, "IMPL: отметить выполненным")
    assert answer(telegram, update) == "Шаг IMPL отмечен выполненным."

    told = {m.chat_id: m for m in await outbox(session_pool, "service_changed")}
    assert set(told) == {respondents["asked"], respondents["asked_in_max"]}
    message = told[respondents["asked"]]
    assert "«Назначение ежемесячной денежной выплаты», о котором вы оставляли отзыв" in message.text
    assert "план мероприятий по его улучшению выполнен" in message.text
    assert message.channel == Channel.TELEGRAM.value
    assert told[respondents["asked_in_max"]].channel == Channel.MAX.value
    assert message.person_id is None and message.lane == "bulk"
    # No record ties the respondent to the case beyond the consented chat; withdrawing the
    # consent (or /forget) takes the queued news away with the other answers.
    assert "service_changed" in ANSWER_KINDS
    async with session_pool() as session, session.begin():
        assert await forget_chat(session, respondents["asked"], ANSWER_KINDS) == 1
