"""`otklik demo`: the whole product on this machine, no token and no network.

Starts the sandbox Bot API and the real bot against it, loads the example registry,
plays simulated citizens and employees, and prints what happened.
"""

from __future__ import annotations

import asyncio
import random
import secrets
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TypeVar

import sqlalchemy as sa
from pydantic import SecretStr

from bot.app import prepare
from bot.bootstrap import open_storage
from bot.config import DEMO_TOKEN, Settings
from bot.factory import create_bot, create_dispatcher
from sandbox import SandboxServer
from sandbox.simulated import SimulatedUser
from storage.database import SessionPool
from storage.models import ClientType, Process, Response, SessionStatus, SurveySession, Touchpoint
from storage.registry_xlsx import import_registry

T = TypeVar("T")
EXAMPLE_REGISTRY = Path(__file__).resolve().parent.parent / "examples" / "registry.xlsx"
OFFICER_ID = 900_001
CITIZENS_FROM = 100_000
EMPLOYEES_FROM = 200_000
SEGMENTS = ("Гражданин", "Пенсионер", "Многодетная семья", "Индивидуальный предприниматель")
PROBLEMS = ("Время ожидания", "Очередь", "Вежливость", "Доступность информации")


@dataclass
class DemoLog:
    lines: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    def say(self, text: str) -> None:
        line = f"[{time.monotonic() - self.started:5.1f} с] {text}"
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
        log.say(f"Песочница Bot API запущена: {sandbox.base_url}")
        storage = await open_storage(settings)
        report = await import_registry(storage.pool, EXAMPLE_REGISTRY)
        log.say(f"Реестр загружен из {EXAMPLE_REGISTRY.name}: {report.summary()}")
        bot = create_bot(settings)
        dispatcher = create_dispatcher(settings, storage.pool)
        username = await prepare(bot, storage.pool, settings)
        polling = asyncio.create_task(
            dispatcher.start_polling(
                bot, handle_signals=False, allowed_updates=dispatcher.resolve_used_update_types()
            )
        )
        log.say(f"Бот @{username} запущен (long polling через песочницу)")
        try:
            touchpoints = await external_payloads(storage.pool)
            people = [
                (SimulatedUser(sandbox, CITIZENS_FROM + i), touchpoints[i % len(touchpoints)])
                for i in range(citizens)
            ]
            scores = await in_batches(
                [
                    partial(citizen, user, payload, random.Random(rng.random()))
                    for user, (payload, _) in people
                ],
                10,
            )
            log.say(
                f"{citizens} граждан оценили обслуживание в {len({p for _, p in people})} точках: "
                f"оценки {dict(sorted(Counter(scores).items()))}"
            )
            officer = SimulatedUser(sandbox, OFFICER_ID)
            link = await officer_creates_invite(officer)
            log.say(f"Ответственный по клиентоцентричности создал приглашение: {link}")
            await in_batches(
                [
                    partial(
                        employee, SimulatedUser(sandbox, EMPLOYEES_FROM + i), link, random.Random(i)
                    )
                    for i in range(employees)
                ],
                10,
            )
            log.say(f"{employees} сотрудников вошли по приглашению и оценили внутренние сервисы")
            late = SimulatedUser(sandbox, CITIZENS_FROM)
            await late.say(f"/start {touchpoints[0][0]}", expect="уже оценили эту услугу сегодня")
            log.say("Повторная оценка той же точки в тот же день вежливо отклонена")
        finally:
            await dispatcher.stop_polling()
            await polling
            await bot.session.close()

        async with storage.pool() as session:
            by_type = dict(
                (
                    await session.execute(
                        sa.select(Response.client_type, sa.func.count()).group_by(
                            Response.client_type
                        )
                    )
                ).all()
            )
            completed = await session.scalar(
                sa.select(sa.func.count()).where(SurveySession.status == SessionStatus.COMPLETED)
            )
        await storage.engine.dispose()

    external = by_type.get(ClientType.EXTERNAL, 0)
    internal = by_type.get(ClientType.INTERNAL, 0)
    print()
    print("Итог демонстрации")
    print(f"  ответов граждан сохранено:      {external}")
    print(f"  ответов сотрудников сохранено:  {internal}")
    print(f"  завершённых анкет:              {completed}")
    print(f"  сообщений отправлено ботом:     {sandbox.stats()['messages_total']}")
    print(f"  база данных:                    {database}")
    print(f"  время:                          {time.monotonic() - log.started:.1f} с")
    ok = external == citizens and internal == employees
    return 0 if ok else 1
