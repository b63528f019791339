"""/forget in MAX erases the MAX person's link to their answers, and only theirs.

The same number may be one person's Telegram id and another's MAX user id: their keys
differ (an HMAC of the channel and the id), so each channel's /forget touches its own.
"""

from __future__ import annotations

import sqlalchemy as sa

from sandbox.simulated import SimulatedUser
from storage.database import SessionPool
from storage.models import Response
from surveys.respondents import channel_respondent_key, respondent_key
from tests.max.conftest import Running

SECRET = b"test-secret-key"
SAME_NUMBER = 5550010


async def answer(user: SimulatedUser, score: str) -> None:
    await user.start("t-SUP01-EPGU", expect="Прежде чем начать")
    await user.tap("Дать согласие", expect="Вопрос 1")
    await user.tap(score, expect="комментарий")
    await user.say("-", expect="в каком качестве вы обращались")
    await user.tap("Гражданин", expect="Спасибо")


async def keys(pool: SessionPool) -> dict[int | None, str]:
    async with pool() as session:
        rows = await session.execute(sa.select(Response.rating, Response.respondent_key))
        return {rating: key for rating, key in rows}


async def test_forget_in_max_leaves_the_telegram_person_alone(
    running: Running, session_pool: SessionPool
) -> None:
    in_telegram = SimulatedUser(running.telegram, SAME_NUMBER)
    in_max = SimulatedUser(running.max, SAME_NUMBER)
    await answer(in_telegram, "4")
    await answer(in_max, "5")
    before = await keys(session_pool)
    assert before == {
        4: respondent_key(SECRET, SAME_NUMBER),
        5: channel_respondent_key(SECRET, "max", SAME_NUMBER),
    }

    await in_max.say("/forget", expect="")
    await in_max.tap("Да, удалить", expect="больше не связаны")
    after = await keys(session_pool)
    assert after[4] == before[4]
    assert after[5].startswith("forgotten-")

    await in_telegram.say("/forget", expect="")
    await in_telegram.tap("Да, удалить", expect="больше не связаны")
    assert (await keys(session_pool))[4].startswith("forgotten-")
