"""Twelve months of plausible answers for the demo, one process declining at the end.

Written with bulk inserts and one rollup rebuild: the demo shows analytics, not patience.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from analytics.indexes import months_back
from analytics.rollup import rebuild_rollups
from bot.demo_script import HISTORY_COMMENTS
from storage.database import SessionPool
from storage.models import (
    ClientType,
    Department,
    Process,
    Questionnaire,
    Response,
    ResponseAnswer,
    SessionStatus,
    SurveySession,
    Touchpoint,
)

PROBLEMS = ("waiting_time", "queue", "politeness", "premises", "information", "other")
SEGMENTS = ("citizen", "pensioner", "large_family", "entrepreneur", "disability", "legal_entity")
DECLINE = (4.4, 4.1, 3.8, 3.5)


@dataclass(frozen=True)
class History:
    months: list[date]
    declining: Process
    responses: int


def _rating(rng: random.Random, mean: float) -> int:
    return max(1, min(5, round(rng.gauss(mean, 0.8))))


def ratings_with_mean(mean: float, count: int, rng: random.Random) -> list[int]:
    """`count` ratings whose mean is `mean` to 1/count, spread out the way real answers are."""
    total = round(mean * count)
    base, extra = divmod(total, count)
    ratings = [base + 1] * extra + [base] * (count - extra)
    for _ in range(count // 3):  # move pairs apart: same sum, more variance
        i, j = rng.randrange(count), rng.randrange(count)
        if i != j and ratings[i] > 1 and ratings[j] < 5:
            ratings[i] -= 1
            ratings[j] += 1
    rng.shuffle(ratings)
    return ratings


async def simulate_history(
    pool: SessionPool, *, until: date, declining_code: str, seed: int = 7
) -> History:
    """Writes twelve months of answers up to `until`; `declining_code` falls in the last four."""
    rng = random.Random(seed)
    months = months_back(until, 12)
    async with pool() as session, session.begin():
        questionnaires = {
            q.code: q
            for q in (
                await session.scalars(sa.select(Questionnaire).where(Questionnaire.is_current))
            )
        }
        processes = (await session.scalars(sa.select(Process).where(Process.active))).all()
        touchpoints = (await session.scalars(sa.select(Touchpoint).where(Touchpoint.active))).all()
        departments = (await session.scalars(sa.select(Department.id))).all()
        by_process: dict[int, list[Touchpoint]] = {}
        for point in touchpoints:
            by_process.setdefault(point.process_id, []).append(point)
        declining = next(p for p in processes if p.code == declining_code)

        rows = _HistoryRows(
            next_session=int(await session.scalar(sa.select(sa.func.max(SurveySession.id))) or 0)
            + 1,
            next_response=int(await session.scalar(sa.select(sa.func.max(Response.id))) or 0) + 1,
        )
        for process in processes:
            external = process.client_type == ClientType.EXTERNAL
            questionnaire = questionnaires["touchpoint" if external else "internal_service"]
            points = by_process.get(process.id, [])
            if external and not points:
                continue
            _add_process_history(
                rows,
                process,
                questionnaire,
                points,
                list(departments),
                months,
                rng,
                declining=process.id == declining.id,
            )
        await session.execute(sa.insert(SurveySession), rows.sessions)
        await session.execute(sa.insert(Response), rows.responses)
        await session.execute(sa.insert(ResponseAnswer), rows.answers)
        await rebuild_rollups(session)
    return History(months, declining, len(rows.responses))


class _HistoryRows:
    """The bulk rows being built, with the next free session and response ids."""

    def __init__(self, *, next_session: int, next_response: int) -> None:
        self.next_session = next_session
        self.next_response = next_response
        self.sessions: list[dict[str, object]] = []
        self.responses: list[dict[str, object]] = []
        self.answers: list[dict[str, object]] = []


def _add_process_history(
    rows: _HistoryRows,
    process: Process,
    questionnaire: Questionnaire,
    points: list[Touchpoint],
    departments: list[int],
    months: list[date],
    rng: random.Random,
    *,
    declining: bool,
) -> None:
    """One process's months: a level of its own with a wobble, or the planted decline."""
    external = process.client_type == ClientType.EXTERNAL
    base = rng.uniform(4.2, 4.6)
    for index, month in enumerate(months):
        mean = base + rng.uniform(-0.1, 0.1)
        if declining and index >= len(months) - len(DECLINE):
            mean = DECLINE[index - (len(months) - len(DECLINE))]
        count = rng.randint(36, 48) if external else rng.randint(6, 12)
        for rating in ratings_with_mean(mean, count, rng):
            _add_response(
                rows, process, questionnaire, points, departments, month, rating, mean, rng
            )


def _add_response(
    rows: _HistoryRows,
    process: Process,
    questionnaire: Questionnaire,
    points: list[Touchpoint],
    departments: list[int],
    month: date,
    rating: int,
    mean: float,
    rng: random.Random,
) -> None:
    """One completed questionnaire: its session, its response and its answers."""
    external = process.client_type == ClientType.EXTERNAL
    day = month + timedelta(days=rng.randint(0, 26))
    moment = datetime(day.year, day.month, day.day, 9, tzinfo=UTC)
    touchpoint = rng.choice(points) if points else None
    key = f"demo-{rows.next_session:08d}"
    rows.sessions.append(
        {
            "id": rows.next_session,
            "respondent_key": key,
            "questionnaire_id": questionnaire.id,
            "touchpoint_id": touchpoint.id if touchpoint else None,
            "process_id": process.id,
            "status": SessionStatus.COMPLETED,
            "step": 1,
            "path": [0],
            "answers": {},
            "started_at": moment,
            "expires_at": moment + timedelta(hours=24),
            "finished_at": moment,
        }
    )
    rows.responses.append(
        {
            "id": rows.next_response,
            "session_id": rows.next_session,
            "questionnaire_id": questionnaire.id,
            "respondent_key": key,
            "process_id": process.id,
            "touchpoint_id": touchpoint.id if touchpoint else None,
            "client_type": process.client_type,
            "channel": touchpoint.kind.value if touchpoint else "none",
            "segment": rng.choice(SEGMENTS) if external else None,
            "department_id": None if external else rng.choice(departments),
            "rating": rating,
            "month": month,
            "local_day": day,
            "submitted_at": moment,
        }
    )
    rows.answers.extend(_answers(rows.next_response, process, rating, mean, rng))
    rows.next_session += 1
    rows.next_response += 1


def _answers(
    response_id: int, process: Process, rating: int, mean: float, rng: random.Random
) -> list[dict[str, object]]:
    """The answer rows: the rating; problems, stage and criticality after a low one; extras."""
    external = process.client_type == ClientType.EXTERNAL
    answers: list[dict[str, object]] = [
        {"response_id": response_id, "question": "satisfaction", "value_int": rating}
    ]
    if external and rating <= 3:
        answers.append(
            {
                "response_id": response_id,
                "question": "problems",
                "choices": rng.sample(PROBLEMS, k=rng.randint(1, 2)),
            }
        )
        if process.stages:
            answers.append(
                {
                    "response_id": response_id,
                    "question": "stage",
                    "value_text": rng.choice(process.stages),
                }
            )
        answers.append(
            {
                "response_id": response_id,
                "question": "criticality",
                "value_text": rng.choice(("low", "medium", "high")),
            }
        )
        if rng.random() < 0.3:
            answers.append(
                {
                    "response_id": response_id,
                    "question": "comment",
                    "value_text": rng.choice(HISTORY_COMMENTS),
                }
            )
    if not external:
        for question in ("speed", "clarity"):
            answers.append(
                {"response_id": response_id, "question": question, "value_int": _rating(rng, mean)}
            )
    return answers
