"""The officer's button under the publication reminder records it (seed 002 §3.1)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from core.calendar import default_calendar
from core.i18n import translator
from core.speech import actions_from_json
from handlers.callbacks import RegistryCb
from handlers.speech import inline_keyboard
from registry.publication import queue_publication_reminders, record_change
from storage.database import SessionPool
from storage.delivery_models import OutboxMessage
from storage.models import Person, RegistryChange
from tests.mocked_bot import Telegram

OFFICER, STRANGER = 900001, 8101
CHANGED = date(2025, 3, 11)  # the clock fixture's today is 12.03.2025


async def test_the_button_records_the_publication_once(
    telegram: Telegram, session_pool: SessionPool
) -> None:
    async with session_pool() as session, session.begin():
        officer = Person(telegram_id=OFFICER, is_officer=True)
        session.add_all([officer, Person(telegram_id=STRANGER, is_employee=True)])
        change = await record_change(session, CHANGED, default_calendar())
        assert change.publish_by == date(2025, 3, 18)  # 5 working days after 11.03.2025
        assert (
            await queue_publication_reminders(
                session, CHANGED, default_calendar(), translator("ru")
            )
            == 1
        )
    async with session_pool() as session:
        reminder = await session.scalar(
            sa.select(OutboxMessage).where(OutboxMessage.kind == "registry_publication")
        )
    assert reminder is not None and reminder.chat_id == OFFICER
    markup = inline_keyboard(actions_from_json(reminder.actions))
    for chat in (STRANGER, OFFICER):  # as the sender delivers it (bot.delivery)
        await telegram.bot.send_message(chat, reminder.text, reply_markup=markup)

    await telegram.tap(STRANGER, "Размещён на сайте")  # not an officer: nothing recorded
    async with session_pool() as session:
        assert (await session.get(RegistryChange, change.id)).published_on is None  # type: ignore[union-attr]

    await telegram.tap(OFFICER, "Размещён на сайте")

    assert "Размещение реестра на сайте 12.03.2025 отмечено." in (telegram.last(OFFICER).text or "")
    async with session_pool() as session:
        stored = await session.get(RegistryChange, change.id)
    assert stored is not None
    assert (stored.published_on, stored.published_by) == (date(2025, 3, 12), officer.id)

    # A second press (an old copy of the reminder) records nothing more.
    await telegram.press(OFFICER, RegistryCb(c=change.id).pack(), telegram.last(OFFICER))
    assert "уже отмечено" in (telegram.last(OFFICER).text or "")
    async with session_pool() as session:
        again = await session.get(RegistryChange, change.id)
    assert again is not None and again.published_on == date(2025, 3, 12)
