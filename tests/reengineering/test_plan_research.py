"""The action plan (items, §3.5 prototypes, the annex workbook) and the R3/R4 research."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncSession

from core.calendar import WorkingCalendar
from core.i18n import translator
from outreach.loop import LoopPolicy
from reengineering.cases import CaseError, case_view, plan_annex
from reengineering.plan import (
    PROTOTYPE_MEASURES,
    add_plan_item,
    create_plan,
    plan_items,
    remove_plan_item,
    update_plan_item,
)
from reengineering.plan_xlsx import HEADERS, table_row, write_action_plan_xlsx
from reengineering.research import (
    RESEARCH_CLIENT,
    RESEARCH_PERFORMER,
    case_dir,
    launch_research,
    research_invitation,
    research_questionnaire_for,
)
from reengineering.research_close import close_research
from storage.cases_models import CaseStep, ResearchInvitation
from storage.database import SessionPool
from storage.delivery_models import OutboxLane, OutboxMessage, OutboxStatus
from storage.models import (
    Department,
    OrganizationSettings,
    Person,
    Process,
    Respondent,
    RespondentContact,
    Touchpoint,
    TouchpointKind,
)
from surveys.catalogue import sync_questionnaires
from surveys.service import (
    Outcome,
    StepResult,
    SurveyPolicy,
    answer_text,
    press_button,
    start_survey,
)
from tests.documents import (
    ORGANIZATION,
    assert_head,
    assert_print,
    column_a,
    signatures,
)
from tests.mocked_bot import outbox_markup
from tests.reengineering.test_cases import (
    OFFICER_CHAT,
    OWNER_CHAT,
    World,
    drive,
    make_world,
    open_instruction,
)

AROSE = date(2025, 6, 2)
CAL = WorkingCalendar()


@pytest.fixture
async def world(session_pool: SessionPool) -> World:
    return await make_world(session_pool)


def _started(step: CaseStep) -> date:
    return step.started_on or AROSE


# ---------------------------------------------------------------------------------- plan


async def test_plan_is_formed_only_from_step_d4(session_pool: SessionPool, world: World) -> None:
    """A crafted «digital service» or «add a measure» button before D4 changes nothing."""
    async with session_pool() as session, session.begin():
        case_id = await open_instruction(session, world, arose_on=AROSE)
        view = await drive(session, world, case_id, until="D3", when=_started)
        assert view.step("D3").status == "active"
        with pytest.raises(CaseError, match="на шаге D4"):
            await create_plan(session, case_id, world.owner_id, uses_digital_service=True, on=AROSE)
        with pytest.raises(CaseError, match="на шаге D4"):
            await add_plan_item(
                session, case_id, world.officer_id, section=1, measure="Мера",
                due_on=date(2025, 7, 15), responsible_name="Петров П. П.", on=AROSE,
            )  # fmt: skip
        assert await plan_items(session, case_id) == []
        await drive(session, world, case_id, until="D4", when=_started)
        assert len(
            await create_plan(session, case_id, world.owner_id, uses_digital_service=True, on=AROSE)
        ) == len(PROTOTYPE_MEASURES)


async def test_action_plan_workbook(
    session_pool: SessionPool, world: World, tmp_path: Path
) -> None:
    async with session_pool() as session, session.begin():
        case_id = await open_instruction(session, world, arose_on=AROSE)
        view = await drive(session, world, case_id, until="D4", when=_started)
        assert view.step("D4").status == "active"

        views = await create_plan(
            session, case_id, world.owner_id, uses_digital_service=True, on=date(2025, 6, 2)
        )
        assert [v.number for v in views] == [f"3.{n}" for n in range(1, 7)]
        assert [v.prototype_step for v in views] == [1, 2, 3, 4, 5, 6]
        assert views[0].measure.startswith("Разработка верхнеуровневого прототипа")
        assert views[4].measure.startswith("Тестирование детализированного прототипа")
        assert [v.due_on for v in views] == [
            CAL.add_working_days(date(2025, 6, 2), m.after_days) for m in PROTOTYPE_MEASURES
        ]
        assert views[0].due_on == date(2025, 6, 25)  # 15 wd, 12–13.06 off
        assert all(v.responsible_name == "Петров Пётр Петрович" for v in views)
        # Idempotent: the six measures are added once.
        again = await create_plan(
            session, case_id, world.owner_id, uses_digital_service=True, on=date(2025, 6, 3)
        )
        assert len(again) == 6

        first = await add_plan_item(
            session, case_id, world.owner_id, section=1,
            measure="Утверждение порядка взаимодействия с клиентом в точках взаимодействия",
            due_on=date(2025, 7, 15), responsible_name="Петров П. П.",
            expected_result="Порядок взаимодействия утверждён",
            report_document="Приказ об утверждении порядка", on=date(2025, 6, 3),
        )  # fmt: skip
        await add_plan_item(
            session, case_id, world.owner_id, section=1, measure="Обучение специалистов МФЦ",
            due_on=date(2025, 8, 29), responsible_name="Сидорова А. А.",
            expected_result="Специалисты обучены", report_document="Список обученных",
            on=date(2025, 6, 3),
        )  # fmt: skip
        await add_plan_item(
            session, case_id, world.owner_id, section=2,
            measure="Изменение административного регламента",
            due_on=date(2025, 10, 31), responsible_name="Юридический отдел",
            expected_result="Регламент без лишних документов",
            report_document="Постановление Администрации", on=date(2025, 6, 3),
        )  # fmt: skip
        draft = await add_plan_item(
            session, case_id, world.owner_id, section=4, measure="Черновик",
            due_on=date(2025, 7, 1), responsible_name="—", on=date(2025, 6, 3),
        )  # fmt: skip
        await update_plan_item(
            session, first, world.owner_id, on=date(2025, 6, 4), due_on=date(2025, 7, 16)
        )
        await remove_plan_item(session, draft, world.owner_id, on=date(2025, 6, 4))
        await add_plan_item(
            session, case_id, world.owner_id, section=4,
            measure="Информирование клиентов об изменениях", due_on=date(2025, 11, 14),
            responsible_name="Пресс-служба", expected_result="Клиенты проинформированы",
            report_document="Публикации на сайте", on=date(2025, 6, 4),
        )  # fmt: skip
        stranger = Person(telegram_id=555, is_employee=True)
        session.add(stranger)
        await session.flush()
        with pytest.raises(CaseError, match="формирует ответственный за процесс"):
            await add_plan_item(
                session, case_id, stranger.id, section=1, measure="x", due_on=date(2025, 7, 1),
                responsible_name="x", on=date(2025, 6, 4),
            )  # fmt: skip
        with pytest.raises(CaseError, match="от 1 до 4"):
            await add_plan_item(
                session, case_id, world.owner_id, section=5, measure="x",
                due_on=date(2025, 7, 1), responsible_name="x", on=date(2025, 6, 4),
            )  # fmt: skip

        items = await plan_items(session, case_id)
        assert [i.number for i in items] == [
            "1.1", "1.2", "2.1", "3.1", "3.2", "3.3", "3.4", "3.5", "3.6", "4.1",
        ]  # fmt: skip
        # The implementation deadline is the plan's last date.
        await drive(session, world, case_id, until="IMPL", when=_started, meeting=date(2025, 6, 5))
        view = await case_view(session, case_id)
        assert view.step("IMPL").due_on == date(2025, 11, 14)
        # After approval only the officer changes the plan (a working-group decision).
        with pytest.raises(CaseError, match="по решению рабочей группы"):
            await update_plan_item(
                session, first, world.owner_id, on=date(2025, 6, 6), due_on=date(2025, 7, 20)
            )
        session.add(OrganizationSettings(name=ORGANIZATION))
        out = await write_action_plan_xlsx(
            session, case_id, tmp_path / "plan" / "plan.xlsx", on=date(2025, 6, 6)
        )
        d5_done = view.step("D5").done_on

    assert out.exists()
    sheet = load_workbook(out).active
    assert sheet is not None
    # Seed 003 §3.4: «…формирует план мероприятий… согласно шаблону, представленному в
    # Приложении к настоящему Порядку» — the annex's form, cell by cell.
    assert sheet["A1"].value == (
        "Приложение к Порядку проведения реинжиниринга процессов в администрации муниципального "
        "«город Десногорск» Смоленской области и ее структурных подразделениях"
    )
    # §3.8: «…он считается утвержденным протоколом заседания рабочей группы».
    assert sheet["A2"].value == (
        "УТВЕРЖДЁН протоколом заседания рабочей группы по внедрению клиентоцентричности "
        f"от {d5_done:%d.%m.%Y}"
    )
    assert sheet["A3"].value == ORGANIZATION
    assert sheet["A4"].value == (
        "ТИПОВОЙ ПЛАН МЕРОПРИЯТИЙ ПО РЕАЛИЗАЦИИ ЦЕЛЕВОГО ПОРЯДКА ОСУЩЕСТВЛЕНИЯ ПРОЦЕССА"
    )
    assert sheet["A5"].value == "Процесс: Назначение ежемесячной денежной выплаты"
    assert str(sheet["A6"].value).startswith(f"Реинжиниринг № {case_id}; основание: поручение")
    header = table_row(plan_annex("seed003"))
    assert header == 10
    assert_head(
        sheet, title=str(sheet["A4"].value), period="– 14.11.2025",
        prepared_on=date(2025, 6, 6), table_row=header,
    )  # fmt: skip
    assert [sheet.cell(row=header, column=c).value for c in range(1, 7)] == [
        "№ п/п",
        "Мероприятие",
        "Дата окончания",
        "Ответственный",
        "Образ результата и отчетный документ",
        None,
    ]
    assert list(HEADERS) == [sheet.cell(row=header, column=c).value for c in range(1, 6)]
    assert [sheet.cell(row=header + 1, column=c).value for c in range(1, 7)] == [
        1, 2, 3, 4, 5, None,
    ]  # fmt: skip

    rows = [
        [sheet.cell(row=r, column=c).value for c in range(1, 6)]
        for r in range(header + 2, sheet.max_row + 1)
        if str(sheet.cell(row=r, column=1).value or "")[:1].isdigit()
    ]
    assert [row[0] for row in rows] == [
        "1.", "1.1.", "1.2.", "2.", "2.1.", "3.", "3.1.", "3.2.", "3.3.", "3.4.", "3.5.", "3.6.",
        "4.", "4.1.",
    ]  # fmt: skip
    sections = {row[0]: row[1] for row in rows if row[0].count(".") == 1}
    assert sections == {
        "1.": "Организационные мероприятия",
        "2.": "Внесение изменений в правовые акты",
        "3.": "Доработка информационных систем и развитие инфраструктуры",
        "4.": "Иные мероприятия",
    }
    assert rows[1] == [
        "1.1.",
        "Утверждение порядка взаимодействия с клиентом в точках взаимодействия",
        datetime(2025, 7, 16),
        "Петров П. П.",
        "Порядок взаимодействия утверждён\nПриказ об утверждении порядка",
    ]
    assert rows[4][1:3] == ["Изменение административного регламента", datetime(2025, 10, 31)]
    assert rows[6][2] == datetime(2025, 6, 25)
    # Section rows span the table; dates are ДД.ММ.ГГГГ; cells have borders and wrap.
    merged = {str(rng) for rng in sheet.merged_cells.ranges}
    first_section = header + 2
    assert f"B{first_section}:E{first_section}" in merged
    date_cell = sheet.cell(row=first_section + 1, column=3)
    assert date_cell.number_format == "DD.MM.YYYY"
    assert date_cell.border.left.style == "thin"
    assert sheet.cell(row=first_section + 1, column=2).alignment.wrap_text
    assert sheet.column_dimensions["B"].width == 55
    # §3.4: the owner forms the plan; §3.7: the head of the department signs the conclusion
    # that goes with it. Printed: A4 landscape, one page wide, the header on every page.
    assert signatures(sheet, header + 2) == [
        ("Ответственный за процесс", "Петров Пётр Петрович"),
        ("Руководитель структурного подразделения: Отдел социальных выплат", "________________"),
    ]
    assert_print(sheet, (header, header + 1), landscape=True)


# ------------------------------------------------------------------------------ research

POLICY = SurveyPolicy(
    tz=ZoneInfo("Europe/Moscow"), after_client_response=LoopPolicy().after_response
)
LAUNCH = datetime(2025, 6, 9, 8, 0, tzinfo=UTC)


async def _answer(
    session: AsyncSession,
    key: str,
    code: str,
    process: Process,
    steps: list[str],
    now: datetime,
    department_id: int | None = None,
) -> StepResult:
    """Go through a research questionnaire; "t:" answers are typed, others are buttons."""
    result = await start_survey(
        session, POLICY, key, questionnaire_code=code, now=now, process_id=process.id,
        department_id=department_id,
    )  # fmt: skip
    for step in steps:
        assert result.outcome == Outcome.QUESTION, result
        if step.startswith("t:"):
            result = await answer_text(session, POLICY, key, text=step[2:], now=now)
        else:
            assert result.view is not None
            result = await press_button(
                session, POLICY, key, session_id=result.view.session_id,
                version=result.view.version, raw=step, now=now,
            )  # fmt: skip
    assert result.outcome == Outcome.COMPLETED, result
    return result


async def test_research_survey_from_launch_to_r4(
    session_pool: SessionPool, world: World, tmp_path: Path
) -> None:
    await sync_questionnaires(session_pool)
    async with session_pool() as session, session.begin():
        registry = world.registry
        other_department = Department(code="IT", name="Отдел информатизации")
        session.add(other_department)
        await session.flush()
        performer = Person(
            telegram_id=800001, is_employee=True, department_id=registry.department_id
        )
        no_telegram = Person(
            username="ghost", is_employee=True, department_id=registry.department_id
        )
        unreachable = Person(
            telegram_id=800002, is_employee=True, department_id=registry.department_id,
            unreachable=True,
        )  # fmt: skip
        elsewhere = Person(telegram_id=800003, is_employee=True, department_id=other_department.id)
        not_employee = Person(telegram_id=800004, department_id=registry.department_id)
        internal_tp = Touchpoint(
            code="IT01-DESK", process_id=registry.internal_process_id, name="Сервис-деск",
            kind=TouchpointKind.DIGITAL, channel="портал", payload="t-IT01-DESK",
        )  # fmt: skip
        session.add_all([performer, no_telegram, unreachable, elsewhere, not_employee, internal_tp])
        session.add(OrganizationSettings(name=ORGANIZATION))
        await session.flush()
        contacts = [
            ("client-ok", True, registry.touchpoint_id, 600001),
            ("client-mfc", True, registry.offline_touchpoint_id, 600002),
            ("client-no", False, registry.touchpoint_id, 600003),
            ("client-other", True, internal_tp.id, 600004),
        ]
        for key, recontact, touchpoint_id, chat in contacts:
            session.add(Respondent(key=key, recontact_ok=recontact, created_at=LAUNCH))
            await session.flush()
            session.add(
                RespondentContact(
                    respondent_key=key, chat_id=chat, touchpoint_id=touchpoint_id,
                    updated_at=LAUNCH,
                )
            )  # fmt: skip
        case_id = await open_instruction(session, world, arose_on=AROSE)
        with pytest.raises(CaseError, match="шаге R3"):
            await launch_research(
                session, case_id, world.owner_id, department_ids=[registry.department_id],
                now=LAUNCH, _=translator(),
            )  # fmt: skip
        view = await drive(session, world, case_id, until="R2", when=_started)
        assert view.step("R3").status == "active"
        launched = await launch_research(
            session,
            case_id,
            world.owner_id,
            department_ids=[registry.department_id],
            now=LAUNCH,
            _=translator(),
        )
        # Performers Telegram cannot reach yet (unreachable, or known only by @username) are
        # invited too, their invitations kept for them (issue #13, point 5: they were skipped).
        assert (launched.performers, launched.clients, launched.queued) == (4, 2, 6)
        held = list(
            await session.scalars(
                sa.select(OutboxMessage).where(
                    OutboxMessage.kind == "research_invite",
                    OutboxMessage.status == OutboxStatus.HELD,
                )
            )
        )
        assert {(m.chat_id, m.person_id) for m in held} == {
            (800002, unreachable.id),
            (None, no_telegram.id),
        }
        invites = list(
            await session.scalars(
                sa.select(OutboxMessage).where(
                    OutboxMessage.kind == "research_invite",
                    OutboxMessage.status == OutboxStatus.PENDING,
                )
            )
        )
        # The owner is an employee of the department too; the officer has no department.
        assert {m.chat_id for m in invites} == {OWNER_CHAT, 800001, 600001, 600002}
        assert OFFICER_CHAT not in {m.chat_id for m in invites}
        assert all(m.lane == OutboxLane.BULK for m in invites)
        # Performers are named by person (their chat may come later), clients by chat.
        performer_ids = {m.person_id for m in invites if m.chat_id in (OWNER_CHAT, 800001)}
        assert {m.dedupe_key for m in invites} == {
            *(f"rs:{case_id}:p{person_id}" for person_id in performer_ids),
            *(f"rs:{case_id}:{chat}" for chat in (600001, 600002)),
        }
        # Each invitation carries its own unguessable token (it was ``rs:<case id>`` for all,
        # so anyone could answer by guessing the case id: issue #13, point 13).
        buttons = [outbox_markup(m)["inline_keyboard"][0][0] for m in invites]  # type: ignore[index]
        assert {b["text"] for b in buttons} == {"Пройти опрос"}
        datas = [str(b["callback_data"]) for b in buttons]
        assert all(d.startswith(f"rs:{case_id}:") and len(d.encode()) <= 64 for d in datas)
        assert len(set(datas)) == len(datas) and all(len(d.split(":")[2]) >= 22 for d in datas)
        stored = list(await session.scalars(sa.select(ResearchInvitation)))
        # Every invitation, sent or kept for later, has its own token (4 pending + 2 held).
        assert len(stored) == 6 and {i.audience for i in stored} == {"performer", "client"}
        # A performer known only by @username gets a token bound to them, not to a chat:
        # it works from the chat they write from once the bot knows it, and from no other.
        username_only = next(m for m in held if m.chat_id is None)
        held_token = str(outbox_markup(username_only)["inline_keyboard"][0][0]["callback_data"])
        held_token = held_token.split(":")[2]  # type: ignore[index]
        assert await research_invitation(session, case_id, held_token, 900009) is None
        no_telegram.telegram_id = 900009
        await session.flush()
        assert await research_invitation(session, case_id, held_token, 900009) == (
            RESEARCH_PERFORMER
        )
        assert await research_invitation(session, case_id, held_token, 123456) is None
        for message in invites:
            token = str(outbox_markup(message)["inline_keyboard"][0][0]["callback_data"]).split(
                ":"
            )[2]  # type: ignore[index]
            assert token not in repr([(i.digest, i.audience) for i in stored])
            expected = (
                RESEARCH_PERFORMER if message.chat_id in (OWNER_CHAT, 800001) else RESEARCH_CLIENT
            )
            assert await research_invitation(session, case_id, token, message.chat_id) == expected
            assert await research_invitation(session, case_id, token, 123456) is None
        client_invite = next(m for m in invites if m.chat_id == 600001)
        assert "Назначение ежемесячной денежной выплаты" in client_invite.text
        # Launching again invites nobody twice.
        again = await launch_research(
            session,
            case_id,
            world.owner_id,
            department_ids=[registry.department_id],
            now=LAUNCH,
            _=translator(),
        )
        assert again.queued == 0 and again.campaign_id == launched.campaign_id

        assert await research_questionnaire_for(session, case_id, 800001) == RESEARCH_PERFORMER
        assert await research_questionnaire_for(session, case_id, 600001) == RESEARCH_CLIENT
        assert await research_questionnaire_for(session, case_id, 800003) == RESEARCH_CLIENT

        process = await session.get(Process, registry.process_id)
        assert process is not None
        # Stages: 0 информирование, 1 подача заявления, 2 рассмотрение, 3 получение результата.
        early = LAUNCH - timedelta(days=1)
        await _answer(session, "before-launch", RESEARCH_CLIENT, process,
                      ["1", "0", "t:старое", "high", "-", "-", "-"], early)  # fmt: skip
        later = LAUNCH + timedelta(hours=2)
        await _answer(session, "c1", RESEARCH_CLIENT, process,
                      ["2", "1", "t:Очередь в МФЦ", "high", "1", "t:Подать онлайн",
                       "t:Запись через Госуслуги как в ПФР"], later)  # fmt: skip
        await _answer(session, "c2", RESEARCH_CLIENT, process,
                      ["3", "1", "t:Много документов", "medium", "3", "t:СМС о готовности",
                       "-"], later)  # fmt: skip
        await _answer(session, "c3", RESEARCH_CLIENT, process,
                      ["5", "-", "-", "-", "-", "-", "-"], later)  # fmt: skip
        await _answer(session, "c4", RESEARCH_CLIENT, process,
                      ["2", "2", "-", "high", "-", "-", "-"], later)  # fmt: skip
        await _answer(session, "p1", RESEARCH_PERFORMER, process,
                      ["3", "2", "t:Межведомственные запросы долго", "low", "2",
                       "t:Срок рассмотрения короче", "t:Шаблоны ответов"], later,
                      department_id=registry.department_id)  # fmt: skip

        folder = case_dir(tmp_path, case_id)
        path = await close_research(
            session, case_id, now=LAUNCH + timedelta(days=3), folder=folder, _=translator()
        )
        assert path.parent == tmp_path / "cases" / str(case_id) and path.exists()
        with pytest.raises(CaseError, match="уже завершён"):
            await close_research(
                session, case_id, now=LAUNCH + timedelta(days=4), folder=folder, _=translator()
            )
        view = await case_view(session, case_id)
        [document] = view.documents
        assert document.step_id == "R4" and document.file_path == str(path)
        assert document.original_name.startswith("Перечень сложностей")
        assert [e.action for e in view.audit].count("research_launched") == 2
        assert "research_closed" in [e.action for e in view.audit]

    workbook = load_workbook(path)
    summary = workbook["Сводка"]
    # Every sheet a document: the body, its title, the survey period, the date (A4 printing);
    # §2.2.6 «Заключение подписывается руководителем структурного подразделения…».
    survey = f"{LAUNCH:%d.%m.%Y} – {LAUNCH + timedelta(days=3):%d.%m.%Y}"
    top = 7  # the head: body, title, process (not on the summary), period, date, a blank row
    for sheet, title in (
        ("Сводка", f"Исследование процесса «Назначение ежемесячной денежной выплаты», "
                   f"реинжиниринг № {case_id}: опрос {survey.replace(' – ', '–')}"),
        ("Потребности", "Потребности (ожидания) клиентов на каждом этапе взаимодействия"),
        ("Лучшие практики", "Перечень лучших практик"),
    ):  # fmt: skip
        header = top - 1 if sheet == "Сводка" else top
        assert_head(workbook[sheet], title=title, period=survey,
                    prepared_on=(LAUNCH + timedelta(days=3)).date(), table_row=header)  # fmt: skip
        assert_print(workbook[sheet], (header, header), landscape=False)
    assert "Процесс: Назначение ежемесячной денежной выплаты" in column_a(
        workbook["Потребности"], 6
    )
    assert [[c.value for c in row] for row in summary.iter_rows(min_row=6, max_row=8)] == [
        ["Группа", "Ответов", "Средняя удовлетворённость (1–5)"],
        ["Клиенты", 4, 3],  # (2 + 3 + 5 + 2) / 4; the answer before the launch is left out
        ["Исполнители", 1, 3],
    ]
    assert signatures(summary, 9) == [
        ("Ответственный за процесс", "Петров Пётр Петрович"),
        ("Руководитель структурного подразделения: Отдел социальных выплат", "________________"),
    ]
    difficulties = workbook["Сложности по этапам"]
    assert_print(difficulties, (top, top), landscape=True)
    table = [[c.value for c in row] for row in difficulties.iter_rows(min_row=top + 1)]
    assert table == [
        # stage, high, medium, low, not given, total
        ["подача заявления", 1, 1, 0, 0, 2],
        ["рассмотрение", 1, 0, 1, 0, 2],
    ]
    details = [
        [c.value for c in row] for row in workbook["Описания сложностей"].iter_rows(min_row=top + 1)
    ]
    assert ["подача заявления", "высокая", "клиент", "Очередь в МФЦ"] in details
    assert ["рассмотрение", "низкая", "исполнитель", "Межведомственные запросы долго"] in details
    assert ["рассмотрение", "высокая", "клиент", None] in details
    needs = [[c.value for c in row] for row in workbook["Потребности"].iter_rows(min_row=top + 1)]
    assert needs == [
        ["подача заявления", "клиент", "Подать онлайн"],
        ["рассмотрение", "исполнитель", "Срок рассмотрения короче"],
        ["получение результата", "клиент", "СМС о готовности"],
    ]
    practices = [
        [c.value for c in row] for row in workbook["Лучшие практики"].iter_rows(min_row=top + 1)
    ]
    assert practices == [
        [1, "клиент", "Запись через Госуслуги как в ПФР"],
        [2, "исполнитель", "Шаблоны ответов"],
    ]
