"""The demo's MAX channel: the MAX stand-in in-process, the bot's MAX side, its people.

The stand-in listens on a free 127.0.0.1 port that the demo's OTKLIK_MAX_API_URL names; the
bot serves MAX as `otklik run` does (bot/app.py: the MAX channel, its durable polling and its
outbox sender) with the dispatcher the demo built for Telegram. Citizens open the bot's MAX
deep links and answer with the plans Telegram's citizens draw (collected_via='max'). One
process owner of the demo registry is known by a MAX id only: a Telegram citizen's low score
reaches that owner in MAX, whose answer the bot relays back to the citizen in Telegram.
"""

from __future__ import annotations

import asyncio
import random
import socket
from collections import Counter

import sqlalchemy as sa
from aiogram import Dispatcher
from pydantic import SecretStr

from bot.app import channel_intakes, channel_senders, prepare_max
from bot.demo_acts import DemoTouchpoint, Played
from bot.demo_outcome import DemoLog
from bot.demo_script import (
    LOOP,
    PROBLEMS,
    SEGMENTS,
    SEVERITIES,
    TAPS,
    WAITS,
    CitizenPlan,
    plan_citizen,
)
from bot.max.channel import MaxChannel, create_max_channel
from core.channels import Channel
from core.clock import utcnow
from core.settings import Settings
from sandbox import MaxSandboxServer
from sandbox.jsontypes import JsonDict
from sandbox.simulated import PersonFacing, SimulatedUser, screen
from storage.database import SessionPool
from storage.models import ClientType, Person, Process, Touchpoint

MAX_TOKEN = "demo-max-token"
MAX_CITIZENS_FROM = 400_000
OWNER_MAX_ID = 480_001
LOOP_CITIZEN = 300_001  # in Telegram: the citizen whose low score the MAX owner answers
SKIP_OWNER = 700_002  # the declining process's owner stays in Telegram for the analytics act
TIMEOUT = 30
EXTERNAL = ClientType.EXTERNAL


async def answer_questionnaire(user: SimulatedUser, plan: CitizenPlan) -> int:
    """From the consent prompt to the thanks, in either messenger; returns the score."""
    await user.tap(TAPS["agree"], expect=WAITS["question"].format(number=1))
    await user.tap(str(plan.score), expect=WAITS["question"].format(number=2))
    if plan.problems:
        for problem in plan.problems:
            await user.tap(problem, expect=WAITS["what_went_wrong"])
        await user.tap(TAPS["done"], expect=WAITS["question"].format(number=3))
        if WAITS["stage"] in user.last_text:
            await user.tap(plan.stage(user.buttons()), expect=WAITS["severity"])
        await user.tap(plan.severity, expect=WAITS["comment"])
    if plan.comment:
        await user.say(plan.comment, expect=WAITS["segment"])
    else:
        await user.tap(TAPS["skip"], expect=WAITS["segment"])
    await user.tap(plan.segment, expect=WAITS["thanks"])
    if plan.wants_answer:
        await user.tap(TAPS["want_answer"], expect=WAITS["thanks"])
    return plan.score


async def max_citizen(user: SimulatedUser, payload: str, plan: CitizenPlan) -> int:
    """A citizen opens the bot's MAX deep link (a QR code) and answers in MAX."""
    await user.start(payload, expect=WAITS["consent"])
    return await answer_questionnaire(user, plan)


def unhappy_plan() -> CitizenPlan:
    """The Telegram citizen of the closed loop: a low score, a comment, an answer wanted."""
    return CitizenPlan(
        score=1,
        problems=PROBLEMS[:1],
        stage_pick=0.0,
        severity=SEVERITIES[-1],
        comment=LOOP["comment"],
        segment=SEGMENTS[0],
        wants_answer=True,
    )


async def wait_text(
    user: SimulatedUser, text: str, *, changed_since: dict[int, str] | None = None
) -> int:
    """Waits for a bot message in the person's chat that shows `text` (and is new or changed
    since `changed_since`, when given); returns its message id."""
    seen = changed_since or {}

    def showing(messages: list[JsonDict]) -> list[JsonDict]:
        return [
            m
            for m in messages
            if text in str(m.get("text") or "") and seen.get(int(m["message_id"])) != screen(m)
        ]

    messages = await user.sandbox.wait_for(user.chat_id, lambda ms: bool(showing(ms)), TIMEOUT)
    return int(showing(messages)[-1]["message_id"])


class MaxAct:
    """MAX's act of the demo (a `bot.demo_acts.ChannelAct`); `attach` before `start`."""

    via = Channel.MAX.value

    def __init__(self, citizens: int) -> None:
        self.citizens = citizens
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:  # a free port, now,
            probe.bind(("127.0.0.1", 0))  # so the settings can name the stand-in's address
            port = probe.getsockname()[1]
        self.server = MaxSandboxServer(port=port)
        self.base_url = f"http://127.0.0.1:{port}"
        self.telegram_citizens = 0
        """Citizens this act played in Telegram (the closed loop's), for the summary."""
        self.dispatcher: Dispatcher | None = None
        self.telegram: PersonFacing | None = None
        self._loop_payload: str | None = None  # a touchpoint of the MAX owner's process
        self._channel: MaxChannel | None = None
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def attach(self, dispatcher: Dispatcher, telegram: PersonFacing) -> None:
        """The demo's dispatcher (shared with Telegram) and Telegram's stand-in (the loop)."""
        self.dispatcher, self.telegram = dispatcher, telegram

    def configure(self, settings: Settings) -> Settings:
        return settings.model_copy(
            update={"max_token": SecretStr(MAX_TOKEN), "max_api_url": self.base_url}
        )

    async def start(self, settings: Settings, pool: SessionPool, log: DemoLog) -> None:
        assert self.dispatcher is not None, "MaxAct.attach comes before start"
        await self.server.start()
        self._channel = channel = create_max_channel(settings, pool)
        await prepare_max(channel, settings, self._stop)
        workers = [
            *(
                sender.run(self._stop, idle=0.2)
                for sender in channel_senders(settings, pool, utcnow, None, channel)
            ),
            *channel_intakes(
                settings, self.dispatcher, pool, self._stop, None, channel, None, False
            ),
        ]
        self._tasks = [asyncio.create_task(worker) for worker in workers]
        await self._owner_in_max(pool)
        _ = log._
        log.say(
            _("The MAX stand-in is running: {url}; the bot serves MAX too (long polling)").format(
                url=self.base_url
            )
        )

    async def _owner_in_max(self, pool: SessionPool) -> None:
        """One process owner of the registry is known by a MAX id only (`max:ID`)."""
        async with pool() as session, session.begin():
            person = await session.scalar(
                sa.select(Person)
                .join(Process, Process.owner_id == Person.id)
                .join(Touchpoint, Touchpoint.process_id == Process.id)
                .where(Person.telegram_id != SKIP_OWNER, Process.client_type == EXTERNAL)
                .where(Touchpoint.active)
                .order_by(Process.code)
                .limit(1)
            )
            assert person is not None, "the example registry names process owners"
            person.telegram_id, person.max_id = None, OWNER_MAX_ID
            self._loop_payload = await session.scalar(
                sa.select(Touchpoint.payload)
                .join(Process, Process.id == Touchpoint.process_id)
                .where(Process.owner_id == person.id, Process.client_type == EXTERNAL)
                .where(Touchpoint.active)
                .order_by(Touchpoint.code)
                .limit(1)
            )

    async def play(
        self, touchpoints: list[DemoTouchpoint], rng: random.Random, log: DemoLog
    ) -> Played:
        """MAX citizens at once, each at a touchpoint of its own, and the closed loop."""
        places = [touchpoints[i % len(touchpoints)] for i in range(self.citizens)]
        rng.shuffle(places)
        plans = [plan_citizen(random.Random(rng.random())) for _place in places]
        owner = SimulatedUser(self.server, OWNER_MAX_ID, timeout=TIMEOUT)
        await owner.start(None, expect="")  # the owner has opened the bot in MAX once
        scores, _looped = await asyncio.gather(
            asyncio.gather(
                *(
                    max_citizen(
                        SimulatedUser(self.server, MAX_CITIZENS_FROM + i), place.payload, plan
                    )
                    for i, (place, plan) in enumerate(zip(places, plans, strict=True))
                )
            ),
            self._closed_loop(owner, log),
        )
        _ = log._
        log.say(
            _(
                "Citizens answered in MAX (the bot's deep link of a QR code) — citizens: "
                "{citizens}, touchpoints: {touchpoints}, scores: {scores}"
            ).format(
                citizens=len(scores),
                touchpoints=len({place.code for place in places}),
                scores=dict(sorted(Counter(scores).items())),
            )
        )
        return Played(self.via, list(scores))

    async def _closed_loop(self, owner: SimulatedUser, log: DemoLog) -> None:
        """A Telegram citizen's low score; the owner answers in MAX; the answer is relayed."""
        assert self.telegram is not None and self._loop_payload is not None
        citizen = SimulatedUser(self.telegram, LOOP_CITIZEN, timeout=TIMEOUT)
        await citizen.say(f"/start {self._loop_payload}", expect=WAITS["consent"])
        await answer_questionnaire(citizen, unhappy_plan())
        self.telegram_citizens += 1
        alert = await wait_text(owner, LOOP["comment"])
        _ = log._
        log.say(_("A Telegram citizen gave a low score; the process owner got the alert in MAX"))
        before = {int(m["message_id"]): screen(m) for m in self.server.messages(owner.chat_id)}
        self.server.press_button(OWNER_MAX_ID, LOOP["answer_tap"], message_id=alert)
        await wait_text(owner, LOOP["reply_prompt"], changed_since=before)
        await owner.say(LOOP["answer"], expect=LOOP["answer_sent"])
        await wait_text(citizen, LOOP["answer"])
        log.say(
            _("The owner answered in MAX; the bot relayed the answer to the citizen in Telegram")
        )

    async def stop(self) -> None:
        self._stop.set()
        await asyncio.gather(*self._tasks)
        self._tasks = []
        if self._channel is not None:
            await self._channel.bot.session.close()
            self._channel = None
        await self.server.stop()
