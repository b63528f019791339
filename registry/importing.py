"""Applying a validated registry to the database: all of it in one transaction, or nothing.

A half-applied registry would send surveys to the wrong processes, so `import_registry` reads
and validates the whole workbook first (`registry.reading`) and then writes it at once.
Missing processes and touchpoints are switched off, never deleted.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from core.i18n import Translator
from registry.catalog import REVIEW_PERIOD_YEARS, add_years
from registry.entries import (
    Counts,
    ImportReport,
    Owner,
    ProcessEntry,
    RegistryData,
    RegistryError,
    RegistryImportError,
    TouchpointEntry,
)
from registry.layout import layout
from registry.links import payload_for_code
from registry.reading import read_registry
from storage.database import SessionPool
from storage.models import (
    ActivityDirection,
    Department,
    OrganizationSettings,
    Person,
    Process,
    Touchpoint,
)

Progress = Callable[[int, int], None]


async def import_registry(
    session_pool: SessionPool,
    path: Path,
    _: Translator,
    *,
    today: date | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Validate the whole workbook, then write it in one transaction: all of it or nothing."""
    today = today or date.today()
    data = await asyncio.to_thread(read_registry, path, _, today=today)
    async with session_pool() as session, session.begin():
        return await _apply(session, data, _Import(today, progress, _))


@dataclass
class _Import:
    """One import's day, progress callback and language, with its running count."""

    today: date
    progress: Progress | None
    _: Translator
    total: int = 0
    done: int = 0

    def step(self) -> None:
        self.done += 1
        if self.progress:
            self.progress(self.done, self.total)


async def _apply(session: AsyncSession, data: RegistryData, run: _Import) -> ImportReport:
    report = ImportReport()
    directions = {d.code: d for d in await session.scalars(sa.select(ActivityDirection))}
    unknown = sorted({p.direction.code for p in data.processes} - directions.keys())
    if unknown:
        message = run._("the database has no activity directions {codes}: upgrade the database")
        error = RegistryError(None, None, None, message.format(codes=", ".join(unknown)))
        raise RegistryImportError([error], run._)
    run.total = len(data.processes) + len(data.touchpoints)
    by_name = await _apply_processes(session, data.processes, directions, report, run)
    await _apply_touchpoints(session, data.touchpoints, by_name, report.touchpoints, run)
    report.organization_changed = await _apply_organization(session, data.organization_name)
    await session.flush()
    return report


async def _apply_processes(
    session: AsyncSession,
    entries: Sequence[ProcessEntry],
    directions: dict[str, ActivityDirection],
    report: ImportReport,
    run: _Import,
) -> dict[str, Process]:
    """Create, update or switch off processes; returns them by name for their touchpoints."""
    departments = await _apply_departments(session, entries, report.departments)
    people = await _apply_people(session, entries, report.people)
    existing = {p.code: p for p in await session.scalars(sa.select(Process))}
    counts, by_name = report.processes, dict[str, Process]()
    for entry in entries:
        process = existing.get(entry.code)
        values = {
            "name": entry.name,
            "group_number": entry.group_number,
            "direction_id": directions[entry.direction.code].id,
            "department_id": departments[entry.department_code].id
            if entry.department_code
            else None,
            "owner_id": people[_owner_key(entry.owner)].id if entry.owner else None,
            "client_type": entry.client_type,
            "last_reengineering": entry.last_reengineering,
            "review_due": _review_due(entry, process, run.today),
            "stages": list(entry.stages),
            "active": True,
        }
        if process is None:
            process = Process(code=entry.code, **values)
            session.add(process)
            counts.created += 1
        elif _assign(process, values):
            counts.updated += 1
        else:
            counts.unchanged += 1
        by_name[entry.name] = process
        run.step()
    listed = {p.code for p in entries}
    for code, process in existing.items():
        if code not in listed and process.active:
            process.active = False
            counts.deactivated += 1
    await session.flush()
    return by_name


async def _apply_touchpoints(
    session: AsyncSession,
    entries: Sequence[TouchpointEntry],
    processes: dict[str, Process],
    counts: Counts,
    run: _Import,
) -> None:
    """Create, update or switch off touchpoints; a new link that clashes rolls all back."""
    touchpoints = {t.code: t for t in await session.scalars(sa.select(Touchpoint))}
    payloads = {t.payload: t.code for t in touchpoints.values()}
    clashes: list[RegistryError] = []
    words, _ = layout(run._), run._
    for entry in entries:
        touchpoint = touchpoints.get(entry.code)
        values = {
            "process_id": processes[entry.process_name].id,
            "name": entry.name,
            "kind": entry.kind,
            "channel": entry.channel,
            "needs": list(entry.needs),
            "specifics": entry.specifics,
            "active": entry.active,
        }
        if touchpoint is None:
            # The payload is fixed at creation and never rewritten: printed QR codes stay valid.
            payload = payload_for_code(entry.code)
            if payload in payloads:
                message = _('the link "{payload}" is already taken by the touchpoint "{code}"')
                text = message.format(payload=payload, code=payloads[payload])
                sheet, column = words.touchpoints_sheet, words.touchpoint_code
                clashes.append(RegistryError(sheet, entry.row, column, text))
            session.add(Touchpoint(code=entry.code, payload=payload, **values))
            counts.created += 1
        elif _assign(touchpoint, values):
            counts.updated += 1
        else:
            counts.unchanged += 1
        run.step()
    if clashes:
        raise RegistryImportError(clashes, _)
    listed = {t.code for t in entries}
    for code, touchpoint in touchpoints.items():
        if code not in listed and touchpoint.active:
            touchpoint.active = False
            counts.deactivated += 1


def _assign(record: Any, values: dict[str, Any]) -> bool:
    """Set the attributes that differ; True when something changed (for the report)."""
    changed = False
    for key, value in values.items():
        if getattr(record, key) != value:
            setattr(record, key, value)
            changed = True
    return changed


def _review_due(entry: ProcessEntry, process: Process | None, today: date) -> date:
    """Three years after the last reengineering; never reengineered → three years from the
    first import that saw it so, kept on later imports (a re-import must change nothing)."""
    if entry.last_reengineering is not None:
        return add_years(entry.last_reengineering, REVIEW_PERIOD_YEARS)
    if process is not None and process.last_reengineering is None and process.review_due:
        return process.review_due
    return add_years(today, REVIEW_PERIOD_YEARS)


async def _apply_departments(
    session: AsyncSession, processes: Sequence[ProcessEntry], counts: Counts
) -> dict[str, Department]:
    wanted = {p.department_code: p.department_name or "" for p in processes if p.department_code}
    query = sa.select(Department).where(Department.code.in_(list(wanted)))
    departments = {d.code: d for d in await session.scalars(query)}
    for code, name in wanted.items():
        department = departments.get(code)
        if department is None:
            departments[code] = Department(code=code, name=name)
            session.add(departments[code])
            counts.created += 1
        elif department.name != name:
            department.name = name
            counts.updated += 1
        else:
            counts.unchanged += 1
    await session.flush()
    return departments


def _owner_key(owner: Owner) -> str:
    if owner.telegram_id is not None:
        return f"id:{owner.telegram_id}"
    if owner.max_id is not None:
        return f"max:{owner.max_id}"
    return f"@{(owner.username or '').casefold()}"


async def _apply_people(
    session: AsyncSession, processes: Sequence[ProcessEntry], counts: Counts
) -> dict[str, Person]:
    """Owners by Telegram id, MAX user id, or @username case-insensitively; unknown ones are
    created."""
    people: dict[str, Person] = {}
    for process in processes:
        owner = process.owner
        if owner is None or _owner_key(owner) in people:
            continue
        if owner.telegram_id is not None:
            query = sa.select(Person).where(Person.telegram_id == owner.telegram_id)
        elif owner.max_id is not None:
            query = sa.select(Person).where(Person.max_id == owner.max_id)
        else:
            query = (
                sa.select(Person)
                .where(sa.func.lower(Person.username) == (owner.username or "").lower())
                .order_by(Person.telegram_id.is_(None), Person.id)
                .limit(1)
            )
        person = await session.scalar(query)
        if person is None:
            person = Person(
                telegram_id=owner.telegram_id, username=owner.username, max_id=owner.max_id
            )
            session.add(person)
            counts.created += 1
        else:
            counts.unchanged += 1
        people[_owner_key(owner)] = person
    await session.flush()
    return people


async def _apply_organization(session: AsyncSession, name: str | None) -> bool:
    if not name:
        return False
    query = sa.select(OrganizationSettings).order_by(OrganizationSettings.id).limit(1)
    organization = await session.scalar(query)
    if organization is None:
        session.add(OrganizationSettings(name=name))
        return True
    if organization.name != name:
        organization.name = name
        return True
    return False
