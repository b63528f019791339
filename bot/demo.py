"""`otklik demo`: the whole product on this machine, no token and no network.

Starts the sandbox Bot API and the real bot against it, loads the example registry,
plays simulated citizens and employees, and prints what happened.
"""

from __future__ import annotations

import asyncio
import random
import re
import secrets
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TypeVar

import sqlalchemy as sa
from pydantic import SecretStr

from analytics.chart_overview import OverviewRow, overview_chart
from analytics.chart_trend import trend_chart
from analytics.render import OUT, render
from analytics.scan import rules_from
from analytics.summary import summarize_processes
from bot.app import prepare
from bot.bootstrap import open_storage
from bot.delivery import OutboxSender
from bot.demo_history import simulate_history
from bot.factory import create_bot, create_dispatcher
from bot.intake import Inbox, durable_polling
from bot.reports import build_report
from core.clock import Clock, utcnow
from core.i18n import Translator, translator
from core.periods import last_complete_month
from core.settings import DEMO_TOKEN, Settings
from jobs.cases import run_case_reminders
from jobs.scan import scan_and_notify
from reengineering.cases import case_view, complete_step, open_cases_from_detections
from registry.importing import import_registry
from sandbox import SandboxServer
from sandbox.telegram.simulated import SimulatedUser
from storage.database import SessionPool, read_only_of
from storage.models import ClientType, OutboxMessage, Person, Process, Response, Touchpoint

T = TypeVar("T")
EXAMPLE_REGISTRY = Path(__file__).resolve().parent.parent / "examples" / "registry.xlsx"
OFFICER_ID = 900_001
DECLINING, DECLINING_OWNER = "SUP02", 700_002
CITIZENS_FROM = 100_000
EMPLOYEES_FROM = 200_000
SEGMENTS = ("Гражданин", "Пенсионер", "Многодетная семья", "Индивидуальный предприниматель")
PROBLEMS = ("Время ожидания", "Очередь", "Вежливость", "Доступность информации")


@dataclass
class DemoLog:
    lines: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    translate: Translator = field(default_factory=translator)

    def say(self, text: str) -> None:
        _ = self.translate
        seconds = f"{time.monotonic() - self.started:5.1f}"
        line = _("[{seconds} s] {text}").format(seconds=seconds, text=text)
        self.lines.append(line)
        print(line, flush=True)


async def citizen(user: SimulatedUser, payload: str, rng: random.Random) -> int:
    """A citizen scans a QR code and answers; returns the score given."""
    await user.say(f"/start {payload}", expect="Прежде чем начать")
    await user.tap("Согласен", expect="Вопрос 1")
    score = rng.choices([1, 2, 3, 4, 5], weights=[1, 2, 3, 6, 8])[0]
    await user.tap(str(score), expect="Вопрос 2")
    if score <= 3:
        for problem in rng.sample(PROBLEMS, k=rng.randint(1, 2)):
            await user.tap(problem, expect="Что пошло не так")
        await user.tap("Готово", expect="Вопрос 3")
        if "На каком этапе" in user.last_text:
            await user.tap(rng.choice(user.buttons()), expect="серьёзной")
        await user.tap(rng.choice(["Низкая", "Средняя", "Высокая"]), expect="комментарий")
    if rng.random() < 0.4:
        comment = "Спасибо, всё понятно" if score > 3 else "Долго ждал ответа"
        await user.say(comment, expect="кем вы обратились")
    else:
        await user.tap("Пропустить", expect="кем вы обратились")
    await user.tap(rng.choice(SEGMENTS), expect="Спасибо")
    if rng.random() < 0.3:
        await user.tap("Хочу получить ответ", expect="Спасибо")
    return score


async def employee(user: SimulatedUser, invite_link: str, rng: random.Random) -> None:
    payload = invite_link.rsplit("start=", 1)[1]
    await user.say(f"/start {payload}", expect="Добро пожаловать")
    await user.say("/rate", expect="Какой сервис")
    await user.tap(rng.choice(user.buttons()), expect="Прежде чем начать")
    await user.tap("Согласен", expect="Вопрос 1")
    for number in (2, 3, 4):
        await user.tap(str(rng.randint(2, 5)), expect=f"Вопрос {number}")
    await user.tap("Пропустить", expect="Спасибо")


async def officer_creates_invite(officer: SimulatedUser) -> str:
    await officer.say("/invite", expect="для какого подразделения")
    await officer.tap("информационн", expect="Сколько человек")
    await officer.tap("50", expect="Сколько дней")
    await officer.tap("7", expect="Ссылка-приглашение создана")
    return next(word for word in officer.last_text.split() if word.startswith("https://t.me/"))


async def external_payloads(pool: SessionPool) -> list[tuple[str, str]]:
    async with pool() as session:
        rows = await session.execute(
            sa.select(Touchpoint.payload, Touchpoint.name)
            .join(Process, Process.id == Touchpoint.process_id)
            .where(Process.client_type == ClientType.EXTERNAL, Touchpoint.active)
            .order_by(Touchpoint.code)
        )
        return [(row.payload, row.name) for row in rows]


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
    _ = translator(settings.locale)
    today = datetime.now(settings.tz).date()
    month = last_complete_month(today)
    owner = SimulatedUser(sandbox, DECLINING_OWNER, timeout=30)
    await owner.say("/start", expect="Здравствуйте")  # Telegram only lets bots write to known chats
    history = await simulate_history(pool, until=month, declining_code=DECLINING)
    log.say(
        _(
            "Added 12 months of history ({first}–{last}): {responses} answers; "
            "the process {code} gets worse in the last months"
        ).format(
            first=f"{history.months[0]:%m.%Y}",
            last=f"{month:%m.%Y}",
            responses=history.responses,
            code=DECLINING,
        )
    )
    report = await scan_and_notify(pool, settings, month, utcnow)
    for detection in report.new:
        log.say(
            _("Scan of {month}: {level} — {reason}").format(
                month=f"{month:%m.%Y}", level=detection.level, reason=detection.reason
            )
        )
    await sandbox.wait_for(
        DECLINING_OWNER, lambda ms: any("Снижение" in str(m.get("text")) for m in ms), 30
    )
    log.say(
        _("The owner of {code} got the notice and the chart through the outbox").format(
            code=DECLINING
        )
    )
    await owner.say("/stats", expect="Средняя оценка")
    log.say(
        _("The owner asked for /stats: {lines}").format(
            lines=" · ".join(owner.last_text.splitlines()[1:3])
        )
    )

    folder = out / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    # Read-only, charts in the drawing worker: the bot's writers and the sandbox's loop go on.
    async with read_only_of(pool)() as session, session.begin():
        process_ids = list((await session.scalars(sa.select(Process.id))).all())
        summaries = await summarize_processes(
            session,
            process_ids,
            translator(settings.locale),
            month=month,
            rules=rules_from(settings),
            details=False,
        )
        declining = next(s for s in summaries if s.code == DECLINING)
        assert declining.series is not None
        await render(
            trend_chart,
            declining.name,
            declining.series.points,
            declining.verdict,
            OUT,
            out=folder / f"trend-{DECLINING}.png",
            locale=settings.locale,
            scale_max=declining.series.scale_max,
            min_responses=settings.decline_min_responses,
        )
        await render(
            overview_chart,
            [
                OverviewRow(
                    s.name,
                    s.last_mean,
                    s.last_csat,
                    s.last_n,
                    bool(s.verdict and s.verdict.triggered),
                )
                for s in summaries
            ],
            OUT,
            out=folder / "overview.png",
            locale=settings.locale,
        )
        for kind, code in (
            ("dynamics", None),
            ("pain-map", DECLINING),
            ("segments", DECLINING),
            ("internal", None),
        ):
            name = f"{kind}-{code}.xlsx" if code else f"{kind}.xlsx"
            await build_report(
                session,
                kind,
                folder / name,
                translator(settings.locale),
                process_code=code,
                case_id=None,
                month=month,
                settings=settings,
            )
    log.say(_("Charts and Excel reports are saved to the folder {folder}").format(folder=folder))


async def reengineering_act(
    sandbox: SandboxServer, pool: SessionPool, settings: Settings, log: DemoLog
) -> None:
    """The decline opens a case; the owner works through research; the group decides; reminders."""
    _ = translator(settings.locale)
    now = utcnow()
    today = now.astimezone(settings.tz).date()
    async with pool() as session, session.begin():
        [opened] = await open_cases_from_detections(session, now, tz=settings.tz)
        view = await case_view(session, opened.case_id, today=today)
        owner_person = await session.scalar(
            sa.select(Person.id).where(Person.telegram_id == DECLINING_OWNER)
        )
    log.say(
        _("The decline opened case {number} for the process {code}: «{ground}»").format(
            number=view.number, code=DECLINING, ground=view.ground_title
        )
    )
    owner = SimulatedUser(sandbox, DECLINING_OWNER, timeout=30)
    await owner.say("/cases", expect="Открытые дела по реинжинирингу")
    await owner.tap(view.process_name[:20])
    await owner.wait_for_button("R2: отметить выполненным")
    for step in ("R1", "R2"):
        await owner.tap(f"{step}: отметить выполненным", expect=f"✅ {step}")
    log.say(_("The process owner marked the steps R1 and R2 done in the bot"))
    assert owner_person is not None
    for step in ("R3", "R5", "R4", "R6"):
        async with pool() as session, session.begin():
            await complete_step(session, opened.case_id, step, owner_person, on=today, at=now)
    log.say(_("The research (R3–R6: survey, list of difficulties, standards analysis) is complete"))
    officer = SimulatedUser(sandbox, OFFICER_ID, timeout=30)
    for step in ("R7",):
        await officer.say("/cases", expect="Открытые дела по реинжинирингу")
        await officer.tap(view.process_name[:20])
        await officer.wait_for_button(f"{step}: Необходимо изменение процесса")
        await officer.tap(f"{step}: Необходимо изменение процесса", expect="Внести решение")
        await officer.tap("Да, внести решение", expect=f"✅ {step}")
    async with pool() as session, session.begin():
        await complete_step(session, opened.case_id, "R8", owner_person, on=today, at=now)
    await officer.say("/cases", expect="Открытые дела по реинжинирингу")
    await officer.tap(view.process_name[:20])
    await officer.wait_for_button("R8C: Необходимо изменение процесса")
    await officer.tap("R8C: Необходимо изменение процесса", expect="Внести решение")
    await officer.tap("Да, внести решение", expect="✅ R8C")
    log.say(
        _("The working group and the client-centricity officer decided: the process must change")
    )

    started = await latest_outbox_id(pool)
    for offset in range(1, 22):
        day = today + timedelta(days=offset)
        moment = datetime.combine(day, datetime.min.time(), settings.tz).replace(hour=11)
        await run_case_reminders(pool, fixed_clock(moment), settings)
    async with pool() as session:
        reminders = (
            await session.scalars(
                sa.select(OutboxMessage)
                .where(OutboxMessage.id > started, OutboxMessage.kind.like("case_%"))
                .order_by(OutboxMessage.id)
            )
        ).all()
    deadline_kinds = {"case_reminder", "case_overdue", "case_overdue_copy"}
    reminders = [r for r in reminders if r.kind in deadline_kinds]
    ours = [r for r in reminders if view.process_name in r.text]
    log.say(
        _(
            "Reminders of case {number} over the next three weeks (working days only; "
            "{others} more for cases opened by the review deadline):"
        ).format(number=view.number, others=len(reminders) - len(ours))
    )
    for reminder in ours:
        day_of = (reminder.dedupe_key or "").split(":")[-2]
        who = _("to the owner") if reminder.chat_id == DECLINING_OWNER else _("to the officer")
        found = re.search(r"шаг (\w+)", reminder.text)
        first_line = reminder.text.splitlines()[0]
        print(f"  {day_of}  {who:15} {found.group(1) if found else '':4} {first_line[:80]}")


def fixed_clock(moment: datetime) -> Clock:
    return lambda: moment


async def latest_outbox_id(pool: SessionPool) -> int:
    async with pool() as session:
        return int(await session.scalar(sa.select(sa.func.max(OutboxMessage.id))) or 0)


async def count_by_client_type(pool: SessionPool) -> dict[ClientType, int]:
    async with pool() as session:
        rows = await session.execute(
            sa.select(Response.client_type, sa.func.count()).group_by(Response.client_type)
        )
        return {row[0]: int(row[1]) for row in rows}


async def run_demo(out: Path, *, fast: bool = False) -> int:
    out.mkdir(parents=True, exist_ok=True)
    database = out / "otklik-demo.db"
    for leftover in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        leftover.unlink(missing_ok=True)
    log = DemoLog()
    rng = random.Random(2025)
    citizens, employees = (12, 5) if fast else (50, 20)

    async with SandboxServer() as sandbox:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            bot_token=SecretStr(DEMO_TOKEN),
            database_url=f"sqlite+aiosqlite:///{database}",
            telegram_api_url=sandbox.base_url,
            secret_key=SecretStr(secrets.token_urlsafe(32)),
            officer_ids=[OFFICER_ID],
            data_dir=out / "var",
        )
        _ = translator(settings.locale)
        log.translate = _
        log.say(_("The Bot API sandbox is running: {url}").format(url=sandbox.base_url))
        storage = await open_storage(settings)
        report = await import_registry(storage.pool, EXAMPLE_REGISTRY, _)
        log.say(
            _("The registry is loaded from {file}: {summary}").format(
                file=EXAMPLE_REGISTRY.name, summary=report.summary(_)
            )
        )
        bot = create_bot(settings)
        dispatcher = create_dispatcher(settings, storage.pool)
        username = await prepare(bot, storage.pool, settings)
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
            touchpoints = await external_payloads(storage.pool)
            people = [
                (SimulatedUser(sandbox, CITIZENS_FROM + i), touchpoints[i % len(touchpoints)])
                for i in range(citizens)
            ]
            scores = await in_batches(
                [
                    partial(citizen, user, payload, random.Random(rng.random()))
                    for user, (payload, _code) in people
                ],
                10,
            )
            log.say(
                _(
                    "{citizens} citizens rated the service at {touchpoints} touchpoints: "
                    "scores {scores}"
                ).format(
                    citizens=citizens,
                    touchpoints=len({p for _user, p in people}),
                    scores=dict(sorted(Counter(scores).items())),
                )
            )
            officer = SimulatedUser(sandbox, OFFICER_ID)
            link = await officer_creates_invite(officer)
            log.say(
                _("The client-centricity officer created an invitation: {link}").format(link=link)
            )
            await in_batches(
                [
                    partial(
                        employee, SimulatedUser(sandbox, EMPLOYEES_FROM + i), link, random.Random(i)
                    )
                    for i in range(employees)
                ],
                10,
            )
            log.say(
                _(
                    "{employees} employees joined by the invitation and rated the internal services"
                ).format(employees=employees)
            )
            late = SimulatedUser(sandbox, CITIZENS_FROM)
            await late.say(f"/start {touchpoints[0][0]}", expect="уже оценили эту услугу сегодня")
            log.say(
                _("A second rating of the same touchpoint on the same day is politely declined")
            )
            live = await count_by_client_type(storage.pool)
            await analytics_act(sandbox, storage.pool, settings, out, log)
            await reengineering_act(sandbox, storage.pool, settings, log)
        finally:
            stop.set()
            await delivery
            await polling
            await bot.session.close()

        total = await count_by_client_type(storage.pool)
        await storage.engine.dispose()

    external = live.get(ClientType.EXTERNAL, 0)
    internal = live.get(ClientType.INTERNAL, 0)
    print()
    print(_("Demonstration summary"))
    print(
        _("  citizens' answers in this run:       {done} of {total}").format(
            done=external, total=citizens
        )
    )
    print(
        _("  employees' answers in this run:      {done} of {total}").format(
            done=internal, total=employees
        )
    )
    print(_("  answers in the database with history: {count}").format(count=sum(total.values())))
    print(
        _("  messages sent by the bot:            {count}").format(
            count=sandbox.stats()["messages_total"]
        )
    )
    print(_("  charts and reports:                  {folder}").format(folder=out / "reports"))
    print(_("  database:                            {path}").format(path=database))
    print(
        _("  time:                                {seconds} s").format(
            seconds=f"{time.monotonic() - log.started:.1f}"
        )
    )
    ok = external == citizens and internal == employees
    return 0 if ok else 1
