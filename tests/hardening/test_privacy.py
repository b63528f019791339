"""Privacy: no identity in logs, reports or answer tables; feedback links expire; /forget wins.

Issue text: «No Telegram id, username or name in answer tables, reports or logs (a test captures
the logs of a full demo run and searches them); the link between a person and their relayed
feedback is deleted after a configurable retention; /forget is honoured everywhere.»
"""

from __future__ import annotations

import inspect
import logging
import re
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa

from bot import demo
from bot.demo_script import CITIZEN as CITIZEN_SAYS
from bot.factory import create_dispatcher
from core.i18n import translator
from core.settings import Settings
from handlers.callbacks import AlertCb, RelayCb
from jobs.feedback import feedback_followup
from outreach.campaigns import audience_chats, run_campaigns, start_campaign
from outreach.loop import Relay, answer_respondent
from storage.database import SessionPool
from storage.delivery_models import OutboxMessage
from storage.models import (
    Campaign,
    CampaignInvite,
    FeedbackAlert,
    Respondent,
    RespondentContact,
    Response,
    SurveySession,
)
from surveys.catalogue import sync_questionnaires
from surveys.respondents import respondent_key
from tests.conftest import SmallRegistry
from tests.handlers.conftest import MovableClock
from tests.mocked_bot import Telegram, make_bot

OWNER = 700001
CITIZEN, NEIGHBOUR, LATER = 987_002, 987_003, 987_004

# ------------------------------------------------------------------ a full demo run, searched

# Demo answers typed by the simulated citizens (bot/demo_script.yaml, used by demo.citizen()).
DEMO_COMMENTS = ("Спасибо, всё понятно", "Долго ждал ответа")
# Every logger at DEBUG but the statement logs: SQLAlchemy's echo and the aiosqlite driver's
# DEBUG lines carry every SQL parameter (Telegram ids included) and are off in production
# (bot/cli.py logs at INFO at most). The sandbox stands in for Telegram and logs nothing today.
# "aiogram.event" by name too: `otklik` without --verbose quiets its line per update, and a
# command run earlier in this process leaves that level set.
DEBUG_LOGGERS = ("aiogram", "aiogram.event", "sqlalchemy", "aiohttp", "bot", "handlers",
                 "surveys", "storage", "jobs", "reengineering", "sandbox", "asyncio")  # fmt: skip
QUIET_LOGGERS = ("sqlalchemy.engine", "aiosqlite")
# Answer tables: what respondents said and everything derived from it.
ANSWER_TABLES = ("responses", "response_answers", "respondents", "survey_sessions",
                 "monthly_rollups", "feedback_alerts", "feedback_messages")  # fmt: skip


def demo_people() -> list[int]:
    """Every simulated person of `run_demo(fast=True)`: 12 citizens, 5 employees, 2 officials."""
    citizens, employees = 12, 5
    assert f"citizens, employees = ({citizens}, {employees}) if fast" in inspect.getsource(
        demo.run_demo
    ), "bot/demo.py changed its fast-mode numbers: update demo_people()"
    return [
        *(demo.CITIZENS_FROM + i for i in range(citizens)),
        *(demo.EMPLOYEES_FROM + i for i in range(employees)),
        demo.OFFICER_ID,
        demo.DECLINING_OWNER,
    ]


def identity_pattern(ids: list[int]) -> re.Pattern[str]:
    """A Telegram id as a whole number, or the name the sandbox gives its users (`User<id>`)."""
    numbers = "|".join(str(i) for i in ids)
    return re.compile(rf"(?<!\d)(?:{numbers})(?!\d)|User(?:{numbers})")


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def every_log_at_debug() -> Iterator[Collect]:
    root = logging.getLogger()
    names = (*DEBUG_LOGGERS, *QUIET_LOGGERS)
    saved = root.level, {name: logging.getLogger(name).level for name in names}
    handler = Collect()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    for name in DEBUG_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(saved[0])
        for name, level in saved[1].items():
            logging.getLogger(name).setLevel(level)


def log_text(record: logging.LogRecord) -> str:
    """The message as any handler would write it, its traceback, and the raw arguments."""
    formatted = logging.Formatter("%(name)s %(levelname)s %(message)s").format(record)
    return f"{formatted} {record.args!r}"


def xlsx_cells(folder: Path) -> Iterator[tuple[str, Any]]:
    for path in sorted(folder.rglob("*.xlsx")):
        workbook = openpyxl.load_workbook(path, read_only=True)
        try:
            for sheet in workbook.worksheets:
                for row in sheet.iter_rows(values_only=True):
                    for value in row:
                        if value is not None:
                            yield f"{path.name}/{sheet.title}", value
        finally:
            workbook.close()


def table_cells(database: Path, tables: tuple[str, ...]) -> Iterator[tuple[str, Any]]:
    with closing(sqlite3.connect(database)) as connection:
        for table in tables:
            cursor = connection.execute(f'SELECT * FROM "{table}"')
            columns = [c[0] for c in cursor.description]
            for row in cursor:
                for column, value in zip(columns, row, strict=True):
                    if value is not None:
                        yield f"{table}.{column}", value


def leaks(cells: Iterator[tuple[str, Any]], ids: list[int]) -> list[tuple[str, Any]]:
    pattern = identity_pattern(ids)
    return [
        (where, value)
        for where, value in cells
        if (isinstance(value, int) and value in ids) or pattern.search(str(value))
    ]


@pytest.mark.e2e
async def test_a_demo_run_leaves_no_identity_in_logs_reports_or_answer_tables(
    tmp_path: Path,
) -> None:
    out = tmp_path / "demo"
    ids = demo_people()
    said_by_citizens = {CITIZEN_SAYS["comment_satisfied"], CITIZEN_SAYS["comment_unsatisfied"]}
    assert set(DEMO_COMMENTS) == said_by_citizens
    with every_log_at_debug() as captured:
        assert await demo.run_demo(out, fast=True) == 0
    texts = [(record.name, log_text(record)) for record in captured.records]
    assert any(name.startswith("aiogram") for name, _ in texts), "the capture saw the bot work"

    pattern = identity_pattern(ids)
    found = [(name, text[:300]) for name, text in texts if pattern.search(text)]
    assert found == [], "Telegram ids or sandbox names of demo users in the logs"
    said = [(name, text[:300]) for name, text in texts if any(c in text for c in DEMO_COMMENTS)]
    assert said == [], "respondents' comments in the logs"

    assert len(list((out / "reports").glob("*.xlsx"))) >= 4
    assert leaks(xlsx_cells(out), ids) == [], "Telegram ids in the Excel reports"

    database = out / "otklik-demo.db"
    assert leaks(table_cells(database, ANSWER_TABLES), ids) == [], "ids in the answer tables"
    # The searches can see: the registry of people holds the officials' ids, the answers
    # hold the comments (the demo's random choices are seeded).
    assert {value for _, value in leaks(table_cells(database, ("people",)), ids)} >= {
        demo.OFFICER_ID,
        demo.DECLINING_OWNER,
    }
    answers = [str(value) for _, value in table_cells(database, ("response_answers",))]
    assert any(comment in answers for comment in DEMO_COMMENTS)


# ------------------------------------------------------------ the bot, for the loop and /forget


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(datetime(2025, 3, 12, 9, 30, tzinfo=UTC))


@pytest.fixture
async def telegram(
    settings: Settings, session_pool: SessionPool, registry: SmallRegistry, clock: MovableClock
) -> Telegram:
    await sync_questionnaires(session_pool)
    bot, recording = make_bot()
    return Telegram(bot, create_dispatcher(settings, session_pool, clock=clock), recording)


async def low_score(telegram: Telegram, user: int, *opt_ins: str) -> None:
    """A score of 1 with a comment at SUP01-EPGU, then the opt-ins tapped (answer, recontact)."""
    await telegram.send(user, "/start t-SUP01-EPGU")
    await telegram.tap(user, "Дать согласие")
    await telegram.tap(user, "1")
    await telegram.tap(user, "Очередь")
    await telegram.tap(user, "Готово")
    await telegram.tap(user, "рассмотрение")
    await telegram.tap(user, "Высокая")
    await telegram.send(user, "Полдня в очереди")
    await telegram.tap(user, "Пенсионер")
    assert "Спасибо" in (telegram.last(user).text or "")
    for label in opt_ins:
        await telegram.tap(user, label)


ANSWER, RECONTACT = "ответ на свой отзыв", "спросить меня позже"


async def alerts(pool: SessionPool) -> list[FeedbackAlert]:
    async with pool() as session:
        return list((await session.scalars(sa.select(FeedbackAlert).order_by("id"))).all())


async def outbox_to(pool: SessionPool, chat_id: int) -> list[OutboxMessage]:
    async with pool() as session:
        query = sa.select(OutboxMessage).where(OutboxMessage.chat_id == chat_id)
        return list((await session.scalars(query)).all())


async def owner_answers(telegram: Telegram, alert_id: int, text: str) -> str:
    await telegram.send(OWNER, "/start")
    await telegram.press(OWNER, AlertCb(a=alert_id, x="reply").pack())
    await telegram.send(OWNER, text)
    return telegram.last(OWNER).text or ""


async def test_the_feedback_link_is_dropped_after_the_configured_retention(
    telegram: Telegram, session_pool: SessionPool, settings: Settings, clock: MovableClock
) -> None:
    start = clock()
    await low_score(telegram, CITIZEN, ANSWER)
    clock.advance(days=10)
    await low_score(telegram, NEIGHBOUR, ANSWER)
    first, second = await alerts(session_pool)
    assert first.respondent_key == respondent_key(settings.secret(), CITIZEN)
    assert second.respondent_key == respondent_key(settings.secret(), NEIGHBOUR)

    retention = settings.model_copy(update={"feedback_link_retention_days": 30})
    for day, kept in ((29, [True, True]), (31, [False, True]), (41, [False, False])):
        await feedback_followup(session_pool, retention, lambda d=day: start + timedelta(days=d))
        assert [a.respondent_key is not None for a in await alerts(session_pool)] == kept, day

    clock.advance(days=40)
    before = len(await outbox_to(session_pool, CITIZEN))
    reply = await owner_answers(telegram, first.id, "Открыли второе окно")
    assert "не просил" in reply, reply
    assert len(await outbox_to(session_pool, CITIZEN)) == before, "nothing relayed after expiry"
    pressed = await telegram.press(CITIZEN, RelayCb(a=first.id).pack())
    query_id = pressed.callback_query.id  # type: ignore[union-attr]
    refusal = telegram.session.callback_answers[query_id]
    assert refusal.text == "Эта переписка больше недоступна."  # before any prompt
    to_owner = len(await outbox_to(session_pool, OWNER))
    await telegram.send(CITIZEN, "А можно подробнее?")
    assert len(await outbox_to(session_pool, OWNER)) == to_owner, "nothing relayed to the owner"
    async with session_pool() as session:
        alert = await session.get(FeedbackAlert, first.id)
        assert alert is not None
        assert (
            await answer_respondent(session, alert, "Ещё раз", clock(), _=translator())
            == Relay.FORGOTTEN
        )


async def touchpoint_campaign(pool: SessionPool, on: date, now: datetime) -> Campaign:
    async with pool() as session, session.begin():
        return await start_campaign(
            session, questionnaire_code="touchpoint", audience="touchpoint",
            touchpoint_code="SUP01-EPGU", starts_on=on, ends_on=on + timedelta(days=30), now=now,
            _=translator(),
        )  # fmt: skip


async def forget(telegram: Telegram, user: int) -> None:
    await telegram.send(user, "/forget")
    await telegram.tap(user, "Да, удалить")
    assert "Готово" in (telegram.last(user).text or "")


async def test_forget_is_honoured_everywhere(
    telegram: Telegram, session_pool: SessionPool, settings: Settings, clock: MovableClock
) -> None:
    key = respondent_key(settings.secret(), CITIZEN)
    await low_score(telegram, CITIZEN, ANSWER, RECONTACT)
    await low_score(telegram, NEIGHBOUR, RECONTACT)
    [alert, *_] = await alerts(session_pool)
    async with session_pool() as session:
        campaign = await touchpoint_campaign(session_pool, clock().date(), clock())
        assert await audience_chats(session, campaign) == [CITIZEN, NEIGHBOUR]
        responses = await session.scalar(sa.select(sa.func.count(Response.id)))

    await forget(telegram, CITIZEN)

    async with session_pool() as session:
        for model in (Response, SurveySession):
            keys = (await session.scalars(sa.select(model.respondent_key))).all()
            assert key not in keys, model.__tablename__
        assert await session.scalar(sa.select(sa.func.count(Response.id))) == responses
        tombstones = await session.scalar(
            sa.select(sa.func.count(Response.id)).where(Response.respondent_key.like("forgotten-%"))
        )
        assert tombstones == 1, "the answer stays in the statistics under a random key"
        assert await session.get(Respondent, key) is None
        assert await session.get(RespondentContact, key) is None
        assert (await session.get(FeedbackAlert, alert.id)).respondent_key is None  # type: ignore[union-attr]
        assert await audience_chats(session, campaign) == [NEIGHBOUR]

    before = len(await outbox_to(session_pool, CITIZEN))
    reply = await owner_answers(telegram, alert.id, "Приносим извинения")
    assert "не просил" in reply, reply
    assert len(await outbox_to(session_pool, CITIZEN)) == before, "no answer after /forget"
    async with session_pool() as session, session.begin():
        stored = await session.get(FeedbackAlert, alert.id)
        assert stored is not None
        assert (
            await answer_respondent(session, stored, "Ещё раз", clock(), _=translator())
            == Relay.FORGOTTEN
        )
        await run_campaigns(session, clock().date(), clock(), settings.secret(), _=translator())
        invited = (await session.scalars(sa.select(CampaignInvite.chat_id))).all()
    assert invited == [NEIGHBOUR], "the campaign invites only those who still agree"
    assert len(await outbox_to(session_pool, CITIZEN)) == before


async def campaign_round(
    telegram: Telegram, pool: SessionPool, settings: Settings, clock: MovableClock
) -> Callable[[], Any]:
    """CITIZEN agreed to be asked again, is invited by a touchpoint campaign and answers it."""
    await low_score(telegram, CITIZEN, RECONTACT)
    clock.advance(days=1)
    await touchpoint_campaign(pool, clock().date(), clock())

    async def tick() -> None:
        async with pool() as session, session.begin():
            await run_campaigns(session, clock().date(), clock(), settings.secret(), _=translator())

    await tick()
    return tick


async def test_forget_stops_campaign_reminders(
    telegram: Telegram, session_pool: SessionPool, settings: Settings, clock: MovableClock
) -> None:
    tick = await campaign_round(telegram, session_pool, settings, clock)
    await forget(telegram, CITIZEN)
    before = len(await outbox_to(session_pool, CITIZEN))
    for _ in range(10):
        clock.advance(days=1)
        await tick()
    reminders = [m for m in await outbox_to(session_pool, CITIZEN) if m.kind == "campaign_reminder"]
    assert len(await outbox_to(session_pool, CITIZEN)) == before, reminders


async def test_campaign_invites_cannot_be_joined_to_answers(
    telegram: Telegram, session_pool: SessionPool, settings: Settings, clock: MovableClock
) -> None:
    tick = await campaign_round(telegram, session_pool, settings, clock)
    clock.advance(hours=2)
    await telegram.send(CITIZEN, "/start t-SUP01-EPGU")
    await telegram.tap(CITIZEN, "5")
    await telegram.tap(CITIZEN, "Пропустить")
    assert "Спасибо" in (telegram.last(CITIZEN).text or ""), telegram.last(CITIZEN).text
    await tick()
    await forget(telegram, CITIZEN)
    async with session_pool() as session:
        linked = (
            await session.execute(
                sa.select(CampaignInvite.chat_id, Response.id).join(
                    Response, Response.submitted_at == CampaignInvite.responded_at
                )
            )
        ).all()
    assert linked == []
