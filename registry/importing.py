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

from core.calendar import WorkingCalendar, default_calendar
from core.i18n import Translator
from registry.catalog import REVIEW_PERIOD_YEARS, add_years
from registry.cells import fold
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
from registry.publication import queue_publication_reminders, record_change
from registry.reading import read_registry
from registry.touchpoint_rows import generated_code
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
    calendar: WorkingCalendar | None = None,
) -> ImportReport:
    """Validate the whole workbook, then write it in one transaction: all of it or nothing.

    An import that changed something is a change of the list to be published within five
    working days (seed 002 §3.1); the report carries the date."""
    today = today or date.today()
    data = await asyncio.to_thread(read_registry, path, _, today=today)
    async with session_pool() as session, session.begin():
        report = await _apply(session, data, _Import(today, progress, _))
        if report.changed:
            calendar = calendar or default_calendar()
            change = await record_change(session, today, calendar)
            report.publish_by = change.publish_by
            await queue_publication_reminders(session, today, calendar, _)
        return report


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
    await _apply_touchpoints(session, data.touchpoints, by_name, report, run)
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
    named = {fold(p.name): p for p in existing.values()}
    counts, by_name, listed = report.processes, dict[str, Process](), set[str]()
    for entry in entries:
        process = existing.get(entry.code)
        if process is None and entry.generated:  # a body's form: the process is its name
            process = named.get(fold(entry.name))
        values: dict[str, Any] = {
            "name": entry.name,
            "group_number": entry.group_number,
            "direction_id": directions[entry.direction.code].id,
            "active": True,
        }
        optional: dict[str, dict[str, Any]] = {
            "department": {
                "department_id": departments[entry.department_code].id
                if entry.department_code
                else None
            },
            "owner": {"owner_id": people[_owner_key(entry.owner)].id if entry.owner else None},
            "client": {"client_type": entry.client_type},
            "reengineered": {
                "last_reengineering": entry.last_reengineering,
                "review_due": _review_due(entry, process, run.today),
            },
            "stages": {"stages": list(entry.stages)},
        }
        for key, fields in optional.items():
            if key in entry.given or process is None:  # an absent column keeps what is stored
                values |= fields
        if process is None:
            process = Process(code=entry.code, **values)
            session.add(process)
            counts.created += 1
        elif _assign(process, values):
            counts.updated += 1
        else:
            counts.unchanged += 1
        by_name[entry.name] = process
        listed.add(process.code)
        run.step()
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
    report: ImportReport,
    run: _Import,
) -> None:
    """Create, update or switch off touchpoints; a new link that clashes rolls all back."""
    counts = report.touchpoints
    touchpoints = {t.code: t for t in await session.scalars(sa.select(Touchpoint))}
    named = {(t.process_id, fold(t.name)): t for t in touchpoints.values()}
    departments = await _touchpoint_departments(session, entries, report.departments)
    payloads = {t.payload: t.code for t in touchpoints.values()}
    clashes: list[RegistryError] = []
    words, _ = layout(run._), run._
    listed: set[str] = set()
    for entry in entries:
        process_id = processes[entry.process_name].id
        touchpoint = touchpoints.get(entry.code)
        if touchpoint is None and entry.generated:  # a body's form: kept by process and name
            touchpoint = named.get((process_id, fold(entry.name)))
        values: dict[str, Any] = {
            "process_id": process_id,
            "name": entry.name,
            "needs": list(entry.needs),
            "specifics": entry.specifics,
            "active": entry.active,
        }
        optional: dict[str, dict[str, Any]] = {
            "kind": {"kind": entry.kind},
            "channel": {"channel": entry.channel},
            "department": {"department_id": departments.get(_department_key(entry))},
        }
        for key, fields in optional.items():
            if key in entry.given or touchpoint is None:
                values |= fields
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
            listed.add(entry.code)
        else:
            if _assign(touchpoint, values):
                counts.updated += 1
            else:
                counts.unchanged += 1
            listed.add(touchpoint.code)
        run.step()
    if clashes:
        raise RegistryImportError(clashes, _)
    for code, touchpoint in touchpoints.items():
        if code not in listed and touchpoint.active:
            touchpoint.active = False
            counts.deactivated += 1


def _department_key(entry: TouchpointEntry) -> str:
    return entry.department_code or fold(entry.department_name or "")


async def _touchpoint_departments(
    session: AsyncSession, entries: Sequence[TouchpointEntry], counts: Counts
) -> dict[str, int]:
    """The departments the touchpoint rows name (seed 002 §2.6), by code or by name; a name
    the database does not know yet becomes a department with a code made from it."""
    known = list(await session.scalars(sa.select(Department)))
    by_code = {d.code: d for d in known}
    by_name = {fold(d.name): d for d in known}
    found: dict[str, int] = {}
    for entry in entries:
        key = _department_key(entry)
        if not key or key in found:
            continue
        department = by_code.get(entry.department_code or "") or by_name.get(key)
        if department is None:
            name = entry.department_name or ""
            department = Department(code=generated_code("D", name), name=name)
            session.add(department)
            await session.flush()
            by_name[key] = department
            counts.created += 1
        found[key] = department.id
    return found


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
