"""A citizen's questionnaire in MAX, through the whole stack and the MAX stand-in over HTTP."""

from __future__ import annotations

import sqlalchemy as sa

from core.channels import Channel, address
from sandbox.simulated import SimulatedUser
from storage.database import SessionPool
from storage.delivery_models import InboxUpdate
from storage.models import Response
from surveys.respondents import channel_respondent_key
from tests.max.conftest import Running

SECRET = b"test-secret-key"


async def test_a_deep_link_questionnaire_in_max_is_stored_as_collected_through_max(
    running: Running, session_pool: SessionPool
) -> None:
    citizen = SimulatedUser(running.max, 5550001)
    assert running.max.deep_link("t-SUP01-EPGU").startswith("https://max.ru/")
    await citizen.start("t-SUP01-EPGU", expect="Прежде чем начать")
    await citizen.tap("Дать согласие", expect="Вопрос 1")
    await citizen.tap("5", expect="комментарий")
    await citizen.say("Всё быстро и понятно", expect="в каком качестве вы обращались")
    await citizen.tap("Гражданин", expect="Спасибо")
    said = " ".join(str(m.get("text")) for m in running.max.messages(citizen.chat_id))
    assert "аккаунта MAX" in said and "Telegram" not in said  # the messenger the person uses
    async with session_pool() as session:
        rows = (
            await session.execute(
                sa.select(Response.rating, Response.collected_via, Response.respondent_key)
            )
        ).all()
        inbox = (await session.scalars(sa.select(InboxUpdate.status))).all()
    assert [(r[0], r[1]) for r in rows] == [(5, "max")]
    assert rows[0][2] == channel_respondent_key(SECRET, "max", 5550001)
    assert set(inbox) == {"done"}
    # The same person id in Telegram would be someone else: MAX ids live apart.
    assert address(Channel.MAX, 5550001) != 5550001
