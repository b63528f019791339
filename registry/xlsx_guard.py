"""A look at an uploaded workbook's size and formulas before openpyxl loads it.

openpyxl loads a whole sheet into memory and fills every merged range and hyperlinked range
cell by cell, and a reader iterating ``max_row × max_column`` creates every cell in between:
one cell at XFD1048576 asks for 17 billion. This module streams the sheets' XML with a fixed
budget instead and refuses what a registry never needs, and it notes every formula cell
(the import reads values, and a formula's cached value may be missing or stale).
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from xml.etree.ElementTree import Element, iterparse

from openpyxl.utils import column_index_from_string, get_column_letter

from core.i18n import Translator

__all__ = [
    "MAX_CELLS",
    "MAX_COLUMNS",
    "MAX_ROWS",
    "MAX_UNPACKED_BYTES",
    "SheetScan",
    "WorkbookRefused",
    "scan_workbook",
]

MAX_ROWS = 10_000
MAX_COLUMNS = 100
MAX_CELLS = 200_000
MAX_UNPACKED_BYTES = 64 * 1024 * 1024

_OFFICE_DOCUMENT = "/officeDocument"
_WORKSHEET = "/worksheet"
_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_CELL = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d{1,7})")


class WorkbookRefused(Exception):
    """The workbook is refused before it is loaded; ``message`` is for the officer."""

    def __init__(self, sheet: str | None, message: str) -> None:
        self.sheet, self.message = sheet, message
        super().__init__(message)


@dataclass
class SheetScan:
    """What the stream saw of one worksheet: its formula and error-value cells as (row, column)."""

    title: str
    formulas: set[tuple[int, int]] = field(default_factory=set)
    error_values: set[tuple[int, int]] = field(default_factory=set)

    def refusal(self, row: int, column: int, value: object, _: Translator) -> str | None:
        """Why the cell's value is not the registry's word; None when it is."""
        cell = f"{get_column_letter(column)}{row}"
        if (row, column) in self.formulas:
            return _(
                "the cell {cell} holds a formula, and the registry takes values only: replace "
                "the formula with its value (Copy → Paste Special → Values) and upload the "
                "file again"
            ).format(cell=cell)
        if (row, column) in self.error_values:
            message = _(
                'the cell {cell} holds the Excel error "{value}": enter a value and '
                "upload the file again"
            )
            return message.format(cell=cell, value=value)
        return None


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _fix(_: Translator) -> str:
    return _(
        "delete the extra rows and columns beyond the table (or copy the table to a new "
        "sheet), save the file and upload it again"
    )


def _beyond_limits(problem: str, _: Translator) -> str:
    """`problem`, the registry's limits and what to do, as one sentence."""
    # the limits are constants, so the plural forms of rows and columns are fixed words
    limits = _(
        "the registry may have at most {rows} rows and {columns} columns (up to column {last})"
    ).format(rows=MAX_ROWS, columns=MAX_COLUMNS, last=get_column_letter(MAX_COLUMNS))
    return _("{problem}, but {limits}: {fix}").format(problem=problem, limits=limits, fix=_fix(_))


def _corner(reference: str) -> tuple[int, int] | None:
    """(row, column) of a cell reference such as «B7»; None when it is not one."""
    match = _CELL.fullmatch(reference.strip())
    if match is None:
        return None
    return int(match.group(2)), column_index_from_string(match.group(1).upper())


def _check_range(title: str, reference: str, what: str, _: Translator) -> None:
    """Refuse a range («A1:XFD1048576») or cell that reaches past the registry's limits;
    `what` names it, with a {range} placeholder."""
    for part in reference.split(":"):
        corner = _corner(part)
        if corner is not None and (corner[0] > MAX_ROWS or corner[1] > MAX_COLUMNS):
            raise WorkbookRefused(title, _beyond_limits(what.format(range=reference), _))


def _elements(source: IO[bytes]) -> Iterator[tuple[str, Element]]:
    return iterparse(source, events=("start", "end"))


def _scan_sheet(source: IO[bytes], title: str, _: Translator) -> SheetScan:
    """Stream one worksheet: declared size, rows, cells, merged and hyperlinked ranges."""
    scan = SheetScan(title)
    row = column = rows = cells = 0
    in_cell = False
    for event, element in _elements(source):
        name = _local(element.tag)
        if event == "end":
            if name == "c":
                in_cell = False
                element.clear()
            elif name == "row":
                element.clear()
            continue
        if name == "dimension":
            _check_range(title, element.get("ref", ""), _("the sheet declares the size {range}"), _)
        elif name == "row":
            rows += 1
            row = int(element.get("r") or row + 1)
            column = 0
            if rows > MAX_ROWS:
                message = _("the sheet has more than {rows} rows: {fix}")
                raise WorkbookRefused(title, message.format(rows=MAX_ROWS, fix=_fix(_)))
        elif name == "c":
            in_cell = True
            cells += 1
            corner = _corner(element.get("r", ""))
            if corner is not None:
                row, column = corner
            else:
                column += 1
            if row > MAX_ROWS or column > MAX_COLUMNS:
                reference = f"{get_column_letter(min(column, 16384))}{row}"
                problem = _("the cell {cell} is filled").format(cell=reference)
                raise WorkbookRefused(title, _beyond_limits(problem, _))
            if cells > MAX_CELLS:
                message = _("the sheet has more than {cells} filled cells: {fix}")
                raise WorkbookRefused(title, message.format(cells=MAX_CELLS, fix=_fix(_)))
            if element.get("t") == "e":
                scan.error_values.add((row, column))
        elif name == "f" and in_cell:
            scan.formulas.add((row, column))
        elif name == "mergeCell":
            _check_range(title, element.get("ref", ""), _("the cells {range} are merged"), _)
        elif name == "hyperlink":
            _check_range(title, element.get("ref", ""), _("a link covers the cells {range}"), _)
    return scan


def _relationships(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Relationship id → (type, target part) of ``part``; empty when it has none."""
    folder, name = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", f"{name}.rels")
    if rels not in archive.namelist():
        return {}
    found: dict[str, tuple[str, str]] = {}
    with archive.open(rels) as source:
        for _event, element in _elements(source):
            if _local(element.tag) == "Relationship" and _event == "end":
                target = element.get("Target", "")
                if target.startswith("/"):
                    target = target[1:]
                else:
                    target = posixpath.normpath(posixpath.join(folder, target))
                found[element.get("Id", "")] = (element.get("Type", ""), target)
    return found


def _worksheets(archive: zipfile.ZipFile) -> dict[str, str]:
    """Part name → sheet title of every worksheet the workbook lists (as openpyxl finds them)."""
    document = next(
        (t for kind, t in _relationships(archive, "").values() if kind.endswith(_OFFICE_DOCUMENT)),
        "xl/workbook.xml",
    )
    if document not in archive.namelist():
        return {}
    rels = _relationships(archive, document)
    parts: dict[str, str] = {}
    with archive.open(document) as source:
        for event, element in _elements(source):
            if event == "end" and _local(element.tag) == "sheet":
                kind, target = rels.get(element.get(_REL_ID, ""), ("", ""))
                if kind.endswith(_WORKSHEET) and target in archive.namelist():
                    parts[target] = element.get("name", target)
    return parts


def scan_workbook(path: Path, _: Translator) -> dict[str, SheetScan]:
    """Sheet title → scan, or WorkbookRefused; zip and XML errors propagate unchanged."""
    with zipfile.ZipFile(path) as archive:
        unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > MAX_UNPACKED_BYTES:
            megabytes = MAX_UNPACKED_BYTES // (1024 * 1024)
            message = _('the file "{name}" is larger than {megabytes} MB unpacked')
            problem = message.format(name=path.name, megabytes=megabytes)
            raise WorkbookRefused(None, _beyond_limits(problem, _))
        parts = _worksheets(archive)
        # a sheet part the workbook does not list is still scanned: nothing escapes the budget
        for name in archive.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                parts.setdefault(name, posixpath.basename(name))
        scans: dict[str, SheetScan] = {}
        for part, title in parts.items():
            with archive.open(part) as source:
                scans[title] = _scan_sheet(source, title, _)
        return scans
