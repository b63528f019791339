"""No trace: after an update is handled and after /forget, no table identifies the person.

Issue #13, point 10: the inbox kept every raw update (id, username, names, comments) forever,
/forget left the outbox's relay rows and the campaign invites behind. Here every update goes
through the real intake (stored in the inbox, then handled by the dispatcher), the outbox is
delivered by the real sender, and then every column of every table in the database (found by
the inspector, not listed by hand) is searched for the person.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from aiogram.fsm.storage.base import StorageKey
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.types import Update, User
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.delivery import OutboxSender
from bot.factory import create_dispatcher, create_fsm_storage
from bot.fsm import storage_key_id
from bot.intake import MAX_ATTEMPTS, Inbox
from core.i18n import translator
from core.settings import Settings
from handlers.callbacks import AlertCb
from jobs.feedback import feedback_followup
from jobs.retention import retention_job
from outreach.campaigns import run_campaigns, start_campaign
from storage.database import SessionPool
from storage.delivery_models import InboxUpdate, OutboxMessage, OutboxStatus
from storage.migrate import alembic_config, upgrade_database
from surveys.actors import ActorCache
from surveys.catalogue import sync_questionnaires
from surveys.invites import create_invite, invite_payload
from surveys.respondents import respondent_key
from tests.conftest import SmallRegistry
from tests.handlers.conftest import MovableClock
from tests.mocked_bot import BOT_USER, Telegram, make_bot

OWNER = 700001
# Numbers and names that occur nowhere else, so that a match is the person and nothing else.
CITIZEN = User(
    id=7_312_645_098, is_bot=False, first_name="Евлампия", last_name="Незабудкина",
    username="evlampia_nzb",
)  # fmt: skip
EMPLOYEE = User(
    id=6_204_517_933, is_bot=False, first_name="Аристарх", last_name="Пальмовый",
    username="aristarkh_plm",
)  # fmt: skip


class ThroughTheInbox(Telegram):
    """Every update goes the production way: committed to the inbox, then handled."""

    def __init__(self, inbox: Inbox, telegram: Telegram) -> None:
        super().__init__(telegram.bot, telegram.dp, telegram.session)
        self.inbox = inbox
        self.people = {CITIZEN.id: CITIZEN, EMPLOYEE.id: EMPLOYEE}

    def user(self, user_id: int, username: str | None = None) -> User:
        return self.people.get(user_id) or super().user(user_id, username)

    async def feed(self, update: Update) -> None:
        fresh = await self.inbox.store([update])
        await self.inbox.handle(update, fresh=update.update_id in fresh)


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(datetime(2025, 3, 12, 9, 30, tzinfo=UTC))


@pytest.fixture
async def telegram(
    settings: Settings, session_pool: SessionPool, registry: SmallRegistry, clock: MovableClock
) -> ThroughTheInbox:
    await sync_questionnaires(session_pool)
    bot, recording = make_bot()
    dispatcher = create_dispatcher(settings, session_pool, clock=clock)
    return ThroughTheInbox(
        Inbox(session_pool, dispatcher, bot), Telegram(bot, dispatcher, recording)
    )


async def deliver(telegram: Telegram, pool: SessionPool) -> None:
    """Everything pending in the outbox, sent by the real sender to the recording bot."""
    sender = OutboxSender(telegram.bot, pool, per_chat_interval=0)  # enqueue stamps real time

    async def loop() -> None:
        while True:
            await sender.run_once()
            async with pool() as session:
                left = await session.scalar(
                    sa.select(sa.func.count(OutboxMessage.id)).where(
                        OutboxMessage.status == OutboxStatus.PENDING
                    )
                )
            if not left:
                return
            await asyncio.sleep(0.05)

    await asyncio.wait_for(loop(), 20)


def cells(rows: dict[str, list[dict[str, Any]]]) -> Iterator[tuple[str, Any]]:
    for table, records in rows.items():
        for record in records:
            for column, value in record.items():
                if value is not None:
                    yield f"{table}.{column}", value


async def every_row(engine: AsyncEngine) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table the database has, by its own catalogue."""

    def read(connection: sa.Connection) -> dict[str, list[dict[str, Any]]]:
        metadata = sa.MetaData()
        metadata.reflect(connection)
        assert len(metadata.tables) > 20, "the reflection saw the schema"
        return {
            name: [dict(row._mapping) for row in connection.execute(sa.select(table))]
            for name, table in metadata.tables.items()
        }

    async with engine.connect() as connection:
        return await connection.run_sync(read)


def traces(rows: dict[str, list[dict[str, Any]]], user: User, *also: str) -> list[tuple[str, Any]]:
    """Cells holding the person's id (as a number or inside any text), names or `also`."""
    needles = [str(user.id), *(n for n in (user.username, user.first_name, user.last_name) if n)]
    needles += also
    found = []
    for where, value in cells(rows):
        text = value if isinstance(value, str) else json.dumps(value, default=str)
        if value == user.id or any(needle in text for needle in needles):
            found.append((where, value))
    return found


def pseudonyms(settings: Settings, user: User) -> tuple[str, str]:
    chat = StorageKey(bot_id=BOT_USER.id, chat_id=user.id, user_id=user.id)
    return respondent_key(settings.secret(), user.id), storage_key_id(chat, settings.secret())


async def low_score_with_comment(telegram: Telegram, user: int) -> None:
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
    await telegram.tap(user, "ответ на свой отзыв")
    await telegram.tap(user, "спросить меня позже")


async def forget(telegram: Telegram, user: int) -> str:
    await telegram.send(user, "/forget")
    await telegram.tap(user, "Да, удалить")
    text = telegram.last(user).text or ""
    assert "Готово" in text, text
    return text


async def test_after_forget_no_table_holds_the_person_or_links_them_to_an_answer(
    telegram: ThroughTheInbox,
    session_pool: SessionPool,
    engine: AsyncEngine,
    settings: Settings,
    clock: MovableClock,
) -> None:
    # Pseudonyms count too: the answer key and the conversation-state key of each person.
    citizen_keys = pseudonyms(settings, CITIZEN)
    employee_keys = pseudonyms(settings, EMPLOYEE)
    # A citizen rates low with a comment and asks for an answer and to be asked again.
    await low_score_with_comment(telegram, CITIZEN.id)
    # The owner answers; the answer is relayed; the citizen writes back.
    await telegram.send(OWNER, "/start")
    async with session_pool() as session:
        alert_id = await session.scalar(sa.text("SELECT max(id) FROM feedback_alerts"))
    await telegram.press(OWNER, AlertCb(a=int(alert_id), x="reply").pack())
    await telegram.send(OWNER, "Открыли второе окно")
    await deliver(telegram, session_pool)
    assert "Открыли второе окно" in (telegram.last(CITIZEN.id).text or ""), "relay delivered"
    await telegram.tap(CITIZEN.id, "Ответить")
    await telegram.send(CITIZEN.id, "Спасибо, стало лучше")
    # A touchpoint campaign invites the citizen (who agreed to be asked again).
    async with session_pool() as session, session.begin():
        await start_campaign(
            session, questionnaire_code="touchpoint", audience="touchpoint",
            touchpoint_code="SUP01-EPGU", starts_on=clock().date(),
            ends_on=clock().date() + timedelta(days=30), now=clock(), _=translator(),
        )  # fmt: skip
        await run_campaigns(session, clock().date(), clock(), settings.secret(), _=translator())
    # An employee joins by an invite link and rates an internal service.
    async with session_pool() as session, session.begin():
        invite = await create_invite(session, department_code="SOC", uses=1, days=7, now=clock())
        payload = invite_payload(invite)
    await telegram.send(EMPLOYEE.id, f"/start {payload}")
    await telegram.send(EMPLOYEE.id, "/rate")
    await telegram.tap(EMPLOYEE.id, "Техническая поддержка")
    await telegram.tap(EMPLOYEE.id, "Дать согласие")
    for score in ("4", "3", "5"):
        await telegram.tap(EMPLOYEE.id, score)
    await telegram.send(EMPLOYEE.id, "Всё быстро")
    await deliver(telegram, session_pool)
    assert any(
        "Кампания" in (m.text or "") or "опрос" in (m.text or "").lower()
        for m in telegram.session.sent_to(CITIZEN.id)
    ), "the campaign invitation reached the citizen"

    # Handled updates keep no identity in the inbox, before anyone asks for it.
    handled = await every_row(engine)
    assert handled["inbox"], "the updates went through the inbox"
    assert traces({"inbox": handled["inbox"]}, CITIZEN) == [], "handled inbox rows identify"
    assert traces({"inbox": handled["inbox"]}, EMPLOYEE) == []

    await forget(telegram, CITIZEN.id)
    staff_reply = await forget(telegram, EMPLOYEE.id)
    assert "сотрудник" in staff_reply, "a staff member is told what stays: " + staff_reply
    await deliver(telegram, session_pool)

    rows = await every_row(engine)
    assert rows["responses"] and rows["feedback_alerts"] and rows["outbox"], "data was there"
    assert traces(rows, CITIZEN, *citizen_keys) == []
    # Staff keep one thing: the role row that routes their work to them, and only its id.
    kept = traces(rows, EMPLOYEE, *employee_keys)
    assert kept == [("people.telegram_id", EMPLOYEE.id)], kept
    # The statistics are intact: both answers, the campaign's counts.
    assert len(rows["responses"]) == 2
    [campaign] = rows["campaigns"]
    assert campaign["invited"] == 1


async def test_a_stuck_update_is_cleaned_up_and_a_given_up_one_keeps_nothing(
    telegram: ThroughTheInbox, session_pool: SessionPool, engine: AsyncEngine, clock: MovableClock
) -> None:
    stuck = telegram.message_update(CITIZEN.id, "Полдня в очереди")
    poison = telegram.message_update(CITIZEN.id, "/start")
    assert await telegram.inbox.store([stuck, poison]) == {stuck.update_id, poison.update_id}
    async with session_pool() as session, session.begin():
        await session.execute(
            sa.update(InboxUpdate)
            .where(InboxUpdate.update_id == poison.update_id)
            .values(attempts=MAX_ATTEMPTS)
        )
        # The stuck one arrived a while ago and was never handled (its process died).
        await session.execute(
            sa.update(InboxUpdate)
            .where(InboxUpdate.update_id == stuck.update_id)
            .values(received_at=clock() - timedelta(days=2))
        )
    assert traces(await every_row(engine), CITIZEN), "the raw updates are there to be found"

    await retention_job(session_pool, clock)
    rows = await every_row(engine)
    statuses = {row["update_id"]: row["status"] for row in rows["inbox"]}
    assert statuses == {stuck.update_id: "failed", poison.update_id: "pending"}
    assert [row["update_id"] for row in rows["inbox"] if row["payload"]] == [poison.update_id]

    # Restarted: the poison update is given up (attempts exhausted), and nothing of it stays.
    assert await telegram.inbox.recover() == 0
    assert traces(await every_row(engine), CITIZEN) == []


async def downgrade_to_before_retention(engine: AsyncEngine) -> None:
    """The schema just before the inbox-retention migration, whatever its number after a merge."""
    from alembic import command
    from alembic.script import ScriptDirectory

    def run(connection: sa.Connection) -> None:
        config = alembic_config(engine.url.render_as_string(hide_password=False))
        config.attributes["connection"] = connection
        [mine] = [
            script
            for script in ScriptDirectory.from_config(config).walk_revisions()
            if script.path.endswith("_inbox_retention.py")
        ]
        assert isinstance(mine.down_revision, str)
        command.downgrade(config, mine.down_revision)

    async with engine.begin() as connection:
        await connection.run_sync(run)


async def test_the_upgrade_drops_the_updates_earlier_versions_kept(engine: AsyncEngine) -> None:
    await downgrade_to_before_retention(engine)
    update = {"update_id": 5, "message": {"from": {"id": CITIZEN.id, "username": "evlampia_nzb"}}}
    async with engine.begin() as connection:
        for update_id, status in ((5, "done"), (6, "pending")):
            await connection.execute(
                sa.insert(InboxUpdate.__table__).values(
                    update_id=update_id, payload=update, status=status, attempts=0,
                    received_at=datetime.now(UTC),
                )
            )  # fmt: skip
    await upgrade_database(engine)
    rows = {row["update_id"]: row for row in (await every_row(engine))["inbox"]}
    assert rows[5]["payload"] is None and rows[5]["status"] == "done"
    assert rows[6]["payload"] == update, "a pending update is still to be handled"


NEIGHBOUR = 7_312_645_099


async def outbox_chats(pool: SessionPool) -> list[int]:
    async with pool() as session:
        return list((await session.scalars(sa.select(OutboxMessage.chat_id))).all())


async def answered(telegram: ThroughTheInbox, pool: SessionPool, user: int, reply: str) -> None:
    """`user` scores low and asks for an answer; the owner answers; it is delivered."""
    await telegram.send(user, "/start t-SUP01-EPGU")
    for label in ("Дать согласие", "1", "Очередь", "Готово", "рассмотрение", "Высокая"):
        await telegram.tap(user, label)
    await telegram.send(user, "Полдня в очереди")
    await telegram.tap(user, "Пенсионер")
    await telegram.tap(user, "ответ на свой отзыв")
    async with pool() as session:
        alert_id = await session.scalar(sa.text("SELECT max(id) FROM feedback_alerts"))
    await telegram.send(OWNER, "/start")
    await telegram.press(OWNER, AlertCb(a=int(alert_id), x="reply").pack())
    await telegram.send(OWNER, reply)
    await deliver(telegram, pool)
    assert reply in (telegram.last(user).text or "")


async def test_an_expired_link_or_a_withdrawn_consent_leaves_no_relay_behind(
    telegram: ThroughTheInbox, session_pool: SessionPool, settings: Settings, clock: MovableClock
) -> None:
    await answered(telegram, session_pool, CITIZEN.id, "Открыли второе окно")
    clock.advance(days=10)
    await answered(telegram, session_pool, NEIGHBOUR, "Приносим извинения")
    assert sorted(set(await outbox_chats(session_pool))) == [OWNER, CITIZEN.id, NEIGHBOUR]

    # The neighbour withdraws the consent to an answer: their chat is no longer kept.
    thanks = next(
        m
        for m in telegram.session.sent_to(NEIGHBOUR)
        if m.reply_markup and "ответ на свой отзыв" in str(m.reply_markup)
    )
    await telegram.press(NEIGHBOUR, telegram.button(NEIGHBOUR, "ответ на свой отзыв", thanks))
    assert NEIGHBOUR not in await outbox_chats(session_pool), "the relay outlived the consent"

    # The citizen's link expires: the relayed answer no longer ties their chat to the alert.
    retention = settings.model_copy(update={"feedback_link_retention_days": 5})
    await feedback_followup(session_pool, retention, clock)
    assert CITIZEN.id not in await outbox_chats(session_pool), "the relay outlived the link"


async def test_the_role_cache_keeps_nobody_longer_than_its_ttl(
    session_pool: SessionPool, settings: Settings, registry: SmallRegistry
) -> None:
    # ttl=0: every entry has expired by the next update, so the next one must sweep it.
    cache = ActorCache(session_pool, settings.secret(), ttl=0.0)
    await cache.get(CITIZEN)
    await cache.get(EMPLOYEE)
    # Memory is not observable otherwise: look at the entries themselves.
    assert CITIZEN.id not in cache._entries, "an expired actor stays keyed by Telegram id"
    assert len(cache._entries) == 1, "the expired citizen was not swept"


async def test_the_role_cache_holds_no_telegram_id(
    session_pool: SessionPool, settings: Settings, registry: SmallRegistry
) -> None:
    cache = ActorCache(session_pool, settings.secret())
    first = await cache.get(EMPLOYEE)
    again = await cache.get(EMPLOYEE)  # a hit: the id comes from the update, not the cache
    assert again == first and again.telegram_id == EMPLOYEE.id
    for key, (_stamp, _generation, actor) in cache._entries.items():
        assert str(EMPLOYEE.id) not in key and actor.telegram_id != EMPLOYEE.id


def redis_settings(settings: Settings, url: str) -> Settings:
    return settings.model_copy(update={"redis_url": url})


async def test_conversation_keys_in_redis_name_no_telegram_id(settings: Settings) -> None:
    """The key every Redis FSM record is stored under (no server needed to build it)."""
    storage = create_fsm_storage(redis_settings(settings, "redis://127.0.0.1:9/0"), None)  # type: ignore[arg-type]
    assert isinstance(storage, RedisStorage)
    try:
        chat = StorageKey(bot_id=BOT_USER.id, chat_id=CITIZEN.id, user_id=CITIZEN.id)
        for part in ("state", "data", "lock", None):
            built = storage.key_builder.build(chat, part)  # type: ignore[arg-type]
            assert str(CITIZEN.id) not in built, built
    finally:
        await storage.close()


async def test_a_conversation_in_redis_is_stored_and_cleared_without_the_id(
    settings: Settings, redis_url: str
) -> None:
    storage = create_fsm_storage(redis_settings(settings, redis_url), None)  # type: ignore[arg-type]
    assert isinstance(storage, RedisStorage)
    chat = StorageKey(bot_id=BOT_USER.id, chat_id=CITIZEN.id, user_id=CITIZEN.id)
    try:
        await storage.redis.flushdb()
        await storage.set_state(chat, "FeedbackStates:respondent_reply")
        await storage.set_data(chat, {"alert_id": 7})
        assert await storage.get_data(chat) == {"alert_id": 7}
        keys = [key.decode() for key in await storage.redis.keys("*")]
        assert keys and not [key for key in keys if str(CITIZEN.id) in key], keys
        await storage.set_state(chat, None)
        await storage.set_data(chat, {})
        assert await storage.redis.keys("*") == []
    finally:
        await storage.close()


async def test_a_withdrawn_recontact_consent_leaves_no_invitation_behind(
    telegram: ThroughTheInbox,
    session_pool: SessionPool,
    engine: AsyncEngine,
    settings: Settings,
    clock: MovableClock,
) -> None:
    await low_score_with_comment(telegram, CITIZEN.id)  # asks for an answer and to be asked
    async with session_pool() as session, session.begin():
        await start_campaign(
            session, questionnaire_code="touchpoint", audience="touchpoint",
            touchpoint_code="SUP01-EPGU", starts_on=clock().date(),
            ends_on=clock().date() + timedelta(days=30), now=clock(), _=translator(),
        )  # fmt: skip
        await run_campaigns(session, clock().date(), clock(), settings.secret(), _=translator())
    assert CITIZEN.id in await outbox_chats(session_pool)
    await deliver(telegram, session_pool)
    thanks = next(
        m
        for m in telegram.session.sent_to(CITIZEN.id)
        if m.reply_markup and "спросить меня позже" in str(m.reply_markup)
    )
    await telegram.press(CITIZEN.id, telegram.button(CITIZEN.id, "спросить меня позже", thanks))
    rows = await every_row(engine)
    # The answer consent stands (the contact stays for it); the invitations are gone.
    assert [r["chat_id"] for r in rows["respondent_contacts"]] == [CITIZEN.id]
    assert [r for r in rows["campaign_invites"] if r["chat_id"] == CITIZEN.id] == []
    assert [r["kind"] for r in rows["outbox"] if r["chat_id"] == CITIZEN.id] == []
