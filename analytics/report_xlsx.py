"""Writing report tables to .xlsx so people can read them and pandas can read them back.

Every sheet is a document an official can sign (CONVENTIONS «Documents»): the head of
`storage.xlsx_document` — the body's name, the report's title, the period, the date of
preparation — takes the first ``HEAD_ROWS`` rows, the table's header is the row after it,
so `pandas.read_excel(…, header=HEAD_ROWS)` reads every sheet, the officer can sort and
filter in Excel, and A4 printing repeats the header on each page. Tables are written with
`DataFrame.to_excel` (openpyxl engine) and styled afterwards: bold filled header, frozen
header, auto-filter, fitted column widths and number formats per column. Number formats are
applied only to numeric cells, so a suppression marker such as «<5» stays plain text, and
every text (comments, names, stages) is stored as text, never as a formula.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import coordinate_from_string
from openpyxl.worksheet.worksheet import Worksheet

from storage.xlsx_document import DocumentHead, head_rows, set_print, write_head
from storage.xlsx_text import keep_text, storable

__all__ = [
    "COUNT_FORMAT",
    "DATE_FORMAT",
    "HEAD_ROWS",
    "MEAN_FORMAT",
    "SHARE_FORMAT",
    "Output",
    "Sheet",
    "fit_width",
    "style_sheet",
    "write_workbook",
]

MEAN_FORMAT = "0.00"
SHARE_FORMAT = "0.0%"
COUNT_FORMAT = "0"
DATE_FORMAT = "DD.MM.YYYY"
HEADER_FILL = PatternFill(fill_type="solid", start_color="FFDDEBF7", end_color="FFDDEBF7")
HEADER_FONT = Font(bold=True)
MIN_WIDTH = 6.0
MAX_WIDTH = 60.0
WRAP_WIDTH = 80.0
SHEET_NAME_LIMIT = 31  # Excel refuses longer sheet names
HEAD_ROWS = 5  # body, title, period, date of preparation, a blank row; then the table

Output = str | Path | BinaryIO


@dataclass(frozen=True)
class Sheet:
    """One table of a report and how its columns are shown.

    ``formats`` maps a column header to an Excel number format; ``wrap`` names long-text
    columns (comments) that get a wider cap and wrapped text instead of one endless line.
    ``freeze`` is the top-left unfrozen cell as if the table began at A1: "A2" freezes the
    header, "B2" also the first column of wide month grids (shifted below the head).
    """

    name: str
    frame: pd.DataFrame
    formats: Mapping[str, str] = field(default_factory=dict)
    wrap: Collection[str] = ()
    freeze: str = "A2"

    def __post_init__(self) -> None:
        if not self.name or len(self.name) > SHEET_NAME_LIMIT:
            raise ValueError(f"a sheet name must have 1 to {SHEET_NAME_LIMIT} characters")
        unknown = (set(self.formats) | set(self.wrap)) - {str(c) for c in self.frame.columns}
        if unknown:
            raise ValueError(f"sheet {self.name!r} has no columns {sorted(unknown)}")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _shown(value: Any, number_format: str | None) -> str:
    """Roughly the text Excel displays, to size the column by it."""
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return "00.00.0000"
    if _is_number(value):
        if number_format == SHARE_FORMAT:
            return f"{value * 100:.1f}%"
        if number_format == MEAN_FORMAT:
            return f"{value:.2f}"
        if isinstance(value, float):
            return f"{value:.0f}" if number_format == COUNT_FORMAT else f"{value:.4g}"
    return str(value)


def fit_width(values: Sequence[str], *, cap: float = MAX_WIDTH) -> float:
    """A column width that shows the longest line, within bounds so no column eats the sheet."""
    longest = max((len(line) for text in values for line in text.splitlines() or [""]), default=0)
    return max(MIN_WIDTH, min(cap, longest + 2.0))


def style_sheet(ws: Worksheet, sheet: Sheet, header_row: int = 1) -> None:
    """Header style, frozen header, auto-filter, widths and number formats of one sheet."""
    alignment = Alignment(wrap_text=True, vertical="top")
    for cell in ws[header_row]:
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = alignment
    column, row = coordinate_from_string(sheet.freeze)
    ws.freeze_panes = f"{column}{row + header_row - 1}"
    last = get_column_letter(max(1, len(sheet.frame.columns)))
    if ws.max_row > header_row:
        ws.auto_filter.ref = f"A{header_row}:{last}{ws.max_row}"
    wrapped = {str(c) for c in sheet.wrap}
    for index, column in enumerate(sheet.frame.columns, start=1):
        header = str(column)
        number_format = sheet.formats.get(header)
        texts = [header]
        for (cell,) in ws.iter_rows(min_row=header_row + 1, min_col=index, max_col=index):
            value = cell.value
            if isinstance(value, datetime | date):
                cell.number_format = DATE_FORMAT
            elif number_format is not None and _is_number(value):
                cell.number_format = number_format
            if header in wrapped:
                cell.alignment = alignment
            texts.append(_shown(value, number_format))
        # a header may wrap onto two lines, so it needs only half its length
        texts[0] = header if len(header) <= 24 else header[: (len(header) + 1) // 2]
        cap = WRAP_WIDTH if header in wrapped else MAX_WIDTH
        ws.column_dimensions[get_column_letter(index)].width = fit_width(texts, cap=cap)


def storable_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text columns hold only what a worksheet can store."""
    frame = frame.copy()
    for column in frame.columns:
        series = frame[column]
        if pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series):
            frame[column] = series.map(storable)
    return frame


def write_workbook(out: Output, sheets: Sequence[Sheet], head: DocumentHead) -> None:
    """Write the sheets in order to one .xlsx file or binary stream, each under ``head``."""
    if not sheets:
        raise ValueError("a workbook needs at least one sheet")
    if head_rows(head) != HEAD_ROWS:
        raise ValueError(f"a report's head takes {HEAD_ROWS} rows")
    with pd.ExcelWriter(
        out, engine="openpyxl", date_format=DATE_FORMAT, datetime_format=DATE_FORMAT
    ) as writer:
        for sheet in sheets:
            frame = storable_frame(sheet.frame)
            frame.to_excel(writer, sheet_name=sheet.name, index=False, startrow=HEAD_ROWS)
            ws = writer.sheets[sheet.name]
            header_row = write_head(ws, head, max(1, len(frame.columns)))
            keep_text(ws)  # to_excel makes "=…" comments formulas
            style_sheet(ws, sheet, header_row)
            landscape = len(frame.columns) > 3
            set_print(
                ws, header_rows=(header_row, header_row), rows=len(frame), landscape=landscape
            )
