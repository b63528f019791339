"""The web channel's application over a migrated database, driven by aiohttp's test client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from bot.factory import survey_policy
from core.settings import Settings
from storage.database import SessionPool
from surveys.catalogue import sync_questionnaires
from web.app import create_web_app
from web.guard import DEVICE_COOKIE

PUBLIC_URL = "http://otklik.example.gov.ru"  # plain http: the test client sends no Secure cookie


class MovableClock:
    """Time the tests move by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class FormPage(HTMLParser):
    """The hidden fields and the submit buttons of a page, as a browser would send them."""

    hidden: dict[str, str] = field(default_factory=dict)
    buttons: list[tuple[str, str, str]] = field(default_factory=list)  # name, value, label
    checkboxes: list[str] = field(default_factory=list)
    links: dict[str, str] = field(default_factory=dict)  # label → href
    _button: dict[str, str] | None = None
    _link: str | None = None

    def __post_init__(self) -> None:
        HTMLParser.__init__(self)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = {key: value or "" for key, value in attrs}
        if tag == "input" and named.get("type") == "hidden":
            self.hidden[named["name"]] = named.get("value", "")
        elif tag == "input" and named.get("type") == "checkbox":
            self.checkboxes.append(named["value"])
        elif tag == "button":
            self._button = {"name": named.get("name", ""), "value": named.get("value", "")}
            self._button["label"] = ""
        elif tag == "a":
            self._link = named.get("href", "")

    def handle_data(self, data: str) -> None:
        if self._button is not None:
            self._button["label"] += data
        if self._link is not None:
            self.links[data.strip()] = self._link

    def handle_endtag(self, tag: str) -> None:
        if tag == "button" and self._button is not None:
            button = self._button
            self.buttons.append((button["name"], button["value"], button["label"].strip()))
            self._button = None
        elif tag == "a":
            self._link = None


def parse(html: str) -> FormPage:
    page = FormPage()
    page.feed(html)
    return page


@dataclass
class Browser:
    """A person's browser: its own cookies, the last page, and a form it can send."""

    session: aiohttp.ClientSession
    html: str = ""
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)

    async def get(self, path: str, **kwargs: Any) -> str:
        async with self.session.get(path, **kwargs) as response:
            self.status, self.html = response.status, await response.text()
            self.headers = dict(response.headers)
        return self.html

    async def send(self, path: str, *fields: tuple[str, str], **kwargs: Any) -> str:
        """Post the last page's hidden fields plus ``fields``; redirects are followed."""
        data = list(parse(self.html).hidden.items()) + list(fields)
        async with self.session.post(path, data=data, **kwargs) as response:
            self.status, self.html = response.status, await response.text()
            self.headers = dict(response.headers)
        return self.html

    def cookie(self) -> str:
        for cookie in self.session.cookie_jar:
            if cookie.key == DEVICE_COOKIE:
                return cookie.value
        return ""


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(datetime(2025, 3, 12, 9, 30, tzinfo=UTC))


@pytest.fixture
def web_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "public_url": PUBLIC_URL,
            "max_bot_name": "otklik_max_bot",
            "web_rate_per_minute": 1000,
        }
    )


@pytest.fixture
async def web_server(
    web_settings: Settings, session_pool: SessionPool, registry: object, clock: MovableClock
) -> AsyncIterator[TestServer]:
    await sync_questionnaires(session_pool)
    app = create_web_app(web_settings, session_pool, survey_policy(web_settings), clock)
    server = TestServer(app)
    await server.start_server()
    yield server
    await server.close()


@pytest.fixture
async def make_browser(web_server: TestServer) -> AsyncIterator[Callable[[], Browser]]:
    """New browsers (each its own cookies) on the one server."""
    sessions: list[aiohttp.ClientSession] = []

    def build() -> Browser:
        session = aiohttp.ClientSession(
            base_url=web_server.make_url("/"), cookie_jar=aiohttp.CookieJar(unsafe=True)
        )
        sessions.append(session)
        return Browser(session)

    yield build
    for session in sessions:
        await session.close()


@pytest.fixture
async def browser(make_browser: Callable[[], Browser]) -> Browser:
    return make_browser()
