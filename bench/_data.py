"""Fast synthetic data for the benchmarks: a migrated SQLite file bulk-loaded with `sqlite3`.

The schema comes from the project's own migrations (`upgrade_database`) and the questionnaires
from the project's YAML files (`sync_questionnaires`); only the bulk rows are written with the
stdlib driver: executemany in big batches inside one transaction, with synchronous=OFF, no
rollback journal, and the secondary indexes of `responses` dropped during the load and rebuilt
afterwards from their own saved DDL (a sort is much faster than 10 million random B-tree
inserts). The finished file has exactly the migrated schema.

`survey_sessions` stays empty: every response gets a synthetic, unique `session_id` (its own
id), loaded with foreign keys off. The benchmarks never read sessions; the analytics code never
joins them.

A generated file is cached next to a small JSON sidecar holding its parameters; a file is
reused only when the sidecar matches, and the sidecar is written last, so a load that was
interrupted is never reused.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from storage.database import create_engine, create_session_pool
from storage.migrate import upgrade_database
from surveys.catalogue import sync_questionnaires

GENERATOR_VERSION = 1
SEGMENTS: tuple[str | None, ...] = ("citizen", "entrepreneur", "legal_entity", "pensioner", None)
KINDS = ("digital", "offline")
CACHE_DIR = Path(__file__).resolve().parents[1] / "var" / "bench"
RESPONSE_COLUMNS = (
    "id",
    "session_id",
    "questionnaire_id",
    "respondent_key",
    "process_id",
    "touchpoint_id",
    "service_code",
    "client_type",
    "channel",
    "segment",
    "department_id",
    "rating",
    "month",
    "local_day",
    "submitted_at",
)
INSERT_VALUES = f"({', '.join('?' for _ in RESPONSE_COLUMNS)})"
INSERT_RESPONSE = f"INSERT INTO responses ({', '.join(RESPONSE_COLUMNS)}) VALUES {INSERT_VALUES}"


def month_add(month: date, delta: int) -> date:
    index = month.year * 12 + month.month - 1 + delta
    return date(index // 12, index % 12 + 1, 1)


def current_month() -> date:
    return date.today().replace(day=1)


@dataclass(frozen=True)
class Spec:
    """Everything the generated data depends on; part of the cache key."""

    responses: int = 10_000_000
    processes: int = 1_000
    touchpoints: int = 5_000
    months: int = 24
    # The last month of data, still being collected; the scan looks at the month before it.
    current_month: date = field(default_factory=current_month)
    departments: int = 40
    respondents: int = 300_000
    decline_every: int = 50  # every n-th process declines over the last complete months
    decline_months: int = 4  # month-on-month decreases planted (the rule needs 3)
    decline_step: float = 0.3  # drop of the expected rating per month
    internal_every: int = 10  # every n-th process serves internal clients
    null_rating_share: float = 0.02
    seed: int = 2026
    version: int = GENERATOR_VERSION

    @property
    def month_list(self) -> list[date]:
        first = month_add(self.current_month, 1 - self.months)
        return [month_add(first, offset) for offset in range(self.months)]

    @property
    def scan_month(self) -> date:
        """The last complete month."""
        return month_add(self.current_month, -1)

    @property
    def declining_processes(self) -> list[int]:
        return [p for p in range(1, self.processes + 1) if p % self.decline_every == 0]

    def as_json(self) -> dict[str, Any]:
        values = asdict(self)
        values["current_month"] = self.current_month.isoformat()
        return values

    def cache_name(self) -> str:
        digest = hashlib.sha256(json.dumps(self.as_json(), sort_keys=True).encode()).hexdigest()
        return (
            f"decline-r{self.responses}-p{self.processes}-t{self.touchpoints}-m{self.months}"
            f"-{self.current_month:%Y%m}-{digest[:8]}.db"
        )


class Model:
    """The registry and the rating model, as arrays indexed by 0-based process/touchpoint."""

    def __init__(self, spec: Spec, questionnaire_ids: dict[str, int]) -> None:
        self.spec = spec
        rng = np.random.default_rng([spec.seed, 0])
        processes = np.arange(1, spec.processes + 1)
        self.internal = processes % spec.internal_every == 0
        self.client_type = np.where(self.internal, "internal", "external").astype(object)
        self.questionnaire = np.where(
            self.internal, questionnaire_ids["internal_service"], questionnaire_ids["touchpoint"]
        )
        self.department = (processes - 1) % spec.departments + 1
        # Touchpoint j (0-based) belongs to process j % processes: every process gets some.
        self.tp_process = np.arange(spec.touchpoints) % spec.processes
        self.tp_kind = np.array([KINDS[j % 3 == 0] for j in range(spec.touchpoints)], dtype=object)
        # Expected rating: process level + touchpoint offset + a small monthly wobble.
        base = rng.uniform(3.6, 4.4, spec.processes)
        wobble = rng.normal(0.0, 0.03, (spec.processes, spec.months))
        self.tp_offset = rng.normal(0.0, 0.15, spec.touchpoints)
        trend = np.zeros((spec.processes, spec.months))
        last_complete = spec.months - 2
        for process in spec.declining_processes:
            for k in range(1, spec.decline_months + 1):
                month = last_complete - spec.decline_months + k
                if month >= 0:
                    trend[process - 1, month] = -spec.decline_step * k
            trend[process - 1, last_complete + 1 :] = trend[process - 1, last_complete]
        self.expected = base[:, None] + wobble + trend
        months = spec.month_list
        self.month_text = np.array([m.isoformat() for m in months], dtype=object)
        self.day_text = np.array(
            [m.replace(day=d).isoformat() for m in months for d in range(1, 29)], dtype=object
        )
        self.stamp_text = np.array(
            [
                f"{m.replace(day=d).isoformat()} {h:02d}:{(7 * h) % 60:02d}:00.000000"
                for m in months
                for d in range(1, 29)
                for h in range(24)
            ],
            dtype=object,
        )
        keys = [hashlib.sha256(f"r-{i}".encode()).hexdigest() for i in range(spec.respondents)]
        self.keys = np.array(keys, dtype=object)
        self.segments = np.array(SEGMENTS, dtype=object)

    def rows(self, first_id: int, count: int, stream: int, month: int | None = None) -> np.ndarray:
        """Rows for ids first_id … first_id + count - 1 as a (count, 15) object array.

        Deterministic per `stream`. `month` pins every row to one month index (the incremental
        batch); otherwise months are uniform over the span.
        """
        spec = self.spec
        rng = np.random.default_rng([spec.seed, 1, stream])
        ids = np.arange(first_id, first_id + count)
        tp = rng.integers(0, spec.touchpoints, count)
        process = self.tp_process[tp]
        months = np.full(count, month) if month is not None else rng.integers(0, spec.months, count)
        day = rng.integers(0, 28, count)
        hour = rng.integers(0, 24, count)
        mu = self.expected[process, months] + self.tp_offset[tp]
        rating = np.clip(np.rint(mu + rng.normal(0.0, 0.9, count)), 1, 5).astype(np.int64)
        segment = rng.integers(0, len(SEGMENTS), count)
        segment[self.internal[process]] = len(SEGMENTS) - 1  # employees are not segmented
        out = np.empty((count, len(RESPONSE_COLUMNS)), dtype=object)
        out[:, 0] = ids
        out[:, 1] = ids
        out[:, 2] = self.questionnaire[process]
        out[:, 3] = self.keys[rng.integers(0, spec.respondents, count)]
        out[:, 4] = process + 1
        out[:, 5] = tp + 1
        out[:, 6] = None
        out[:, 7] = self.client_type[process]
        out[:, 8] = self.tp_kind[tp]
        out[:, 9] = self.segments[segment]
        out[:, 10] = self.department[process]
        out[:, 11] = rating
        out[rng.random(count) < spec.null_rating_share, 11] = None
        out[:, 12] = self.month_text[months]
        out[:, 13] = self.day_text[months * 28 + day]
        out[:, 14] = self.stamp_text[(months * 28 + day) * 24 + hour]
        return out


ROWS_PER_STATEMENT = 100  # multi-row VALUES: the per-statement cost of executemany is paid 1/100


def insert_rows(connection: sqlite3.Connection, rows: np.ndarray) -> None:
    """Insert a block from `Model.rows` with multi-row INSERT statements."""
    width = len(RESPONSE_COLUMNS)
    whole = len(rows) // ROWS_PER_STATEMENT * ROWS_PER_STATEMENT
    if whole:
        many = INSERT_RESPONSE + (", " + INSERT_VALUES) * (ROWS_PER_STATEMENT - 1)
        connection.executemany(many, rows[:whole].reshape(-1, width * ROWS_PER_STATEMENT).tolist())
    if whole < len(rows):
        connection.executemany(INSERT_RESPONSE, rows[whole:].tolist())


def _migrate(path: Path) -> dict[str, int]:
    """Create the schema with the project's migrations and load its questionnaires."""

    async def run() -> dict[str, int]:
        engine = create_engine(f"sqlite+aiosqlite:///{path}")
        try:
            await upgrade_database(engine)
            return await sync_questionnaires(create_session_pool(engine))
        finally:
            await engine.dispose()

    return asyncio.run(run())


def bulk_connection(path: Path) -> sqlite3.Connection:
    """A stdlib connection tuned for loading: no fsync, no journal, big cache, no FK checks."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=OFF")
    connection.execute("PRAGMA synchronous=OFF")
    connection.execute("PRAGMA foreign_keys=OFF")
    connection.execute("PRAGMA cache_size=-2000000")  # 2 GB
    connection.execute("PRAGMA temp_store=MEMORY")
    return connection


def _load_registry(connection: sqlite3.Connection, spec: Spec, model: Model) -> None:
    connection.executemany(
        "INSERT INTO departments (id, code, name) VALUES (?, ?, ?)",
        [(d, f"D{d:03d}", f"Отдел {d}") for d in range(1, spec.departments + 1)],
    )
    connection.executemany(
        "INSERT INTO processes (id, code, name, direction_id, department_id, client_type,"
        " stages, active) VALUES (?, ?, ?, 1, ?, ?, '[]', 1)",
        [
            (p, f"P{p:05d}", f"Процесс {p}", int(model.department[p - 1]), model.client_type[p - 1])
            for p in range(1, spec.processes + 1)
        ],
    )
    connection.executemany(
        "INSERT INTO touchpoints (id, code, process_id, name, kind, channel, needs, specifics,"
        " payload, active) VALUES (?, ?, ?, ?, ?, ?, '[]', '', ?, 1)",
        [
            (
                t,
                f"T{t:05d}",
                int(model.tp_process[t - 1]) + 1,
                f"Точка {t}",
                model.tp_kind[t - 1],
                "ЕПГУ" if model.tp_kind[t - 1] == "digital" else "МФЦ",
                f"t-T{t:05d}",
            )
            for t in range(1, spec.touchpoints + 1)
        ],
    )


def _secondary_indexes(connection: sqlite3.Connection) -> list[tuple[str, str]]:
    return [
        (name, sql)
        for name, sql in connection.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'responses'"
            " AND sql IS NOT NULL ORDER BY name"
        )
    ]


BATCH = 250_000


def build_database(path: Path, spec: Spec) -> None:
    """Generate the database at `path` (replacing any file there)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in (path, meta_path(path), wal_path(path), shm_path(path)):
        stale.unlink(missing_ok=True)
    questionnaire_ids = _migrate(path)
    model = Model(spec, questionnaire_ids)
    connection = bulk_connection(path)
    try:
        connection.execute("BEGIN")
        _load_registry(connection, spec, model)
        indexes = _secondary_indexes(connection)
        for name, _sql in indexes:
            connection.execute(f'DROP INDEX "{name}"')
        with tqdm(total=spec.responses, unit="rows", unit_scale=True, desc="responses") as bar:
            for stream, first in enumerate(range(1, spec.responses + 1, BATCH)):
                count = min(BATCH, spec.responses + 1 - first)
                insert_rows(connection, model.rows(first, count, stream))
                bar.update(count)
        with tqdm(indexes, desc="indexes", unit="index") as bar:
            for name, sql in bar:
                bar.set_postfix_str(name)
                connection.execute(sql)
        connection.execute("COMMIT")
        connection.execute("PRAGMA journal_mode=WAL")
    finally:
        connection.close()
    meta_path(path).write_text(json.dumps(spec.as_json(), sort_keys=True, indent=1))


def meta_path(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def wal_path(path: Path) -> Path:
    return path.with_name(path.name + "-wal")


def shm_path(path: Path) -> Path:
    return path.with_name(path.name + "-shm")


def cached(path: Path, spec: Spec) -> bool:
    """True when `path` holds a complete database generated from exactly `spec`."""
    meta = meta_path(path)
    if not path.exists() or not meta.exists():
        return False
    try:
        return bool(json.loads(meta.read_text()) == spec.as_json())
    except ValueError:
        return False


def questionnaire_ids(connection: sqlite3.Connection) -> dict[str, int]:
    return {
        code: qid
        for code, qid in connection.execute("SELECT code, id FROM questionnaires WHERE is_current")
    }


def warm_file(path: Path) -> None:
    """Read the whole file once so every timing starts from the OS page cache."""
    with path.open("rb") as handle:
        while handle.read(1 << 24):
            pass
