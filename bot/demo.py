"""`otklik demo`: the whole product on this machine, no token and no network.

Starts the sandbox Bot API and the real bot against it, loads the example registry,
plays simulated citizens and employees, and prints what happened.
"""

from __future__ import annotations

import asyncio
import random
import re
import secrets
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from random import Random
from typing import TypeVar

import sqlalchemy as sa
from pydantic import SecretStr

from bot.app import prepare
from bot.bootstrap import open_storage
from bot.delivery import OutboxSender
from bot.demo_acts import ChannelAct, Played, count_answers, external_touchpoints
from bot.demo_history import simulate_history
from bot.demo_max import MaxAct, answer_questionnaire
from bot.demo_outcome import DemoLog, print_outcome, save_charts_and_reports
from bot.demo_script import LOCALE, TAPS, WAITS, plan_citizen
from bot.demo_web import WebAct
from bot.factory import create_bot, create_dispatcher
from bot.intake import Inbox, durable_polling
from core.clock import Clock, utcnow
from core.i18n import DEFAULT_LOCALE, translator
from core.periods import last_complete_month
from core.settings import DEMO_TOKEN, Settings
from handlers.menus import MenuKeeper
from jobs.cases import run_case_reminders
from jobs.scan import scan_and_notify
from reengineering.cases import case_view, complete_step, open_cases_from_detections
from registry.importing import import_registry
from sandbox import SandboxServer
from sandbox.telegram.simulated import SimulatedUser
from storage.database import SessionPool
from storage.delivery_models import OutboxMessage, OutboxStatus
from storage.models import Person

T = TypeVar("T")
# The shared pager's buttons (handlers.keyboards.pager_row): not a choice of the list.
PAGER = re.compile(r"^‹ |›$|^(стр\.|page) \d+ (из|of) \d+$")
EXAMPLE_REGISTRY = Path(__file__).resolve().parent.parent / "examples" / "registry.xlsx"
OFFICER_ID = 900_001
DECLINING, DECLINING_OWNER = "SUP02", 700_002
CITIZENS_FROM = 100_000
EMPLOYEES_FROM = 200_000


async def citizen(user: SimulatedUser, payload: str, rng: random.Random) -> int:
    """A citizen scans a QR code and answers in Telegram; returns the score given."""
    await user.say(f"/start {payload}", expect=WAITS["consent"])
    return await answer_questionnaire(user, plan_citizen(rng))


async def employee(user: SimulatedUser, invite_link: str, rng: random.Random) -> None:
    payload = invite_link.rsplit("start=", 1)[1]
    await user.say(f"/start {payload}", expect=WAITS["welcome"])
    await user.say("/rate", expect=WAITS["which_service"])
    services = [b for b in user.buttons() if not PAGER.search(b)]  # a service, not «Далее ›»
    await user.tap(rng.choice(services), expect=WAITS["consent"])
    await user.tap(TAPS["agree"], expect=WAITS["question"].format(number=1))
    for number in (2, 3, 4):
        await user.tap(str(rng.randint(2, 5)), expect=WAITS["question"].format(number=number))
    await user.tap(TAPS["skip"], expect=WAITS["thanks"])


async def officer_creates_invite(officer: SimulatedUser) -> str:
    await officer.say("/invite", expect=WAITS["which_department"])
    await officer.tap(TAPS["department"], expect=WAITS["how_many_people"])
    await officer.tap("50", expect=WAITS["how_many_days"])
    await officer.tap("7", expect=WAITS["invite_created"])
    # Not the last message: the registry's publication reminder (seed 002 §3.1), held until
    # the officer first writes, may arrive after the link.
    words = (word for text in reversed(officer.texts(5)) for word in text.split())
    return next(word for word in words if word.startswith("https://t.me/"))


async def in_batches(jobs: Sequence[Callable[[], Awaitable[T]]], size: int) -> list[T]:
    """Run simulated people `size` at a time, like a queue at a reception desk."""
    results: list[T] = []
    for start in range(0, len(jobs), size):
        results.extend(await asyncio.gather(*(job() for job in jobs[start : start + size])))
    return results


async def analytics_act(
    sandbox: SandboxServer, pool: SessionPool, settings: Settings, out: Path, log: DemoLog
) -> None:
    """Twelve months of history, the monthly scan, the owner's alert, charts and reports."""
    today = datetime.now(settings.tz).date()
    month = last_complete_month(today)
    _ = log._
    owner = SimulatedUser(sandbox, DECLINING_OWNER, timeout=30)
    await owner.say("/start", expect=WAITS["hello"])  # Telegram only lets bots write to known chats
    history = await simulate_history(pool, until=month, declining_code=DECLINING)
    log.say(
        _(
            "Added 12 months of history ({first}–{last}): {responses} answers; "
            "the process {process} gets worse in the last months"
        ).format(
            first=f"{history.months[0]:%m.%Y}",
            last=f"{month:%m.%Y}",
            responses=history.responses,
            process=DECLINING,
        )
    )
    report = await scan_and_notify(pool, settings, month, utcnow)
    for detection in report.new:
        log.say(
            _("Scan of {month}: {level} — {reason}").format(
                month=f"{month:%m.%Y}", level=detection.level, reason=detection.reason
            )
        )
    alert = WAITS["decline_alert"]
    await sandbox.wait_for(
        DECLINING_OWNER, lambda ms: any(alert in str(m.get("text")) for m in ms), 30
    )
    log.say(
        _("The owner of {process} got the alert and the chart through the outbox").format(
            process=DECLINING
        )
    )
    await owner.say("/stats", expect=WAITS["stats"])
    stats = " · ".join(owner.last_text.splitlines()[1:3])
    log.say(_("The owner asked for /stats: {stats}").format(stats=stats))

    folder = out / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    await save_charts_and_reports(pool, settings, month, folder, DECLINING)
    log.say(_("Charts and Excel reports are saved to the folder {folder}").format(folder=folder))


async def reengineering_act(
    sandbox: SandboxServer, pool: SessionPool, settings: Settings, log: DemoLog
) -> None:
    """The decline opens a case; the owner works through research; the group decides; reminders."""
    now = utcnow()
    today = now.astimezone(settings.tz).date()
    async with pool() as session, session.begin():
        [opened] = await open_cases_from_detections(session, now, tz=settings.tz)
        view = await case_view(session, opened.case_id, today=today)
        owner_person = await session.scalar(
            sa.select(Person.id).where(Person.telegram_id == DECLINING_OWNER)
        )
    _ = log._
    log.say(
        _("The decline opened the case {case} for the process {process}: «{ground}»").format(
            case=view.number, process=DECLINING, ground=view.ground_title
        )
    )
    owner = SimulatedUser(sandbox, DECLINING_OWNER, timeout=30)
    await owner.say("/cases", expect=WAITS["cases"])
    await owner.tap(view.process_name[:20])
    await owner.wait_for_button(TAPS["mark_done"].format(step="R2"))
    for step in ("R1", "R2"):
        await owner.tap(TAPS["mark_done"].format(step=step), expect=f"✅ {step}")
    log.say(_("The process owner marked the steps R1 and R2 done in the bot"))
    assert owner_person is not None
    for step in ("R3", "R5", "R4", "R6"):
        async with pool() as session, session.begin():
            await complete_step(session, opened.case_id, step, owner_person, on=today, at=now)
    log.say(_("The research (R3–R6: survey, list of difficulties, analysis of standards) is done"))
    officer = SimulatedUser(sandbox, OFFICER_ID, timeout=30)
    await decide_change(officer, view.process_name, "R7")
    async with pool() as session, session.begin():
        await complete_step(session, opened.case_id, "R8", owner_person, on=today, at=now)
    await decide_change(officer, view.process_name, "R8C")
    log.say(
        _("The working group and the customer-centricity officer decided: the process must change")
    )

    started = await latest_outbox_id(pool)
    for offset in range(1, 22):
        day = today + timedelta(days=offset)
        moment = datetime.combine(day, datetime.min.time(), settings.tz).replace(hour=11)
        await run_case_reminders(pool, fixed_clock(moment), settings)
    async with pool() as session:
        digests = (
            await session.scalars(
                sa.select(OutboxMessage)
                .where(OutboxMessage.id > started, OutboxMessage.kind == "deadline_digest")
                .order_by(OutboxMessage.id)
            )
        ).all()
        items = await session.scalar(
            sa.select(sa.func.count(OutboxMessage.id)).where(
                OutboxMessage.id > started, OutboxMessage.status == OutboxStatus.DIGESTED
            )
        )
    log.say(
        _(
            "Deadline reminders over the next three weeks (working days only): {items} "
            "reminders came as {digests} digests, at most one a day per person:"
        ).format(items=items or 0, digests=len(digests))
    )
    ours = [d for d in digests if d.chat_id in (DECLINING_OWNER, OFFICER_ID)]
    log.say(
        _("Of them, the declining process's owner and the officer got {count}:").format(
            count=len(ours)
        )
    )
    for digest in ours:
        day_of = (digest.dedupe_key or "").split(":")[1]
        who = _("to the owner") if digest.chat_id == DECLINING_OWNER else _("to the officer")
        lines = sum(1 for line in digest.text.splitlines() if line.startswith(("•", "🔴")))
        steps = " ".join(dict.fromkeys(re.findall(WAITS["reminder_step"], digest.text)))
        print(f"  {day_of}  {who:38} {lines:3}  {steps[:40]}")


async def decide_change(officer: SimulatedUser, process_name: str, step: str) -> None:
    """The officer records the decision «the process must change» at `step` in the bot."""
    button = TAPS["needs_change"].format(step=step)
    await officer.say("/cases", expect=WAITS["cases"])
    await officer.tap(process_name[:20])
    await officer.wait_for_button(button)
    await officer.tap(button, expect=WAITS["record_decision"])
    await officer.tap(TAPS["confirm_decision"], expect=f"✅ {step}")


def fixed_clock(moment: datetime) -> Clock:
    return lambda: moment


async def latest_outbox_id(pool: SessionPool) -> int:
    async with pool() as session:
        return int(await session.scalar(sa.select(sa.func.max(OutboxMessage.id))) or 0)


async def run_demo(out: Path, *, fast: bool = False, locale: str = DEFAULT_LOCALE) -> int:
    """Plays the whole product once; 0 when every simulated answer was stored.

    The narration speaks `locale`; the bot speaks the script's language, as its simulated
    people do (bot/demo_script.yaml).
    """
    database = fresh_database(out)
    log = DemoLog(translator(locale))
    _ = log._
    rng = random.Random(2025)
    citizens, employees = (12, 5) if fast else (50, 20)
    max_act = MaxAct(citizens=4 if fast else 10)
    acts: list[ChannelAct] = [WebAct(citizens=4 if fast else 10), max_act]

    async with SandboxServer() as sandbox:
        settings = demo_settings(sandbox, database, out)
        for act in acts:
            settings = act.configure(settings)
        log.say(_("The sandbox Bot API is running: {url}").format(url=sandbox.base_url))
        storage = await open_storage(settings)
        translate = translator(settings.locale)
        report = await import_registry(storage.pool, EXAMPLE_REGISTRY, translate)
        log.say(
            _("The registry is loaded from {file}: {summary}").format(
                file=EXAMPLE_REGISTRY.name, summary=report.summary(_)
            )
        )
        bot = create_bot(settings)
        dispatcher = create_dispatcher(settings, storage.pool)
        max_act.attach(dispatcher, sandbox)
        menus = MenuKeeper(bot, storage.pool, translator(settings.locale))  # a menu per role
        username = await prepare(bot, storage.pool, settings, menus=menus)
        stop = asyncio.Event()
        sender = OutboxSender(bot, storage.pool, rate_per_second=settings.outbox_rate_per_second)
        delivery = asyncio.create_task(sender.run(stop, idle=0.2))
        polling = asyncio.create_task(
            durable_polling(
                Inbox(storage.pool, dispatcher, bot),
                stop,
                poll_seconds=5,
                allowed_updates=dispatcher.resolve_used_update_types(),
            )
        )
        log.say(
            _("The bot @{username} is running (long polling through the sandbox)").format(
                username=username
            )
        )
        try:
            for act in acts:
                await act.start(settings, storage.pool, log)
            played = await survey_act(sandbox, storage.pool, log, rng, (citizens, employees), acts)
            live = await count_answers(storage.pool)
            await analytics_act(sandbox, storage.pool, settings, out, log)
            await reengineering_act(sandbox, storage.pool, settings, log)
        finally:
            for act in acts:
                await act.stop()
            stop.set()
            await delivery
            await polling
            await bot.session.close()

        total = sum((await count_answers(storage.pool)).values())
        await storage.engine.dispose()

    return print_outcome(
        live,
        total,
        citizens={"telegram": citizens + max_act.telegram_citizens}
        | {p.via: len(p.scores) for p in played},
        employees=employees,
        messages=sandbox.stats()["messages_total"] + max_act.server.stats()["messages_total"],
        out=out,
        database=database,
        log=log,
    )


def fresh_database(out: Path) -> Path:
    """The demo's SQLite file, with any earlier run's file and its WAL removed."""
    out.mkdir(parents=True, exist_ok=True)
    database = out / "otklik-demo.db"
    for leftover in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        leftover.unlink(missing_ok=True)
    return database


def demo_settings(sandbox: SandboxServer, database: Path, out: Path) -> Settings:
    """Settings for a bot that talks only to the sandbox and keeps everything under `out`."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token=SecretStr(DEMO_TOKEN),
        database_url=f"sqlite+aiosqlite:///{database}",
        telegram_api_url=sandbox.base_url,
        locale=LOCALE,  # the simulated people read and tap the bot's words in this language
        secret_key=SecretStr(secrets.token_urlsafe(32)),
        officer_ids=[OFFICER_ID],
        data_dir=out / "var",
    )


async def survey_act(
    sandbox: SandboxServer,
    pool: SessionPool,
    log: DemoLog,
    rng: random.Random,
    people: tuple[int, int],
    acts: Sequence[ChannelAct],
) -> list[Played]:
    """Citizens rate services by QR code in every channel at once; employees join by invite."""
    citizens, employees = people
    touchpoints = await external_touchpoints(pool)
    chosen = [touchpoints[i % len(touchpoints)] for i in range(citizens)]
    jobs = [
        partial(
            citizen, SimulatedUser(sandbox, CITIZENS_FROM + i), place.payload, Random(rng.random())
        )
        for i, place in enumerate(chosen)
    ]
    scores, played = await asyncio.gather(
        in_batches(jobs, 10),
        asyncio.gather(*(act.play(touchpoints, Random(rng.random()), log) for act in acts)),
    )
    _ = log._
    log.say(
        _(
            "Citizens rated the service in Telegram — citizens: {citizens}, "
            "touchpoints: {touchpoints}, scores: {scores}"
        ).format(
            citizens=citizens,
            touchpoints=len({place.code for place in chosen}),
            scores=dict(sorted(Counter(scores).items())),
        )
    )
    officer = SimulatedUser(sandbox, OFFICER_ID)
    link = await officer_creates_invite(officer)
    log.say(_("The customer-centricity officer created an invitation: {link}").format(link=link))
    await in_batches(
        [
            partial(employee, SimulatedUser(sandbox, EMPLOYEES_FROM + i), link, Random(i))
            for i in range(employees)
        ],
        10,
    )
    log.say(
        _(
            "Employees joined by invitation and rated internal services — employees: {employees}"
        ).format(employees=employees)
    )
    late = SimulatedUser(sandbox, CITIZENS_FROM)
    await late.say(f"/start {touchpoints[0].payload}", expect=WAITS["rated_today"])
    log.say(_("A second rating of the same touchpoint on the same day is politely declined"))
    return played
