"""The demo's web citizen (bot/demo_web.py) against the real form: what its plan says is stored."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestServer

from bot.demo_script import CITIZEN, CitizenPlan
from bot.demo_web import Browser, DemoWebError, web_citizen
from storage.database import SessionPool
from storage.models import Process, Response, ResponseAnswer
from tests.conftest import SmallRegistry

LANDING = "/t/SUP01-EPGU"


@pytest.fixture
async def citizen_browser() -> AsyncIterator[Browser]:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield Browser(session)


async def stored(pool: SessionPool) -> tuple[Response, dict[str, ResponseAnswer]]:
    async with pool() as session:
        response = (await session.scalars(sa.select(Response))).one()
        answers = {a.question: a for a in (await session.scalars(sa.select(ResponseAnswer)))}
    return response, answers


async def test_an_unhappy_plan_is_answered_question_by_question(
    web_server: TestServer,
    citizen_browser: Browser,
    session_pool: SessionPool,
    registry: SmallRegistry,
) -> None:
    plan = CitizenPlan(
        score=2,
        problems=("Очередь", "Вежливость"),  # the start of «Вежливость сотрудников»
        stage_pick=0.99,
        severity="Высокая",
        comment=CITIZEN["comment_unsatisfied"],
        segment="Пенсионер",
        wants_answer=True,  # the web form offers no contact: nothing to tap
    )
    url = str(web_server.make_url(LANDING))
    assert await web_citizen(citizen_browser, url, plan) == 2

    response, answers = await stored(session_pool)
    async with session_pool() as session:
        stages = (await session.get(Process, registry.process_id)).stages  # type: ignore[union-attr]
    assert (response.collected_via, response.rating, response.segment) == ("web", 2, "pensioner")
    assert response.touchpoint_id == registry.touchpoint_id
    assert sorted(answers["problems"].choices or []) == ["politeness", "queue"]
    assert answers["stage"].value_text == plan.stage(stages) == "получение результата"
    assert answers["criticality"].value_text == "high"
    assert answers["comment"].value_text == CITIZEN["comment_unsatisfied"]


async def test_a_satisfied_plan_skips_the_comment(
    web_server: TestServer, citizen_browser: Browser, session_pool: SessionPool
) -> None:
    plan = CitizenPlan(5, (), 0.0, "Низкая", None, "Гражданин", wants_answer=False)
    assert await web_citizen(citizen_browser, str(web_server.make_url(LANDING)), plan) == 5
    response, answers = await stored(session_pool)
    assert (response.collected_via, response.rating, response.segment) == ("web", 5, "citizen")
    assert set(answers) == {"satisfaction", "segment"}  # no problems, stage or comment


async def test_a_page_other_than_the_expected_one_stops_the_citizen(
    web_server: TestServer, citizen_browser: Browser
) -> None:
    plan = CitizenPlan(5, (), 0.0, "Низкая", None, "Гражданин", wants_answer=False)
    with pytest.raises(DemoWebError, match="404"):
        await web_citizen(citizen_browser, str(web_server.make_url("/t/NO-SUCH")), plan)
