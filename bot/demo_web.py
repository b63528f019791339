"""The demo's web channel: the real web form on a local port, and citizens with browsers.

The form runs in the demo's process over its database, at a free 127.0.0.1 port that the
demo's OTKLIK_PUBLIC_URL names, so every landing page is the one a QR code would open. Each
citizen is an aiohttp client with cookies of its own (one browser, one respondent) that opens
the landing page, follows «answer on the website», consents and answers over real HTTP with
the plan a Telegram citizen draws; the answers are stored with collected_via='web'.
"""

from __future__ import annotations

import asyncio
import random
import socket
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin

import aiohttp
from aiohttp import web

from bot.demo_acts import DemoTouchpoint, Played
from bot.demo_outcome import DemoLog
from bot.demo_script import TAPS, WAITS, CitizenPlan, plan_citizen
from bot.factory import survey_policy
from core.clock import utcnow
from core.settings import Settings
from registry.links import web_link
from storage.database import SessionPool
from web.app import create_web_app
from web.routes import CHANNEL

REQUEST_SECONDS = 30


class DemoWebError(RuntimeError):
    """A page was not the one the simulated citizen expected: the demo cannot go on."""


@dataclass(frozen=True)
class Button:
    name: str
    value: str
    label: str


class Page(HTMLParser):
    """What a browser would use of a page: its form's fields and buttons, links and text."""

    def __init__(self, url: str, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.url = url
        self.action = url
        self.fields: list[tuple[str, str]] = []  # hidden and text inputs, as a browser sends
        self.buttons: list[Button] = []
        self.checkboxes: list[tuple[str, str]] = []  # value, label
        self.links: dict[str, str] = {}  # label → href
        self._parts: list[str] = []
        self._button: list[str] | None = None
        self._link: list[str] | None = None
        self._checkbox: str | None = None
        self.feed(html)
        self.close()
        self.text = " ".join(self._parts)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = {key: value or "" for key, value in attrs}
        kind = named.get("type", "")
        if tag == "form":
            self.action = urljoin(self.url, named.get("action", ""))
        elif tag == "input" and kind in ("hidden", "text"):
            self.fields.append((named.get("name", ""), named.get("value", "")))
        elif tag == "input" and kind == "checkbox":
            self._checkbox = named.get("value", "")
        elif tag == "button":
            self._button = [named.get("name", ""), named.get("value", ""), ""]
        elif tag == "a":
            self._link = [named.get("href", ""), ""]

    def handle_data(self, data: str) -> None:
        self._parts.append(data)
        if self._button is not None:
            self._button[2] += data
        if self._link is not None:
            self._link[1] += data
        if self._checkbox is not None and data.strip():
            self.checkboxes.append((self._checkbox, data.strip()))
            self._checkbox = None

    def handle_endtag(self, tag: str) -> None:
        if tag == "button" and self._button is not None:
            name, value, label = self._button
            self.buttons.append(Button(name, value, label.strip()))
            self._button = None
        elif tag == "a" and self._link is not None:
            href, label = self._link
            self.links[label.strip()] = urljoin(self.url, href)
            self._link = None

    def button(self, label: str) -> Button:
        """The button labelled `label`, or else the first whose label starts with it."""
        for button in self.buttons:
            if button.label == label:
                return button
        for button in self.buttons:
            if button.label.startswith(label):
                return button
        raise DemoWebError(f"{self.url}: no button «{label}»")

    def checked(self, labels: Sequence[str]) -> list[str]:
        """The values of the checkboxes a person ticks for `labels` (each a label's start)."""
        return [
            value
            for value, label in self.checkboxes
            if any(label.startswith(wanted) for wanted in labels)
        ]

    def choices(self) -> list[str]:
        """The labels of the buttons that are themselves the answer (stages, levels)."""
        return [button.label for button in self.buttons if button.name == "value"]


class Browser:
    """One person's browser: its own cookie jar and the page it is looking at."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session
        self.page = Page("", "")

    async def open(self, url: str, expect: str) -> Page:
        async with self.session.get(url) as response:
            return await self._read(response, expect)

    async def follow(self, label: str, expect: str) -> Page:
        href = self.page.links.get(label)
        if href is None:
            raise DemoWebError(f"{self.page.url}: no link «{label}»")
        return await self.open(href, expect)

    async def press(self, label: str, expect: str, *fields: tuple[str, str]) -> Page:
        """Sends the page's form by the button `label`, with `fields` filled in or checked."""
        button = self.page.button(label)
        data = [*self.page.fields, *fields, (button.name, button.value)]
        async with self.session.post(self.page.action, data=data) as response:
            return await self._read(response, expect)

    async def _read(self, response: aiohttp.ClientResponse, expect: str) -> Page:
        page = Page(str(response.url), await response.text())
        if response.status != 200 or expect not in page.text:
            raise DemoWebError(f"{response.url.path}: {response.status}, no «{expect}»")
        self.page = page
        return page


async def web_citizen(browser: Browser, landing_url: str, plan: CitizenPlan) -> int:
    """A citizen scans a QR code and answers on the website; returns the score given."""
    await browser.open(landing_url, expect=WAITS["landing"])
    await browser.follow(TAPS["answer_on_site"], expect=WAITS["consent"])
    await browser.press(TAPS["agree_on_site"], expect=WAITS["question"].format(number=1))
    after_score = WAITS["what_went_wrong"] if plan.problems else WAITS["comment"]
    await browser.press(str(plan.score), expect=after_score)
    if plan.problems:
        chosen = [("value", value) for value in browser.page.checked(plan.problems)]
        await browser.press(TAPS["done"], WAITS["question"].format(number=3), *chosen)
        if WAITS["stage"] in browser.page.text:
            await browser.press(plan.stage(browser.page.choices()), expect=WAITS["severity"])
        await browser.press(plan.severity, expect=WAITS["comment"])
    if plan.comment:
        await browser.press(TAPS["next"], WAITS["segment"], ("value", plan.comment))
    else:
        await browser.press(TAPS["skip"], expect=WAITS["segment"])
    await browser.press(plan.segment, expect=WAITS["thanks"])
    return plan.score


class WebAct:
    """The web form's act of the demo (a `bot.demo_acts.ChannelAct`)."""

    via = CHANNEL

    def __init__(self, citizens: int) -> None:
        self.citizens = citizens
        # Bound now, so the demo's settings can name the address before the form starts.
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self.public_url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        self._runner: web.AppRunner | None = None

    def configure(self, settings: Settings) -> Settings:
        listen = self.public_url.removeprefix("http://")
        return settings.model_copy(update={"public_url": self.public_url, "web_listen": listen})

    async def start(self, settings: Settings, pool: SessionPool, log: DemoLog) -> None:
        app = create_web_app(settings, pool, survey_policy(settings), utcnow)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.SockSite(self._runner, self._socket).start()
        _ = log._
        log.say(
            _("The web form is running: {url} (OTKLIK_PUBLIC_URL); QR codes open its pages").format(
                url=self.public_url
            )
        )

    async def play(
        self, touchpoints: list[DemoTouchpoint], rng: random.Random, log: DemoLog
    ) -> Played:
        """A few citizens at once, each at a touchpoint of its own, each with its browser."""
        places = rng.sample(touchpoints, k=min(self.citizens, len(touchpoints)))
        plans = [plan_citizen(random.Random(rng.random())) for _place in places]
        timeout = aiohttp.ClientTimeout(total=REQUEST_SECONDS)
        sessions = [
            # As the reverse proxy in front of the form would tell it: each person's own address
            # (documentation range), so the per-address limit counts each person separately.
            aiohttp.ClientSession(
                cookie_jar=aiohttp.CookieJar(unsafe=True),  # cookies for 127.0.0.1 too
                headers={"X-Forwarded-For": f"198.51.100.{number + 1}"},
                timeout=timeout,
            )
            for number in range(len(places))
        ]
        try:
            scores = await asyncio.gather(
                *(
                    web_citizen(Browser(session), web_link(self.public_url, place.code), plan)
                    for session, place, plan in zip(sessions, places, plans, strict=True)
                )
            )
        finally:
            for session in sessions:
                await session.close()
        _ = log._
        log.say(
            _(
                "Citizens answered on the website (the landing page of a QR code, then the "
                "form) — citizens: {citizens}, touchpoints: {touchpoints}, scores: {scores}"
            ).format(
                citizens=len(scores),
                touchpoints=len(places),
                scores=dict(sorted(Counter(scores).items())),
            )
        )
        return Played(self.via, list(scores))

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self._socket.close()
