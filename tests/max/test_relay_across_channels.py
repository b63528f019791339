"""The closed loop across messengers: an owner in one channel answers a citizen in the other.

Each person gets the bot's messages in the channel they use; neither learns who the other
is (the relayed texts carry no ids).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from sandbox.simulated import SimulatedUser, callback_buttons, screen
from storage.database import SessionPool
from storage.delivery_models import OutboxMessage
from storage.models import Person
from tests.conftest import SmallRegistry
from tests.max.conftest import Running

OWNER_MAX_ID, CITIZEN_ID = 6660001, 987001


async def low_score(citizen: SimulatedUser) -> None:
    await citizen.start("t-SUP01-EPGU", expect="Прежде чем начать")
    await citizen.tap("Согласен", expect="Вопрос 1")
    await citizen.tap("1")
    for label in ("Очередь", "Готово", "рассмотрение", "Высокая"):
        await citizen.tap(label)
    await citizen.say("Три часа в очереди, никто не объяснил сроки")
    await citizen.tap("Пенсионер")
    await citizen.tap("ответ на мой отзыв")


def live_buttons(person: SimulatedUser, text: str) -> list[dict[str, object]]:
    """The callback buttons still under the person's message that contains ``text``."""
    [message] = [m for m in person.sandbox.messages(person.chat_id) if text in screen(m)]
    return callback_buttons(message)


@pytest.mark.parametrize("owner_in", ["max", "telegram"])
async def test_an_owner_answers_a_citizen_of_the_other_messenger_and_back(
    running: Running, session_pool: SessionPool, registry: SmallRegistry, owner_in: str
) -> None:
    if owner_in == "max":  # the registry knows this owner by MAX user id only
        async with session_pool() as session, session.begin():
            await session.execute(
                sa.update(Person)
                .where(Person.telegram_id == registry.owner_telegram_id)
                .values(telegram_id=None, max_id=OWNER_MAX_ID)
            )
        owner = SimulatedUser(running.max, OWNER_MAX_ID, timeout=20)
        citizen = SimulatedUser(running.telegram, CITIZEN_ID, timeout=20)
    else:
        owner = SimulatedUser(running.telegram, registry.owner_telegram_id, timeout=20)
        citizen = SimulatedUser(running.max, CITIZEN_ID, timeout=20)
    await owner.start(None, expect="")
    await low_score(citizen)

    await owner.wait_for_button("Ответить")
    assert any("Три часа в очереди" in text for text in owner.texts(5))
    await owner.tap("Ответить", expect="без вашего имени")
    await owner.say("Приносим извинения. С 1 апреля открыто второе окно.", expect="отправлен")

    assert not live_buttons(owner, "Три часа в очереди"), "the answered alert keeps no buttons"
    await citizen.wait_for_button("Ответить")
    assert any("второе окно" in text for text in citizen.texts(3))
    assert not any(str(OWNER_MAX_ID) in text for text in citizen.texts(10))
    await citizen.tap("Ответить")
    await citizen.say("Спасибо, приду ещё раз")
    await owner.sandbox.wait_for(
        owner.chat_id, lambda ms: any("приду ещё раз" in str(m.get("text")) for m in ms), 20
    )
    assert not live_buttons(citizen, "второе окно"), "the answer replied to keeps no buttons"
    async with session_pool() as session:
        sent = (await session.execute(sa.select(OutboxMessage.kind, OutboxMessage.channel))).all()
    citizen_in = "telegram" if owner_in == "max" else "max"
    assert {(kind, channel) for kind, channel in sent} == {
        ("low_score_alert", owner_in),
        ("feedback_answer", citizen_in),
        ("feedback_reply", owner_in),
    }
