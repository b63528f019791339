"""A one-page form as a workbook: the body's name, a title, label–value rows, signatures.

The conclusions the department head signs and the working group's draft minutes are such
forms. A value left as ``None`` is a field for people to fill in: it is shaded, so the
officer sees at a glance what the draft still lacks. Text from people is stored as text,
never as a formula; the page prints on one A4 sheet in portrait.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.worksheet import Worksheet

from storage.xlsx_text import save_workbook, text_cell

__all__ = ["Form", "write_form"]

_THIN = Side(style="thin")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP = Alignment(wrap_text=True, vertical="top")
_TO_FILL = PatternFill("solid", fgColor="FFF2CC")


@dataclass(frozen=True)
class Form:
    """What the page says: heading lines, label–value rows, and signature lines."""

    organization: str
    title: str
    subtitle: str
    rows: Sequence[tuple[str, str | None]]
    signatures: Sequence[tuple[str, str | None]]
    sheet_name: str
    footer: str = ""


def write_form(form: Form, out: Path) -> Path:
    """Write the form to ``out``; returns the path."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = form.sheet_name[:31]
    heading = [
        (form.organization, Font(size=10)),
        (form.title, Font(bold=True, size=13)),
        (form.subtitle, Font(bold=True, size=11)),
    ]
    row = 1
    for text, font in heading:
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=2)
        cell = text_cell(sheet.cell(row=row, column=1), text)
        cell.font = font
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        row += 1
    row += 1
    for label, value in form.rows:
        _pair(sheet, row, label, value, bordered=True)
        row += 1
    row += 1
    for label, value in form.signatures:
        _pair(sheet, row, label, value, bordered=False)
        sheet.row_dimensions[row].height = 30
        row += 1
    if form.footer:
        row += 1
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=2)
        text_cell(sheet.cell(row=row, column=1), form.footer).font = Font(italic=True, size=9)
    sheet.column_dimensions["A"].width = 38
    sheet.column_dimensions["B"].width = 70
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "portrait"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    out.parent.mkdir(parents=True, exist_ok=True)
    save_workbook(book, out)
    return out


def _pair(sheet: Worksheet, row: int, label: str, value: str | None, *, bordered: bool) -> None:
    name = text_cell(sheet.cell(row=row, column=1), label)
    name.font = Font(bold=True)
    name.alignment = _WRAP
    cell = text_cell(sheet.cell(row=row, column=2), value or "")
    cell.alignment = _WRAP
    if value is None:
        cell.fill = _TO_FILL
    if bordered:
        name.border = cell.border = _BORDER
