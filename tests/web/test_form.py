"""The questionnaire on the web, end to end: landing, consent, every kind of question, the
stored response and its rollup, the daily limit, and the remembered segment."""

from __future__ import annotations

import sqlalchemy as sa

from core.settings import Settings
from storage.database import SessionPool
from storage.models import MonthlyRollup, OrganizationSettings, Respondent, Response, ResponseAnswer
from surveys.respondents import channel_respondent_key
from tests.conftest import SmallRegistry
from tests.web.conftest import Browser, MovableClock, parse
from web.guard import Signer

LANDING = "/t/SUP01-EPGU"
FORM = LANDING + "/form"


def button(html: str, label: str) -> tuple[str, str]:
    """The (name, value) a tap on the button labelled ``label`` sends."""
    for name, value, text in parse(html).buttons:
        if text == label:
            return name, value
    raise AssertionError(f"no button {label!r} among {parse(html).buttons}")


async def consent(browser: Browser) -> str:
    await browser.get(FORM)
    assert "Прежде чем начать" in browser.html, browser.html
    return await browser.send(FORM, button(browser.html, "Дать согласие и начать"))


async def test_landing_offers_every_channel(
    browser: Browser, session_pool: SessionPool, registry: SmallRegistry
) -> None:
    async with session_pool() as session, session.begin():
        session.add(OrganizationSettings(name="Министерство труда", bot_username="otklik_bot"))
    html = await browser.get(LANDING)
    assert browser.status == 200
    links = parse(html).links
    assert links["Ответить в Telegram"] == "https://t.me/otklik_bot?start=t-SUP01-EPGU"
    assert links["Ответить в MAX"] == "https://max.ru/otklik_max_bot?start=t-SUP01-EPGU"
    assert links["Ответить на сайте"] == FORM
    for words in ("Министерство труда", "Назначение ежемесячной денежной выплаты", "Портал"):
        assert words in html
    assert '<html lang="ru">' in html and 'name="viewport"' in html


async def test_unknown_code_is_explained(browser: Browser) -> None:
    for path in ("/t/NO-SUCH", "/t/NO-SUCH/form"):
        html = await browser.get(path)
        assert browser.status == 404
        assert "Ссылка не распознана" in html


async def test_whole_questionnaire_lands_in_responses_and_rollup(
    browser: Browser, session_pool: SessionPool, web_settings: Settings, registry: SmallRegistry
) -> None:
    html = await consent(browser)
    assert "Вопрос 1" in html and "Оцените" in html
    assert [text for _n, _v, text in parse(html).buttons] == ["1", "2", "3", "4", "5"]
    html = await browser.send(FORM, button(html, "2"))
    assert "Что пошло не так?" in html  # the condition: a low score asks what went wrong
    assert parse(html).checkboxes[:2] == ["waiting_time", "queue"]
    html = await browser.send(FORM, ("value", "waiting_time"), ("value", "queue"))
    assert "На каком этапе" in html
    html = await browser.send(FORM, button(html, "рассмотрение"))
    assert "Насколько серьёзной" in html
    html = await browser.send(FORM, button(html, "Высокая"))
    assert "комментарий" in html and "<textarea" in html
    html = await browser.send(FORM, ("value", "  Долго ждали <b>очень</b>  "))
    assert "в каком качестве вы обращались?" in html
    html = await browser.send(FORM, button(html, "Пенсионер"))
    assert browser.status == 200 and "Спасибо! Ваш ответ сохранён." in html

    device_id = Signer(web_settings.secret()).device_of(browser.cookie())
    assert device_id is not None
    key = channel_respondent_key(web_settings.secret(), "web", device_id)
    async with session_pool() as session:
        response = (await session.scalars(sa.select(Response))).one()
        answers = {
            row.question: row for row in (await session.scalars(sa.select(ResponseAnswer))).all()
        }
        rollup = (await session.scalars(sa.select(MonthlyRollup))).one()
        respondent = await session.get(Respondent, key)
    assert response.respondent_key == key and response.collected_via == "web"
    assert (response.rating, response.segment) == (2, "pensioner")
    assert response.touchpoint_id == registry.touchpoint_id
    assert answers["problems"].choices == ["waiting_time", "queue"]
    assert answers["stage"].value_text == "рассмотрение"
    assert answers["criticality"].value_text == "high"
    assert answers["comment"].value_text == "Долго ждали <b>очень</b>"
    assert rollup.n == 1 and rollup.touchpoint_id == registry.touchpoint_id
    assert respondent is not None and respondent.consent_at is not None

    html = await browser.get(FORM)  # the daily limit, explained
    assert "Вы уже оценили эту услугу сегодня" in html


async def test_high_score_skips_the_conditions_and_the_segment_is_asked_once(
    browser: Browser, session_pool: SessionPool, clock: MovableClock
) -> None:
    html = await consent(browser)
    html = await browser.send(FORM, button(html, "5"))
    assert "комментарий" in html  # no problems, stage, criticality after a 5
    html = await browser.send(FORM, button(html, "Пропустить"))
    html = await browser.send(FORM, button(html, "Гражданин"))
    assert "Спасибо!" in html
    clock.advance(days=1)
    html = await browser.get(FORM)
    assert "Прежде чем начать" not in html  # consent is given once
    html = await browser.send(FORM, button(html, "4"))
    html = await browser.send(FORM, ("value", ""))  # an optional comment left empty
    assert "Спасибо!" in html  # the segment was told yesterday: not asked again
    async with session_pool() as session:
        rows = (await session.execute(sa.select(Response.rating, Response.segment))).all()
    assert sorted(rows) == [(4, "citizen"), (5, "citizen")]


async def test_back_and_refused_answers(browser: Browser) -> None:
    html = await consent(browser)
    html = await browser.send(FORM, ("value", "9"))  # not on the scale
    assert browser.status == 422 and "Выберите ответ" in html
    html = await browser.send(FORM, button(html, "1"))
    html = await browser.send(FORM)  # "Done" with nothing chosen in a required choice
    assert browser.status == 422 and "Что пошло не так?" in html
    html = await browser.send(FORM, button(html, "← Назад"))
    assert "Оцените" in html
    html = await browser.send(FORM, button(html, "5"))
    html = await browser.send(FORM, ("value", "<script>" + "я" * 1000))
    assert browser.status == 422 and "1000" in html
    assert "&lt;script&gt;" in html and "<script>" not in html  # kept, and escaped


async def test_an_old_form_changes_nothing(browser: Browser, session_pool: SessionPool) -> None:
    """A form sent twice (a double tap, the back button) answers only once."""
    html = await consent(browser)
    first = html
    await browser.send(FORM, button(html, "5"))
    browser.html = first
    html = await browser.send(FORM, button(first, "1"))
    assert "комментарий" in html  # still after the 5: the stale 1 was refused
