"""What makes a workbook a document an official can sign: its head, print setup, signatures.

CONVENTIONS «Documents»: every workbook carries «the body's name, title, period, date of
preparation, a signature or «УТВЕРЖДАЮ» block where the regulation expects one, print setup
(paper, orientation, fit to width, repeated header rows)». The reports, the action plan, the
research lists and the registry export all write their first rows and page setup here, so the
head reads and prints the same in each; it lives in ``storage`` because the registry, the
lowest writer, uses it too. Every text goes through :func:`storage.xlsx_text.text_cell`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from core.i18n import Translator
from storage.xlsx_text import text_cell

__all__ = [
    "ONE_PAGE_ROWS",
    "PAPER_A4",
    "DocumentHead",
    "Signature",
    "document_head",
    "head_rows",
    "set_print",
    "write_head",
    "write_signatures",
]

PAPER_A4 = Worksheet.PAPERSIZE_A4
ONE_PAGE_ROWS = 15  # a table this short prints on one page with its head and signatures
_BLANK = "________________"


@dataclass(frozen=True)
class DocumentHead:
    """The lines above a document's table, already in the reader's language.

    ``approval`` is the stamp at the top right («УТВЕРЖДЕН протоколом…»), ``lines`` what
    follows the title (the process, the ground) before the period and the preparation date.
    """

    organization: str
    title: str
    period: str
    prepared: str
    approval: tuple[str, ...] = ()
    lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class Signature:
    """One signature line: who signs (their position) and, when the bot knows it, the name."""

    position: str
    name: str = ""


def document_head(
    organization: str | None,
    title: str,
    period: str | None,
    prepared_on: date,
    _: Translator,
    *,
    approval: Sequence[str] = (),
    lines: Sequence[str] = (),
) -> DocumentHead:
    """A head with the period and the preparation date worded as every document words them;
    a document of a state rather than a period (the registry) has ``period`` None: «as of»."""
    day = f"{prepared_on:%d.%m.%Y}"
    return DocumentHead(
        organization=organization or _("The organization's name is not given in the registry"),
        title=title,
        period=_("Period: {period}").format(period=period)
        if period is not None
        else _("As of {day}").format(day=day),
        prepared=_("Prepared on {day}").format(day=day),
        approval=tuple(approval),
        lines=tuple(lines),
    )


def head_rows(head: DocumentHead) -> int:
    """How many rows :func:`write_head` takes, the blank row before the table included."""
    return len(head.approval) + 4 + len(head.lines) + 1


def _line(sheet: Worksheet, row: int, width: int, text: str, font: Font, horizontal: str) -> None:
    if width > 1:
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
    cell = text_cell(sheet.cell(row=row, column=1), text)
    cell.font = font
    cell.alignment = Alignment(horizontal=horizontal, vertical="center", wrap_text=True)


def write_head(sheet: Worksheet, head: DocumentHead, width: int, *, first_row: int = 1) -> int:
    """Write the head across ``width`` columns from ``first_row``; returns the table's row."""
    rows: list[tuple[str, Font, str]] = [
        *((line, Font(bold=True, size=10), "right") for line in head.approval),
        (head.organization, Font(bold=True, size=11), "center"),
        (head.title, Font(bold=True, size=13), "center"),
        *((line, Font(size=10), "center") for line in head.lines),
        (head.period, Font(size=10), "center"),
        (head.prepared, Font(italic=True, size=9), "right"),
    ]
    for offset, (text, font, horizontal) in enumerate(rows):
        _line(sheet, first_row + offset, width, text, font, horizontal)
    title_row = first_row + len(head.approval) + 1
    sheet.row_dimensions[title_row].height = 33
    return first_row + len(rows) + 1


def set_print(
    sheet: Worksheet,
    *,
    header_rows: tuple[int, int],
    rows: int,
    landscape: bool = True,
) -> None:
    """A4, fit to one page wide, the table's header repeated on every printed page; a table of
    at most ``ONE_PAGE_ROWS`` rows (``rows``) is fitted to one page whole, head and signatures
    included, a longer one runs down as many pages as it needs."""
    setup = sheet.page_setup
    setup.paperSize = PAPER_A4
    setup.orientation = "landscape" if landscape else "portrait"
    setup.fitToWidth = 1
    setup.fitToHeight = 1 if rows <= ONE_PAGE_ROWS else 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = f"{header_rows[0]}:{header_rows[1]}"
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.5
    sheet.page_margins.top = sheet.page_margins.bottom = 0.6
    sheet.oddFooter.right.text = "&P / &N"


def write_signatures(
    sheet: Worksheet, row: int, signatures: Sequence[Signature], width: int, _: Translator
) -> int:
    """Signature lines from ``row``: position, a line to sign on, the name; returns next row.

    Columns: the position spans all but the last two (or the first) column, then the line to
    sign and the name under «(signature)» and «(full name)».
    """
    last = max(width, 3)
    span = last - 2
    for signature in signatures:
        if span > 1:
            sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=span)
        position = text_cell(sheet.cell(row=row, column=1), signature.position)
        position.alignment = Alignment(wrap_text=True, vertical="bottom")
        sheet.row_dimensions[row].height = 30
        for column, text in ((span + 1, _BLANK), (last, signature.name or _BLANK)):
            cell = text_cell(sheet.cell(row=row, column=column), text)
            cell.alignment = Alignment(horizontal="center", vertical="bottom", wrap_text=True)
        for column, text in ((span + 1, _("(signature)")), (last, _("(full name)"))):
            hint = text_cell(sheet.cell(row=row + 1, column=column), text)
            hint.font = Font(italic=True, size=8)
            hint.alignment = Alignment(horizontal="center", vertical="top")
        row += 3
    return row
