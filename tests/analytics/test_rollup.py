"""The monthly rollup: incremental upkeep, rebuild and bulk absorb agree; indexes read right."""

from __future__ import annotations

import math
import random
import statistics
from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.indexes import monthly_index
from analytics.rollup import absorb_new_responses, add_to_rollup, rebuild_rollups
from analytics.stats import t_critical_95
from storage.database import SessionPool, create_engine, create_session_pool
from storage.migrate import upgrade_database
from storage.models import (
    ClientType,
    MonthlyRollup,
    Questionnaire,
    Response,
    SessionStatus,
    SurveySession,
)
from tests.conftest import SmallRegistry, build_small_registry

MONTHS = [date(2026, 6, 1), date(2026, 7, 1), date(2026, 8, 1), date(2026, 9, 1)]
NOW = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Versions:
    v1: int  # touchpoint questionnaire, version 1, scale 1..5
    v2: int  # touchpoint questionnaire, version 2, scale 1..7
    internal: int  # internal-service questionnaire, scale 1..5

    def scale_max(self, questionnaire_id: int) -> int:
        return 7 if questionnaire_id == self.v2 else 5


@dataclass(frozen=True)
class Answer:
    """What a stored response carries for analytics, kept to compute expectations directly."""

    questionnaire_id: int
    process_id: int | None
    touchpoint_id: int | None
    segment: str | None
    channel: str
    department_id: int | None
    client_type: ClientType
    rating: int | None
    month: date


async def add_versions(pool: SessionPool) -> Versions:
    def questionnaire(code: str, version: int, audience: ClientType, top: int) -> Questionnaire:
        return Questionnaire(
            code=code,
            version=version,
            title=f"{code} v{version}",
            audience=audience,
            scale_min=1,
            scale_max=top,
            definition={},
            checksum=f"{code}-{version}",
            is_current=True,
        )

    async with pool() as session, session.begin():
        rows = [
            questionnaire("touchpoint", 1, ClientType.EXTERNAL, 5),
            questionnaire("touchpoint", 2, ClientType.EXTERNAL, 7),
            questionnaire("internal_service", 1, ClientType.INTERNAL, 5),
        ]
        session.add_all(rows)
        await session.flush()
        return Versions(rows[0].id, rows[1].id, rows[2].id)


def make_answers(
    registry: SmallRegistry, versions: Versions, count: int, seed: int
) -> list[Answer]:
    """A mix of every grouping dimension, NULLs included, and both versions in one month."""
    rng = random.Random(seed)
    places: list[tuple[int | None, int | None, str]] = [
        (registry.process_id, registry.touchpoint_id, "digital"),
        (registry.process_id, registry.offline_touchpoint_id, "offline"),
        (registry.process_id, None, "none"),
        (None, None, "none"),
    ]
    answers = []
    for _ in range(count):
        month = rng.choice(MONTHS)
        if rng.random() < 0.2:
            process_id: int | None = registry.internal_process_id
            touchpoint_id, channel = None, "none"
            questionnaire_id, client_type, segment = versions.internal, ClientType.INTERNAL, None
        else:
            process_id, touchpoint_id, channel = rng.choice(places)
            # Version 2 replaces version 1 from August; both are live in August.
            if month < date(2026, 8, 1):
                questionnaire_id = versions.v1
            elif month == date(2026, 8, 1):
                questionnaire_id = rng.choice([versions.v1, versions.v2])
            else:
                questionnaire_id = versions.v2
            client_type = ClientType.EXTERNAL
            segment = rng.choice(["citizen", "pensioner", "legal_entity", None])
        top = versions.scale_max(questionnaire_id)
        rating = None if rng.random() < 0.1 else rng.randint(1, top)
        department_id = None if rng.random() < 0.15 else registry.department_id
        answers.append(
            Answer(
                questionnaire_id,
                process_id,
                touchpoint_id,
                segment,
                channel,
                department_id,
                client_type,
                rating,
                month,
            )
        )
    return answers


async def store(
    session: AsyncSession,
    answers: Sequence[Answer],
    versions: Versions,
    *,
    rollup: bool,
    seed: int = 0,
) -> list[Response]:
    """Store sessions and responses through the models; with `rollup`, as the service does."""
    rng = random.Random(seed)
    surveys = []
    for answer in answers:
        surveys.append(
            SurveySession(
                respondent_key=f"{rng.getrandbits(128):032x}",
                questionnaire_id=answer.questionnaire_id,
                touchpoint_id=answer.touchpoint_id,
                process_id=answer.process_id,
                department_id=answer.department_id,
                status=SessionStatus.COMPLETED,
                expires_at=NOW + timedelta(hours=1),
                finished_at=NOW,
            )
        )
    session.add_all(surveys)
    await session.flush()
    responses = []
    for answer, survey in zip(answers, surveys, strict=True):
        day = answer.month.replace(day=rng.randint(1, 28))
        responses.append(
            Response(
                session_id=survey.id,
                questionnaire_id=answer.questionnaire_id,
                respondent_key=survey.respondent_key,
                process_id=answer.process_id,
                touchpoint_id=answer.touchpoint_id,
                client_type=answer.client_type,
                channel=answer.channel,
                segment=answer.segment,
                department_id=answer.department_id,
                rating=answer.rating,
                month=answer.month,
                local_day=day,
                submitted_at=datetime.combine(day, NOW.timetz()),
            )
        )
    session.add_all(responses)
    await session.flush()
    if rollup:
        for response in responses:
            await add_to_rollup(session, response, versions.scale_max(response.questionnaire_id))
    return responses


async def rollup_rows(session: AsyncSession) -> list[tuple[Any, ...]]:
    """Every rollup row without its surrogate id, in a stable order."""
    table = MonthlyRollup.__table__.c
    columns = [column for column in table if column.name != "id"]
    result = await session.execute(sa.select(*columns).order_by(table.cell, table.month))
    return [tuple(row) for row in result]


async def max_response_id(session: AsyncSession) -> int:
    return int(await session.scalar(sa.select(sa.func.max(Response.id))) or 0)


@pytest.fixture
async def versions(session_pool: SessionPool) -> Versions:
    return await add_versions(session_pool)


async def test_incremental_rollup_equals_rebuild(
    session_pool: SessionPool, registry: SmallRegistry, versions: Versions
) -> None:
    answers = make_answers(registry, versions, 400, seed=1)
    async with session_pool() as session, session.begin():
        await store(session, answers, versions, rollup=True)
    async with session_pool() as session:
        incremental = await rollup_rows(session)
    async with session_pool() as session, session.begin():
        written = await rebuild_rollups(session)
    async with session_pool() as session:
        rebuilt = await rollup_rows(session)

    assert rebuilt == incremental
    assert written == len(rebuilt)
    assert sum(row[-4] for row in rebuilt) == sum(a.rating is not None for a in answers)
    # The data really exercises NULL keys, both versions and several months.
    assert {row[0].split("|")[1] for row in rebuilt} >= {"-", str(registry.process_id)}
    assert {row[2] for row in rebuilt} == {versions.v1, versions.v2, versions.internal}


async def test_absorb_from_a_watermark_equals_rebuild(
    session_pool: SessionPool, registry: SmallRegistry, versions: Versions
) -> None:
    first = make_answers(registry, versions, 250, seed=2)
    second = make_answers(registry, versions, 250, seed=3)
    async with session_pool() as session, session.begin():
        await store(session, first, versions, rollup=True, seed=2)
        watermark = await max_response_id(session)
        # A bulk import: stored without the per-response upkeep.
        await store(session, second, versions, rollup=False, seed=3)

    async with session_pool() as session, session.begin():
        absorbed = await absorb_new_responses(session, watermark)
    assert absorbed == sum(a.rating is not None for a in second)
    async with session_pool() as session:
        after_absorb = await rollup_rows(session)

    async with session_pool() as session, session.begin():
        assert await absorb_new_responses(session, await max_response_id(session)) == 0
    async with session_pool() as session:
        assert await rollup_rows(session) == after_absorb

    async with session_pool() as session, session.begin():
        await rebuild_rollups(session)
    async with session_pool() as session:
        assert await rollup_rows(session) == after_absorb


async def test_absorb_in_batches_into_an_empty_rollup_equals_rebuild(
    session_pool: SessionPool, registry: SmallRegistry, versions: Versions
) -> None:
    """The first batch creates cells, the second one mostly lands on them (the upsert)."""
    batches = [make_answers(registry, versions, 200, seed=seed) for seed in (4, 5, 6)]
    watermark = 0
    for seed, batch in enumerate(batches):
        async with session_pool() as session, session.begin():
            await store(session, batch, versions, rollup=False, seed=seed)
        async with session_pool() as session, session.begin():
            absorbed = await absorb_new_responses(session, watermark)
            watermark = await max_response_id(session)
        assert absorbed == sum(a.rating is not None for a in batch)
    async with session_pool() as session:
        absorbed_rows = await rollup_rows(session)

    async with session_pool() as session, session.begin():
        await rebuild_rollups(session)
    async with session_pool() as session:
        assert await rollup_rows(session) == absorbed_rows
    assert sum(row[-4] for row in absorbed_rows) == sum(
        a.rating is not None for batch in batches for a in batch
    )


def _direct_ci(scores: list[int]) -> tuple[float, float]:
    centre = statistics.mean(scores)
    half = t_critical_95(len(scores) - 1) * statistics.stdev(scores) / math.sqrt(len(scores))
    return centre - half, centre + half


KEYS: dict[str, Callable[[Answer], Hashable]] = {
    "process": lambda a: a.process_id,
    "touchpoint": lambda a: a.touchpoint_id,
    "segment": lambda a: a.segment,
    "channel": lambda a: a.channel,
    "department": lambda a: a.department_id,
    "client_type": lambda a: a.client_type,
}


INDEX_GROUPINGS = [("process",), ("process", "touchpoint"), ("segment",), ("channel", "department")]


async def test_index_values_equal_direct_computation(
    session_pool: SessionPool, registry: SmallRegistry, versions: Versions
) -> None:
    answers = make_answers(registry, versions, 400, seed=5)
    async with session_pool() as session, session.begin():
        await store(session, answers, versions, rollup=True, seed=5)

    for by in INDEX_GROUPINGS:
        expected: dict[tuple[Any, ...], list[int]] = defaultdict(list)
        for a in answers:
            if a.rating is not None:
                key = (a.month, a.questionnaire_id, *(KEYS[name](a) for name in by))
                expected[key].append(a.rating)
        async with session_pool() as session:
            rows = await monthly_index(session, by=by)

        got = {(r.month, r.questionnaire_id, *(r.keys[name] for name in by)): r for r in rows}
        assert len(got) == len(rows), by  # one row per group, the version included
        assert set(got) == set(expected), by
        for key, scores in expected.items():
            row = got[key]
            top = versions.scale_max(row.questionnaire_id)
            assert row.n == len(scores), key
            assert row.mean == pytest.approx(statistics.mean(scores), rel=1e-12), key
            assert row.csat == pytest.approx(sum(s >= top - 1 for s in scores) / len(scores))
            if len(scores) < 2:
                assert row.ci95 is None, key
            else:
                assert row.ci95 == pytest.approx(_direct_ci(scores), rel=1e-9, abs=1e-12), key


async def test_two_versions_are_never_mixed(
    session_pool: SessionPool, registry: SmallRegistry, versions: Versions
) -> None:
    august = date(2026, 8, 1)
    answers = [
        a
        for a in make_answers(registry, versions, 400, seed=6)
        if a.questionnaire_id != versions.internal
    ]
    async with session_pool() as session, session.begin():
        await store(session, answers, versions, rollup=True, seed=6)
    async with session_pool() as session:
        rows = await monthly_index(session, by=("process",), since=august, until=august)

    shared = [row for row in rows if row.keys["process"] == registry.process_id]
    assert sorted(row.questionnaire_id for row in shared) == [versions.v1, versions.v2]
    for row in shared:
        scores = [
            a.rating
            for a in answers
            if a.month == august
            and a.process_id == registry.process_id
            and a.questionnaire_id == row.questionnaire_id
            and a.rating is not None
        ]
        assert row.n == len(scores)
        assert row.mean == pytest.approx(statistics.mean(scores))
        top = versions.scale_max(row.questionnaire_id)
        assert row.csat == pytest.approx(sum(s >= top - 1 for s in scores) / len(scores))
    # Every rollup cell holds one version: the version is the first part of the cell key.
    async with session_pool() as session:
        for cell in await rollup_rows(session):
            assert cell[0].split("|")[0] == str(cell[2])


@pytest.mark.postgres
async def test_absorb_and_rebuild_agree_on_postgres(postgres_database: str) -> None:
    engine = create_engine(postgres_database)
    try:
        await upgrade_database(engine)
        pool = create_session_pool(engine)
        registry = await build_small_registry(pool)
        versions = await add_versions(pool)
        first = make_answers(registry, versions, 150, seed=7)
        second = make_answers(registry, versions, 150, seed=8)
        async with pool() as session, session.begin():
            await store(session, first, versions, rollup=True, seed=7)
            watermark = await max_response_id(session)
            await store(session, second, versions, rollup=False, seed=8)
        async with pool() as session, session.begin():
            absorbed = await absorb_new_responses(session, watermark)
        assert absorbed == sum(a.rating is not None for a in second)
        async with pool() as session:
            after_absorb = await rollup_rows(session)
        async with pool() as session, session.begin():
            assert await rebuild_rollups(session) == len(after_absorb)
        async with pool() as session:
            assert await rollup_rows(session) == after_absorb
    finally:
        await engine.dispose()
