"""The registry as a workbook: the export of the database and the file the example is built as.

It writes the format `registry.reading` reads, in the same words, so an exported registry
imports back unchanged.
"""

from __future__ import annotations

import asyncio
import io
import zipfile
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.xml.functions import tostring
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from core.clock import utcnow
from core.i18n import Translator
from registry.catalog import DIRECTION_BY_CODE, Direction
from registry.cells import format_needs
from registry.entries import Owner, ProcessEntry, RegistryData, TouchpointEntry
from registry.layout import Layout, layout
from storage.database import SessionPool
from storage.models import OrganizationSettings, Process, Touchpoint
from storage.xlsx_document import DocumentHead, document_head, set_print, write_head
from storage.xlsx_text import keep_text, storable

_DATE_FORMAT = "DD.MM.YYYY"
_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_CORE_PROPERTIES = "docProps/core.xml"


async def export_registry(session_pool: SessionPool, path: Path, _: Translator) -> int:
    """Write the registry of active processes to `path`; returns the number of touchpoints.

    Processes switched off by an import are left out (the processes sheet has no activity
    column), their touchpoints with them; switched-off touchpoints of live processes stay in,
    marked as inactive. Each sheet is a document (storage.xlsx_document): the body, the title,
    «as of» and the date above the table, which the reader finds among the first ten rows.
    """
    async with session_pool() as session:
        data = await registry_from_database(session)
    title = _("Register of processes and touchpoints")
    head = document_head(data.organization_name, title, None, utcnow().date(), _)
    await asyncio.to_thread(write_registry_workbook, path, data, _, head=head)
    return len(data.touchpoints)


def _process_entry(process: Process) -> ProcessEntry:
    direction = DIRECTION_BY_CODE.get(process.direction.code) or Direction(
        process.direction.code, process.direction.name, False
    )
    owner = process.owner
    return ProcessEntry(
        code=process.code,
        group_number=process.group_number or 0,
        name=process.name,
        direction=direction,
        department_code=process.department.code if process.department else None,
        department_name=process.department.name if process.department else None,
        owner=Owner(owner.telegram_id, owner.username, owner.max_id)
        if owner and (owner.telegram_id is not None or owner.username or owner.max_id is not None)
        else None,
        client_type=process.client_type,
        last_reengineering=process.last_reengineering,
        stages=tuple(process.stages),
    )


async def registry_from_database(session: AsyncSession) -> RegistryData:
    query = (
        sa.select(Process)
        .where(Process.active)
        .options(
            selectinload(Process.direction),
            selectinload(Process.department),
            selectinload(Process.owner),
            selectinload(Process.touchpoints).selectinload(Touchpoint.department),
        )
    )
    processes = sorted(await session.scalars(query), key=lambda p: (p.group_number or 0, p.code))
    organization = await session.scalar(
        sa.select(OrganizationSettings.name).order_by(OrganizationSettings.id).limit(1)
    )
    data = RegistryData(organization, [], [])
    for process in processes:
        data.processes.append(_process_entry(process))
        data.touchpoints.extend(
            TouchpointEntry(
                code=t.code,
                process_name=process.name,
                name=t.name,
                needs=tuple(t.needs),
                specifics=t.specifics,
                kind=t.kind,
                channel=t.channel,
                active=t.active,
                department_code=t.department.code if t.department else None,
                department_name=t.department.name if t.department else None,
            )
            for t in sorted(process.touchpoints, key=lambda t: t.code)
        )
    return data


def write_registry_workbook(
    path: Path,
    data: RegistryData,
    _: Translator,
    *,
    fixed_time: datetime | None = None,
    head: DocumentHead | None = None,
) -> None:
    """Write `data` in the registry format; `fixed_time` makes the file byte-for-byte
    reproducible (the example workbook is committed, so it must not change on each build);
    `head` puts the document's head above each table (the export; the example to fill has none)."""
    words = layout(_)
    book = Workbook()
    processes_sheet = book.active
    processes_sheet.title = words.processes_sheet
    process_rows = [_process_cells(p, words) for p in data.processes]
    _fill(processes_sheet, words.process_headers, process_rows, words, head)
    by_name = {p.name: p for p in data.processes}
    touchpoint_rows = [
        _touchpoint_cells(t, by_name[t.process_name], words) for t in data.touchpoints
    ]
    touchpoints_sheet = book.create_sheet(words.touchpoints_sheet)
    _fill(touchpoints_sheet, words.touchpoint_headers, touchpoint_rows, words, head)
    organization = book.create_sheet(words.organization_sheet)
    # the body's name itself, read back from A2: a data sheet, not a document to print
    _fill(organization, (words.organization_header,), [[data.organization_name or None]], words)
    organization.column_dimensions["A"].width = 80
    if fixed_time is None:
        book.save(path)
    else:
        _save_reproducibly(book, path, fixed_time)


def _save_reproducibly(book: Any, path: Path, fixed_time: datetime) -> None:
    buffer = io.BytesIO()
    book.save(buffer)  # stamps "modified" with the current time; put the fixed one back
    book.properties.created = book.properties.modified = fixed_time
    core = tostring(book.properties.to_tree())
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(path, "w") as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=_FIXED_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            content = core if info.filename == _CORE_PROPERTIES else source.read(info.filename)
            target.writestr(entry, content)


def _process_cells(p: ProcessEntry, words: Layout) -> list[Any]:
    return [
        p.code,
        p.group_number or None,
        p.name,
        p.direction.name,
        p.department_code,
        p.department_name,
        str(p.owner) if p.owner else None,
        words.client_words[p.client_type],
        p.last_reengineering,
        "; ".join(p.stages) or None,
    ]


def _touchpoint_cells(t: TouchpointEntry, process: ProcessEntry, words: Layout) -> list[Any]:
    return [
        process.group_number or None,
        process.direction.name,
        process.name,
        t.name,
        format_needs(t.needs),
        t.specifics,
        t.code,
        words.kind_words[t.kind],
        t.channel,
        words.yes if t.active else words.no,
        t.department_name,
    ]


def _widths(words: Layout) -> dict[str, int]:
    return {
        words.process_code: 14,
        words.group: 12,
        words.process_name: 48,
        words.direction: 34,
        words.department_code: 14,
        words.department_name: 36,
        words.owner: 18,
        words.client_type: 13,
        words.reengineered: 16,
        words.stages: 52,
        words.touchpoint_name: 38,
        words.needs: 52,
        words.specifics: 40,
        words.touchpoint_code: 18,
        words.kind: 11,
        words.channel: 20,
        words.active: 10,
        words.touchpoint_department: 36,
    }


def _wrapped(words: Layout) -> set[str]:
    return {
        words.process_name,
        words.direction,
        words.department_name,
        words.stages,
        words.touchpoint_name,
        words.needs,
        words.specifics,
        words.channel,
        words.touchpoint_department,
    }


def _fill(
    sheet: Any,
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    words: Layout,
    head: DocumentHead | None = None,
) -> None:
    """Headers bold and frozen, long texts wrapped, dates as DD.MM.YYYY date cells; under
    ``head`` when given, printed on A4 with the header row on every page."""
    top = write_head(sheet, head, len(headers)) if head is not None else 1
    for index, header in enumerate(headers, start=1):
        sheet.cell(row=top, column=index, value=header)
    for offset, row in enumerate(rows, start=1):
        for index, value in enumerate(row, start=1):
            sheet.cell(row=top + offset, column=index, value=storable(value))
    keep_text(sheet)  # a name «=…» read from a text cell goes back as text, not a formula
    header_fill = PatternFill("solid", fgColor="DDE5F0")
    widths, wrapped = _widths(words), _wrapped(words)
    for index, header in enumerate(headers, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = widths.get(header, 20)
        title = sheet.cell(row=top, column=index)
        title.font = Font(bold=True)
        title.fill = header_fill
        title.alignment = Alignment(wrap_text=True, vertical="center")
        wrap = Alignment(wrap_text=header in wrapped, vertical="top")
        for (cell,) in sheet.iter_rows(min_row=top + 1, min_col=index, max_col=index):
            cell.alignment = wrap
            if isinstance(cell.value, date):
                cell.number_format = _DATE_FORMAT
            elif header == words.owner:
                cell.number_format = "@"
    sheet.freeze_panes = f"A{top + 1}"
    if len(headers) > 1:
        last = get_column_letter(len(headers))
        sheet.auto_filter.ref = f"A{top}:{last}{max(len(rows) + top, top + 1)}"
    if head is not None:
        set_print(sheet, header_rows=(top, top), rows=len(rows), landscape=len(headers) > 1)
