"""Issue #17, points 1–4 through the real dispatcher: lists page, each role sees its own bot,
every screen says what it shows, people are named, never numbered."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from aiogram.methods import DeleteMyCommands, SendMessage, SetMyCommands
from aiogram.types import BotCommandScopeChat, InlineKeyboardMarkup, Message

from core.labels import BUTTON_LIMIT
from handlers.callbacks import CaseCb, InviteCb, PageCb, StatsCb
from reengineering.cases import open_case
from storage.database import SessionPool
from storage.models import (
    ActivityDirection,
    ClientType,
    FeedbackAlert,
    Person,
    Process,
    Touchpoint,
    TouchpointKind,
)
from surveys.catalogue import sync_questionnaires
from surveys.invites import create_invite, invite_payload
from tests.conftest import SmallRegistry
from tests.handlers.conftest import MovableClock
from tests.mocked_bot import Telegram
from tests.surveys.factories import add_responses, questionnaire

OWNER, OFFICER, CITIZEN, NEWCOMER = 700001, 900001, 5555, 800002
FEBRUARY = date(2025, 2, 1)  # the last complete month on the test clock (12 March 2025)
LONG = "Выплата компенсации расходов на оплату жилого помещения и коммунальных услуг"


def buttons(message: Message) -> list[tuple[str, str]]:
    markup = message.reply_markup
    assert isinstance(markup, InlineKeyboardMarkup)
    return [(b.text, b.callback_data or "") for row in markup.inline_keyboard for b in row]


async def add_officer(pool: SessionPool, **extra: object) -> None:
    async with pool() as session, session.begin():
        session.add(Person(telegram_id=OFFICER, is_officer=True, is_employee=True, **extra))


async def add_processes(pool: SessionPool, count: int) -> None:
    """``count`` citizens' services whose long names differ only at their end."""
    async with pool() as session, session.begin():
        support = await session.scalar(
            sa.select(ActivityDirection).where(ActivityDirection.code == "support")
        )
        assert support is not None
        for n in range(count):
            session.add(
                Process(
                    code=f"CMP{n:02d}", name=f"{LONG}, категория получателей № {n + 1}",
                    direction=support, client_type=ClientType.EXTERNAL, stages=[],
                )
            )  # fmt: skip


# ---------------------------------------------------------------- 1. lists reach their end
async def test_officer_stats_pages_through_every_process_with_labels_apart(
    telegram: Telegram, session_pool: SessionPool, registry: SmallRegistry
) -> None:
    """#17.1 «the officer's /stats offers 20 of 23 processes with no paging … Every list pages;
    every label that must be shortened keeps what tells items apart»."""
    await add_officer(session_pool)
    await add_processes(session_pool, 23)  # with the registry's two: 25, four pages of eight
    await telegram.send(OFFICER, "/stats")
    keyboard = telegram.last_with_keyboard(OFFICER)
    seen: dict[int, str] = {}
    for page in range(1, 5):
        shown = buttons(keyboard)
        texts = [text for text, _data in shown]
        assert f"стр. {page} из 4" in texts
        assert ("‹ Назад" in texts) == (page > 1) and ("Далее ›" in texts) == (page < 4)
        for text, data in shown:
            if data.startswith("st:"):
                seen[StatsCb.unpack(data).p] = text
        if page < 4:
            await telegram.tap(OFFICER, "Далее ›")
            keyboard = telegram.last_with_keyboard(OFFICER)
    assert len(seen) == 25, "every process can be opened"
    labels = list(seen.values())
    assert len(set(labels)) == 25 and all(len(label) <= BUTTON_LIMIT for label in labels)
    shortened = [label for label in labels if "категория" in label]
    assert all("…" in label and label.endswith(tuple("0123456789")) for label in shortened)
    reports = [text for text, _data in buttons(keyboard)[-2:]]
    assert "Динамика" in reports[0] and "Внутренние сервисы" in reports[1], "under the pages"


async def test_a_page_of_the_officers_list_is_refused_to_an_owner(
    telegram: Telegram, registry: SmallRegistry
) -> None:
    await telegram.send(OWNER, "/start")
    update = await telegram.press(OWNER, PageCb(l="st", pg=1).pack())
    assert update.callback_query is not None
    answer = telegram.session.callback_answers[update.callback_query.id]
    assert answer.text == "У вас нет доступа к этому процессу."
    await telegram.press(OWNER, PageCb(l="iv", pg=0).pack())  # the officer's router only
    assert not any(
        "Для какого подразделения" in (m.text or "") for m in telegram.session.sent_to(OWNER)
    )


async def test_a_search_keeps_the_place_apart_and_pages(
    telegram: Telegram, session_pool: SessionPool, registry: SmallRegistry
) -> None:
    """#17.1 «a search for «компенсац» gives two identical buttons because the place is cut
    off»."""
    async with session_pool() as session, session.begin():
        process = await session.get(Process, registry.process_id)
        assert process is not None
        process.name = LONG
        for n in range(10):
            session.add(
                Touchpoint(
                    code=f"CMP-MFC{n}", process_id=process.id, name=f"МФЦ, окно приёма № {n + 1}",
                    kind=TouchpointKind.OFFLINE, channel="МФЦ", payload=f"t-CMP-MFC{n}",
                )
            )  # fmt: skip
    await telegram.send(CITIZEN, "компенсац")
    first = buttons(telegram.last_with_keyboard(CITIZEN))
    places = [text for text, data in first if data.startswith("n:")]
    assert len(places) == 8 and len(set(places)) == 8
    assert all(len(text) <= BUTTON_LIMIT and "…" in text for text in places)
    assert any(text.endswith("МФЦ, окно приёма № 1") for text in places)
    assert "стр. 1 из 2" in [text for text, _data in first]
    await telegram.tap(CITIZEN, "Далее ›")
    second = [t for t, d in buttons(telegram.last_with_keyboard(CITIZEN)) if d.startswith("n:")]
    assert len(second) == 4 and not set(second) & set(places)  # 12 places in all


async def test_cases_page_for_owner_and_officer(
    telegram: Telegram, session_pool: SessionPool, registry: SmallRegistry
) -> None:
    await add_officer(session_pool, full_name="Иванова И. И.")
    await add_processes(session_pool, 11)
    async with session_pool() as session, session.begin():
        officer_id = await session.scalar(sa.select(Person.id).where(Person.is_officer))
        ids = await session.scalars(sa.select(Process.id).order_by(Process.id))
        for process_id in ids:
            await open_case(
                session, process_id, "instruction", arose_on=date(2025, 3, 3), actor_id=officer_id
            )
    await telegram.send(OFFICER, "/cases")
    first = buttons(telegram.last_with_keyboard(OFFICER))
    assert "стр. 1 из 2" in [t for t, _d in first]
    cases = {CaseCb.unpack(d).c for _t, d in first if d.startswith("cs:")}
    await telegram.tap(OFFICER, "Далее ›")
    second = buttons(telegram.last_with_keyboard(OFFICER))
    cases |= {CaseCb.unpack(d).c for _t, d in second if d.startswith("cs:")}
    assert len(cases) == 13 and second[-1][0] == "➕ Открыть дело по поручению"
    await telegram.send(OWNER, "/cases")
    assert "стр." not in " ".join(t for t, _d in buttons(telegram.last_with_keyboard(OWNER)))


# ---------------------------------------------------------- 2. each role sees its own bot
async def test_start_and_help_say_what_each_role_can_do(
    telegram: Telegram, session_pool: SessionPool, registry: SmallRegistry
) -> None:
    """#17.2 «Owners and the officer get the citizen's greeting on /start … the officer's
    /help leaves out /campaign … /start and /help that say what this person can do»."""
    await add_officer(session_pool)
    await telegram.send(CITIZEN, "/start")
    citizen = telegram.last(CITIZEN).text or ""
    assert "Здесь можно оценить" in citizen and "/stats" not in citizen
    await telegram.send(OWNER, "/start")
    owner = telegram.last(OWNER).text or ""
    assert "отвечаете за процессы: 1" in owner and "/stats" in owner and "/cases" in owner
    assert "/invite" not in owner and "/rate" in owner  # the owner is an employee too
    await telegram.send(OFFICER, "/start")
    officer = telegram.last(OFFICER).text or ""
    assert "ответственный по клиентоцентричности" in officer
    assert all(command in officer for command in ("/stats", "/cases", "/invite", "/campaign"))
    await telegram.send(OFFICER, "/help")
    assert "/campaign" in (telegram.last(OFFICER).text or "")
    await telegram.send(CITIZEN, "/help")
    help_text = telegram.last(CITIZEN).text or ""
    assert "/stats" not in help_text and "/rate" not in help_text and "/forget" in help_text


async def test_an_accepted_invite_gives_the_employees_menu(
    telegram: Telegram, session_pool: SessionPool, registry: SmallRegistry, clock: MovableClock
) -> None:
    """#17.2 «Menus per person by role (Telegram's per-chat command scopes)»: set when an
    invite is accepted."""
    async with session_pool() as session, session.begin():
        invite = await create_invite(session, department_code="SOC", uses=1, days=7, now=clock())
        payload = invite_payload(invite)
    await telegram.send(NEWCOMER, f"/start {payload}")
    [menu] = [r for r in telegram.session.requests if isinstance(r, SetMyCommands)]
    assert menu.scope == BotCommandScopeChat(chat_id=NEWCOMER)
    assert [c.command for c in menu.commands] == [
        "start", "rate", "request", "myrequests", "quiet", "help", "forget",
    ]  # fmt: skip
    assert not any(isinstance(r, DeleteMyCommands) for r in telegram.session.requests)


# --------------------------------------------------------- 3. every screen says what it shows
async def _alerts(pool: SessionPool, registry: SmallRegistry) -> None:
    """Three low scores in February: answered in time, answered late, never answered."""
    await sync_questionnaires(pool)
    async with pool() as session, session.begin():
        survey = await questionnaire(session, "touchpoint")
        responses = await add_responses(
            session, questionnaire=survey, process_id=registry.process_id,
            touchpoint_id=registry.touchpoint_id, ratings=[1, 2, 2], month=FEBRUARY,
        )  # fmt: skip
        raised = datetime(2025, 2, 10, 9, tzinfo=UTC)
        due = raised + timedelta(days=3)
        for response, answered in zip(
            responses, (raised + timedelta(days=1), due + timedelta(days=2), None), strict=True
        ):
            session.add(
                FeedbackAlert(
                    response_id=response.id, process_id=registry.process_id,
                    created_at=raised, due_at=due, answered_at=answered,
                )
            )  # fmt: skip


async def test_stats_names_its_month_its_scope_and_the_answers_in_time(
    telegram: Telegram, session_pool: SessionPool, registry: SmallRegistry
) -> None:
    """#17.3 «/stats names its month and its scope; the share of low-score feedback answered
    in time, promised in the README, appears»."""
    await _alerts(session_pool, registry)
    await add_officer(session_pool)
    await telegram.send(OWNER, "/stats")
    texts = [r.text for r in telegram.session.requests if isinstance(r, SendMessage)]
    assert texts[0] == "<b>Статистика за февраль 2025</b>\nПроцессы, за которые вы отвечаете: 1."
    assert texts[-1] == (
        "Отзывы с низкой оценкой за февраль 2025, на которые ответили в срок: 1 из 3 (33%)."
    )
    telegram.session.requests.clear()
    await telegram.send(OFFICER, "/stats")
    texts = [r.text for r in telegram.session.requests if isinstance(r, SendMessage)]
    assert texts[0] == (
        "<b>Статистика за февраль 2025</b>\nВсе процессы реестра: услуг для граждан — 1, "
        "внутренних сервисов для сотрудников — 1."
    )
    assert "ответили в срок: 1 из 3" in " ".join(texts)


async def test_questions_say_how_many_there_are(
    telegram: Telegram, registry: SmallRegistry
) -> None:
    """#17.3 «questions say «Вопрос 5 из 6»»; a high score leaves out the follow-ups."""
    await telegram.send(CITIZEN, "/start t-SUP01-EPGU")
    await telegram.tap(CITIZEN, "Дать согласие")
    first = telegram.last_with_keyboard(CITIZEN).text or ""
    assert "Вопрос 1 из " in first
    total = int(first.split("Вопрос 1 из ")[1].split()[0])
    await telegram.tap(CITIZEN, "5 ⭐")
    second = telegram.last_with_keyboard(CITIZEN).text or ""
    left = int(second.split("Вопрос 2 из ")[1].split()[0])
    assert 2 <= left < total, "the questions for low scores are no longer counted"


# -------------------------------------------------------------- 4. people, not ids
async def test_a_case_card_names_an_unnamed_owner_by_role(
    telegram: Telegram, session_pool: SessionPool, registry: SmallRegistry
) -> None:
    """#17.4 «„Ответственный за процесс: сотрудник id 3“ … become names or roles»."""
    await add_officer(session_pool)
    async with session_pool() as session, session.begin():
        officer_id = await session.scalar(sa.select(Person.id).where(Person.is_officer))
        opened = await open_case(
            session, registry.process_id, "instruction", arose_on=date(2025, 3, 3),
            actor_id=officer_id,
        )  # fmt: skip
    await telegram.send(OFFICER, "/cases")
    await telegram.press(OFFICER, CaseCb(c=opened.case_id).pack())
    card = telegram.last_with_keyboard(OFFICER).text or ""
    assert "Ответственный за процесс: сотрудник (имя не указано в реестре)" in card
    assert " id " not in card


async def test_the_invite_wizard_pages_departments(
    telegram: Telegram, session_pool: SessionPool, registry: SmallRegistry
) -> None:
    from storage.models import Department

    await add_officer(session_pool)
    async with session_pool() as session, session.begin():
        session.add_all(
            Department(code=f"D{n:02d}", name=f"Отдел по работе с обращениями граждан № {n}")
            for n in range(9)
        )
    await telegram.send(OFFICER, "/invite")
    shown = buttons(telegram.last_with_keyboard(OFFICER))
    assert "стр. 1 из 2" in [t for t, _d in shown]
    await telegram.tap(OFFICER, "Далее ›")
    again = buttons(telegram.last_with_keyboard(OFFICER))
    departments = {InviteCb.unpack(d).d for _t, d in shown + again if d.startswith("iv:")}
    assert len(departments) == 10
