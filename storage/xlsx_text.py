"""Text in a workbook stays text: what people or imports wrote is never a formula.

openpyxl stores a str that starts with "=" as a formula and one equal to an error code
(«#N/A») as an error, and pandas' ``to_excel`` assigns cell values the same way, so a comment
``=HYPERLINK("http://…","click")`` would become a live link in a document an official opens.
Every workbook writer passes its sheets through :func:`keep_text` (or saves with
:func:`save_workbook`) so each str is stored as a text cell and shows exactly as written.
Control characters XML cannot hold (ESC, BEL…; a message may carry them) make openpyxl refuse
the whole workbook, so :func:`storable` drops them before a value is set: they show as nothing.
"""

from __future__ import annotations

from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.worksheet.worksheet import Worksheet

__all__ = ["TEXT", "keep_text", "save_workbook", "storable", "text_cell"]

TEXT = "s"  # openpyxl's data type of a string cell


def storable(value: Any) -> Any:
    """``value`` with the control characters a worksheet cannot hold removed from a str."""
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def text_cell(cell: Cell, value: Any) -> Cell:
    """Set ``value``; a str is stored as text whatever it starts with."""
    cell.value = storable(value)
    if isinstance(value, str):
        cell.data_type = TEXT
    return cell


def keep_text(sheet: Worksheet) -> int:
    """Store every str cell of ``sheet`` as text; returns how many were about to be otherwise."""
    changed = 0
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.data_type != TEXT:
                cell.data_type = TEXT
                changed += 1
    return changed


def save_workbook(book: Workbook, out: Any) -> None:
    """Save ``book`` to a path or binary stream with every str of every sheet kept as text."""
    for sheet in book.worksheets:
        keep_text(sheet)
    book.save(out)
