"""Ballot stuffing and abuse: the signed device cookie, CSRF tokens, the per-address limit and
the honeypot, each explained to the person in Russian."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import sqlalchemy as sa
from aiohttp.test_utils import TestServer

from bot.factory import survey_policy
from core.settings import Settings
from storage.database import SessionPool
from storage.models import Respondent, Response
from tests.web.conftest import Browser, MovableClock, parse
from tests.web.test_form import FORM, LANDING, button, consent
from web.app import create_web_app
from web.guard import RateLimit, Signer


async def test_device_cookie_is_signed_httponly_and_samesite(browser: Browser) -> None:
    await browser.get(FORM)
    set_cookie = browser.headers["Set-Cookie"]
    assert "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie and "Path=/t/" in set_cookie
    device_id, _dot, signature = browser.cookie().rpartition(".")
    assert len(device_id) >= 20 and len(signature) == 32


def test_a_tampered_cookie_is_no_device() -> None:
    signer = Signer(b"secret")
    cookie = signer.device_cookie("abc123")
    assert signer.device_of(cookie) == "abc123"
    device_id, _dot, signature = cookie.rpartition(".")
    assert signer.device_of(f"abc124.{signature}") is None
    assert signer.device_of(f"{device_id}.{signature[:-1]}0") is None
    assert signer.device_of(Signer(b"other").device_cookie("abc123")) is None
    assert signer.device_of("") is None and signer.device_of(None) is None


async def test_a_forged_cookie_starts_a_new_respondent(
    browser: Browser, make_browser: Callable[[], Browser], session_pool: SessionPool
) -> None:
    """Someone who edits the cookie to be another person gets a new device, not theirs."""
    html = await consent(browser)
    assert "Вопрос 1" in html
    forged = "x" + browser.cookie()
    forger = make_browser()
    html = await forger.get(FORM, headers={"Cookie": f"otklik_device={forged}"})
    assert "Прежде чем начать" in html  # not the consented person
    issued = forger.headers["Set-Cookie"]  # a new device, in place of the forged one
    assert issued.startswith("otklik_device=") and forged not in issued


async def test_csrf_refusals_keep_the_progress(
    browser: Browser, make_browser: Callable[[], Browser], clock: MovableClock
) -> None:
    html = await consent(browser)
    html = await browser.send(FORM, button(html, "5"))
    assert "комментарий" in html
    page = browser.html
    # no token at all (a form posted from another site)
    async with browser.session.post(FORM, data={"value": "тест"}) as response:
        assert response.status == 403
        assert "Срок действия страницы истёк" in await response.text()
    # a token issued to another browser
    other = make_browser()
    await other.get(FORM)
    other.html = page
    html = await other.send(FORM, ("value", "чужой"))
    assert other.status == 403 and "Срок действия страницы истёк" in html
    # a token too old
    clock.advance(hours=13)
    browser.html = page
    html = await browser.send(FORM, ("value", "поздно"))
    assert browser.status == 403
    continue_link = parse(html).links["Продолжить"]
    clock.advance(hours=-13)
    html = await browser.get(continue_link)
    assert "комментарий" in html  # the answer given before is kept: the same question


async def test_honeypot_refuses_and_stores_nothing(
    browser: Browser, session_pool: SessionPool
) -> None:
    await browser.get(FORM)
    html = await browser.send(FORM, ("go", "consent"), ("website", "http://spam.example"))
    assert browser.status == 400 and "Форма не принята" in html
    assert "скрытое поле" in html
    async with session_pool() as session:
        assert (await session.scalars(sa.select(Respondent))).all() == []


async def test_declining_stores_nothing(browser: Browser, session_pool: SessionPool) -> None:
    await browser.get(FORM)
    html = await browser.send(FORM, button(browser.html, "Нет, спасибо"))
    assert "Ничего не сохранено" in html
    async with session_pool() as session:
        assert (await session.scalars(sa.select(Respondent))).all() == []
        assert (await session.scalars(sa.select(Response))).all() == []


async def test_rate_limit_per_address(
    web_settings: Settings, session_pool: SessionPool, registry: object, clock: MovableClock
) -> None:
    settings = web_settings.model_copy(update={"web_rate_per_minute": 3})
    server = TestServer(create_web_app(settings, session_pool, survey_policy(settings), clock))
    await server.start_server()
    try:
        import aiohttp

        async with aiohttp.ClientSession(base_url=server.make_url("/")) as session:
            for _ in range(3):
                async with session.get(LANDING, headers={"X-Forwarded-For": "203.0.113.7"}) as r:
                    assert r.status == 200
            async with session.get(LANDING, headers={"X-Forwarded-For": "203.0.113.7"}) as r:
                assert r.status == 429 and int(r.headers["Retry-After"]) >= 1
                text = await r.text()
                assert "Слишком много запросов" in text and "Подождите минуту" in text
            async with session.get(LANDING, headers={"X-Forwarded-For": "198.51.100.2"}) as r:
                assert r.status == 200  # another address is not held up
            clock.advance(seconds=61)
            async with session.get(LANDING, headers={"X-Forwarded-For": "203.0.113.7"}) as r:
                assert r.status == 200
    finally:
        await server.close()


def test_rate_limit_forgets_idle_addresses() -> None:
    now = [datetime(2025, 1, 1, tzinfo=UTC)]
    limit = RateLimit(1, lambda: now[0])
    limit.MAX_ADDRESSES = 2
    assert limit.retry_after("a") == 0 and limit.retry_after("b") == 0
    assert limit.retry_after("a") > 0
    now[0] = now[0].replace(minute=5)
    assert limit.retry_after("c") == 0 and limit.retry_after("a") == 0
