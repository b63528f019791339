"""Reading the registry workbook: every sheet validated, every problem named, nothing written.

The workbook is what a ministry already keeps (the seed 002 touchpoint list plus a process
sheet), so officers edit the registry in Excel and the bot follows. The format is described in
docs/registry-format.md; `registry.importing` writes what this module returns.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from core.i18n import Translator
from registry.cells import Row, cell_text, fold, squash
from registry.entries import (
    ProcessEntry,
    RegistryData,
    RegistryError,
    RegistryImportError,
    TouchpointEntry,
)
from registry.layout import MAX_LENGTH, Layout, layout
from registry.process_rows import read_process
from registry.touchpoint_rows import ProcessIndex, read_touchpoint
from registry.xlsx_guard import SheetScan, WorkbookRefused, scan_workbook


@dataclass
class _Book:
    """An open workbook being read: its scans, the errors found so far, its words."""

    book: Any
    scans: dict[str, SheetScan]
    errors: list[RegistryError]
    words: Layout
    _: Translator
    today: date

    def sheet_name(self, title: str) -> str | None:
        return {fold(name): name for name in self.book.sheetnames}.get(fold(title))

    def header_key(self, value: Any) -> str:
        return fold(cell_text(value, self._)).rstrip("*").strip()


def _unmerged_rows(sheet: Any, max_row: int | None = None) -> list[list[Any]]:
    """Cell values with merged ranges filled in: the published seed-002 form merges the group,
    direction and process cells over all touchpoints of a process."""
    rows = [list(row) for row in sheet.iter_rows(max_row=max_row, values_only=True)]
    for merged in sheet.merged_cells.ranges:
        top, left = merged.min_row - 1, merged.min_col - 1
        if top >= len(rows) or left >= len(rows[top]):
            continue
        value = rows[top][left]
        for r in range(top, min(merged.max_row, len(rows))):
            for c in range(left, min(merged.max_col, len(rows[r]))):
                rows[r][c] = value
    return rows


def _header_row(
    book: _Book, rows: list[list[Any]], headers: Sequence[str]
) -> tuple[int, dict[str, int], dict[str, str]]:
    """The row among the first ten that holds the most headers, where each one is, and how
    the workbook words it (the form's own headings are read as the bot's, §2.2)."""
    aliases = book.words.aliases
    wanted = {book.header_key(h): h for h in headers}
    for header in headers:
        wanted |= {book.header_key(a): header for a in aliases.get(header, ())}
    header_index, positions, shown = 0, dict[str, int](), dict[str, str]()
    for index, row in enumerate(rows[:10]):
        found: dict[str, int] = {}
        for i, value in enumerate(row):
            known = wanted.get(book.header_key(value))
            if known is not None and known not in found:
                found[known] = i
        if len(found) > len(positions):
            header_index, positions = index, found
            shown = {h: squash(cell_text(row[i], book._)) for h, i in found.items()}
        if len(found) == len(headers):
            break
    return header_index, positions, shown


@dataclass
class _Sheet:
    """A sheet found in the workbook: its data rows, keyed by the bot's headers."""

    name: str
    rows: list[Row]


def _find_sheet(book: _Book, title: str, required: Sequence[str], other: str | None) -> str | None:
    """The sheet called `title`, or else the one (not `other`) whose first rows hold the
    most `required` headings, more than half of them: a body's own list is on «Лист1» or
    «Перечень», and a heading mistyped there is a missing column, not a missing sheet."""
    if (name := book.sheet_name(title)) is not None:
        return name
    best, found = None, len(required) // 2
    for name in (sheet for sheet in book.book.sheetnames if sheet != other):
        _, positions, _ = _header_row(book, _unmerged_rows(book.book[name], 10), required)
        if len(positions) > found:
            best, found = name, len(positions)
    return best


def _sheet_rows(
    book: _Book, name: str, headers: Sequence[str], required: Sequence[str]
) -> _Sheet | None:
    """Data rows of a sheet as `Row`s keyed by header; None (errors recorded) when one of its
    required columns is missing."""
    _ = book._
    rows = _unmerged_rows(book.book[name])
    scan = book.scans.get(name) or SheetScan(name)
    header_index, positions, shown = _header_row(book, rows, headers)
    for header in required:
        if header not in positions:  # named in every wording it is read in
            wordings = " / ".join((header, *book.words.aliases.get(header, ())))
            error = RegistryError(name, header_index + 1, wordings, _("column not found"))
            book.errors.append(error)
    if any(header not in positions for header in required):
        return None
    found = []
    for index in range(header_index + 1, len(rows)):
        row = rows[index]
        values = {h: row[i] if i < len(row) else None for h, i in positions.items()}
        refusals = {h: scan.refusal(index + 1, i + 1, values[h], _) for h, i in positions.items()}
        refused = {h: why for h, why in refusals.items() if why is not None}
        if refused or any(cell_text(v, _) for v in values.values()):
            found.append(Row(name, index + 1, values, book.errors, refused, book.words, _, shown))
    if not found:
        # An import switches off whatever the workbook leaves out: an empty sheet would switch
        # off the whole registry, which no officer means.
        message = _("the sheet has no rows: an empty sheet would switch off the whole registry")
        book.errors.append(RegistryError(name, None, None, message))
        return None
    return _Sheet(name, found)


def _check_unique(
    entries: Sequence[ProcessEntry | TouchpointEntry],
    sheet: str,
    column: str,
    key: Callable[[Any], str],
    book: _Book,
) -> None:
    seen: dict[str, int] = {}
    for entry in entries:
        value = key(entry)
        if value.casefold() in seen:
            message = book._('"{value}" is already given in row {row}')
            text = message.format(value=value, row=seen[value.casefold()])
            book.errors.append(RegistryError(sheet, entry.row, column, text))
        else:
            seen[value.casefold()] = entry.row


def _check_departments(processes: Sequence[ProcessEntry], book: _Book) -> None:
    named: dict[str, ProcessEntry] = {}
    for process in processes:
        if process.department_code is None:
            continue
        first = named.setdefault(process.department_code, process)
        if first.department_name != process.department_name:
            message = book._(
                'the department with the code "{code}" is already named "{name}" in row {row}'
            )
            text = message.format(
                code=process.department_code, name=first.department_name, row=first.row
            )
            sheet, column = book.words.processes_sheet, book.words.department_name
            book.errors.append(RegistryError(sheet, process.row, column, text))


def _open(path: Path, _: Translator) -> tuple[Any, dict[str, SheetScan]]:
    """The workbook and its scans, or RegistryImportError when it cannot be read safely."""
    try:
        scans = scan_workbook(path, _)  # size first: openpyxl would load anything
        return load_workbook(path, data_only=True), scans  # not read-only: merged cells
    except FileNotFoundError:
        message = _('the file "{name}" is not found').format(name=path.name)
        raise RegistryImportError([RegistryError(None, None, None, message)], _) from None
    except WorkbookRefused as refused:
        error = RegistryError(refused.sheet, None, None, refused.message)
        raise RegistryImportError([error], _) from None
    except Exception as exc:
        message = _(
            'the file "{name}" could not be read as an Excel workbook (.xlsx): save the registry '
            'as "Excel Workbook" and upload it again'
        ).format(name=path.name)
        raise RegistryImportError([RegistryError(None, None, None, message)], _) from exc


def read_registry(path: Path, _: Translator, *, today: date | None = None) -> RegistryData:
    """Parse and validate a registry workbook; raises RegistryImportError listing every problem."""
    today = today or date.today()
    opened, scans = _open(path, _)
    book = _Book(opened, scans, [], layout(_), _, today)
    try:
        data = _read_sheets(book)
    finally:
        opened.close()
    if book.errors:
        book.errors.sort(key=lambda error: _error_order(error, book.words))
        raise RegistryImportError(book.errors, _)
    return data


def _read_processes(book: _Book, name: str) -> tuple[list[ProcessEntry], set[str] | None]:
    """The processes sheet's valid rows, and the names of every row, valid or not: a
    touchpoint of a process whose row has errors gets no second error; an unusable sheet
    (None) turns the reference check off."""
    words = book.words
    sheet = _sheet_rows(book, name, words.process_headers, words.required_process_headers)
    named: set[str] | None = None if sheet is None else set()
    processes: list[ProcessEntry] = []
    for row in sheet.rows if sheet is not None else ():
        if named is not None:
            named.add(squash(row.cell(words.process_name)))
        if (process := read_process(row, book.today)) is not None:
            processes.append(process)
    coded = [p for p in processes if not p.generated]
    _check_unique(coded, name, words.process_code, lambda p: p.code, book)
    _check_unique(processes, name, words.process_name, lambda p: p.name, book)
    _check_departments(processes, book)
    return processes, named


def _read_sheets(book: _Book) -> RegistryData:
    words = book.words
    processes_name = book.sheet_name(words.processes_sheet)
    required = words.required_touchpoint_headers
    touchpoints_name = _find_sheet(book, words.touchpoints_sheet, required, processes_name)
    if touchpoints_name is None:
        present = ", ".join(f"«{sheet}»" for sheet in book.book.sheetnames)
        message = book._("sheet not found (the workbook has: {sheets})").format(sheets=present)
        for title in (words.processes_sheet, words.touchpoints_sheet):
            if title == words.touchpoints_sheet or processes_name is None:
                book.errors.append(RegistryError(title, None, None, message))
    if processes_name is not None:
        processes, named = _read_processes(book, processes_name)
        index = ProcessIndex(
            {p.name: p for p in reversed(processes)}, {fold(p.name): p.name for p in processes},
            named, departments=_departments_of(processes),
        )  # fmt: skip
    else:  # the bare seed 002 form: its rows name their processes (§2.2, items 1–3)
        index = ProcessIndex({}, {}, None, from_rows=True)
    touchpoints: list[TouchpointEntry] = []
    sheet = None
    if touchpoints_name is not None:
        headers, required = words.touchpoint_headers, words.required_touchpoint_headers
        sheet = _sheet_rows(book, touchpoints_name, headers, required)
    for row in sheet.rows if sheet is not None else ():
        process_sheet = processes_name or row.sheet
        if (touchpoint := read_touchpoint(row, index, process_sheet)) is not None:
            touchpoints.append(touchpoint)
    coded = [t for t in touchpoints if not t.generated]
    _check_unique(coded, touchpoints_name or "", words.touchpoint_code, lambda t: t.code, book)
    processes = processes if processes_name is not None else index.processes
    return RegistryData(_read_organization(book), processes, touchpoints)


def _departments_of(processes: Sequence[ProcessEntry]) -> dict[str, tuple[str, str]]:
    """The processes sheet's departments, by folded code and name, for the touchpoint rows."""
    found: dict[str, tuple[str, str]] = {}
    for p in processes:
        if p.department_code and p.department_name:
            pair = (p.department_code, p.department_name)
            found.setdefault(fold(p.department_code), pair)
            found.setdefault(fold(p.department_name), pair)
    return found


def _error_order(error: RegistryError, words: Layout) -> tuple[int, int, int]:
    sheets = (words.processes_sheet, words.touchpoints_sheet, words.organization_sheet)
    is_processes = error.sheet == words.processes_sheet
    headers = words.process_headers if is_processes else words.touchpoint_headers
    columns = {h: i for i, h in enumerate(headers)}
    for header, aliases in words.aliases.items():
        columns |= {a: columns[header] for a in aliases if header in columns}
    return (
        sheets.index(error.sheet) if error.sheet in sheets else 1,
        error.row or 0,
        columns.get(error.column or "", -1),
    )


def _read_organization(book: _Book) -> str | None:
    words, _ = book.words, book._
    name = book.sheet_name(words.organization_sheet)
    if name is None:
        return None
    scan = book.scans.get(name) or SheetScan(words.organization_sheet)
    rows = list(book.book[name].iter_rows(max_row=2, max_col=1, values_only=True))
    value = rows[1][0] if len(rows) > 1 and rows[1] else None
    sheet, header = words.organization_sheet, words.organization_header
    if (why := scan.refusal(2, 1, value, _)) is not None:
        book.errors.append(RegistryError(sheet, 2, header, why))
        return None
    text = squash(cell_text(value, _))
    limit = MAX_LENGTH["organization"]
    if len(text) > limit:
        message = _("longer than {limit} characters").format(limit=limit)
        book.errors.append(RegistryError(sheet, 2, header, message))
    return text or None
