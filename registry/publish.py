"""The list to publish on the body's site: the seed 002 form, its six columns and no more.

Seed 002 §2.1: «Перечень формируется по форме согласно приложению к настоящему Порядку ... и
утверждается приказом министерства. Перечень размещается на официальном сайте министерства в
разделе «Документы»». §2.2 names the six columns. The document carries the approval line of
the order, the body's name and the title (the shared head of storage.xlsx_document); a
process's group, direction and name are merged over its touchpoints, as the published form
is laid out, and the file imports back as a body's own list (`registry.reading`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from core.i18n import Translator
from registry.catalog import PUBLICATION_APPROVAL, PUBLICATION_TITLE
from registry.cells import format_needs
from registry.entries import ProcessEntry, RegistryData, TouchpointEntry
from registry.export import registry_from_database
from registry.layout import layout
from storage.database import SessionPool
from storage.xlsx_document import document_head, set_print, write_head
from storage.xlsx_text import save_workbook, text_cell

_WIDTHS = (12, 30, 40, 38, 52, 40)
_THIN = Side(style="thin")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP = Alignment(wrap_text=True, vertical="top")
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)


async def export_publication(
    session_pool: SessionPool, path: Path, _: Translator, *, today: date | None = None
) -> int:
    """Write the list to publish; returns the number of its touchpoints (active ones only:
    the published list is what a client meets today)."""
    async with session_pool() as session:
        data = await registry_from_database(session)
    data.touchpoints = [t for t in data.touchpoints if t.active]
    await asyncio.to_thread(write_publication, path, data, _, today or date.today())
    return len(data.touchpoints)


def _ordered(data: RegistryData) -> list[tuple[ProcessEntry, list[TouchpointEntry]]]:
    """Processes in group order with their touchpoints, each department's together (§2.6)."""
    rows = []
    for process in data.processes:
        own = [t for t in data.touchpoints if t.process_name == process.name]
        if own:
            own.sort(key=lambda t: (t.department_name or "", t.code))
            rows.append((process, own))
    return rows


def write_publication(path: Path, data: RegistryData, _: Translator, today: date) -> None:
    words = layout(_)
    headers: Sequence[str] = words.form_headers
    book = Workbook()
    sheet = book.active
    sheet.title = _("List")
    # The shared head (storage.xlsx_document): the approval stamp, the body, the title, «as of».
    head = document_head(
        data.organization_name, PUBLICATION_TITLE, None, today, _, approval=PUBLICATION_APPROVAL
    )
    header_row = write_head(sheet, head, len(headers))
    for column, header in enumerate(headers, start=1):
        cell = text_cell(sheet.cell(row=header_row, column=column), header)
        cell.font, cell.alignment, cell.border = Font(bold=True), _CENTER, _BORDER
    row = header_row + 1
    for process, touchpoints in _ordered(data):
        first = row
        for touchpoint in touchpoints:
            values = (
                process.group_number or None,
                process.direction.name,
                process.name,
                touchpoint.name,
                format_needs(touchpoint.needs),
                touchpoint.specifics,
            )
            for column, value in enumerate(values, start=1):
                cell = text_cell(sheet.cell(row=row, column=column), value)
                cell.border, cell.alignment = _BORDER, _CENTER if column == 1 else _WRAP
            row += 1
        if row - first > 1:
            for column in (1, 2, 3):  # the form merges a process's cells over its touchpoints
                sheet.merge_cells(start_row=first, start_column=column, end_row=row - 1,
                                  end_column=column)  # fmt: skip
    for column, width in enumerate(_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    set_print(sheet, header_rows=(header_row, header_row), rows=row - header_row - 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_workbook(book, path)
