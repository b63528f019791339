"""Reading the registry workbook: every sheet validated, every problem named, nothing written.

The workbook is what a ministry already keeps (the seed 002 touchpoint list plus a process
sheet), so officers edit the registry in Excel and the bot follows. The format is described in
docs/registry-format.md; `registry.importing` writes what this module returns.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from core.channels import MAX_BASE
from core.i18n import Translator
from registry.catalog import Direction
from registry.cells import Row, cell_text, either, fold, parse_needs, split_list, squash
from registry.entries import (
    Owner,
    ProcessEntry,
    RegistryData,
    RegistryError,
    RegistryImportError,
    TouchpointEntry,
)
from registry.layout import MAX_LENGTH, Layout, layout
from registry.xlsx_guard import SheetScan, WorkbookRefused, scan_workbook
from storage.models import ClientType, TouchpointKind

_DOTTED_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_USERNAME = re.compile(r"@?([A-Za-z][A-Za-z0-9_]{4,31})")


@dataclass
class _Book:
    """An open workbook being read: its scans, the errors found so far, its words."""

    book: Any
    scans: dict[str, SheetScan]
    errors: list[RegistryError]
    words: Layout
    _: Translator

    def sheet_name(self, title: str) -> str | None:
        return {fold(name): name for name in self.book.sheetnames}.get(fold(title))

    def header_key(self, value: Any) -> str:
        return fold(cell_text(value, self._)).rstrip("*").strip()


def _unmerged_rows(sheet: Any) -> list[list[Any]]:
    """Cell values with merged ranges filled in: the published seed-002 form merges the group,
    direction and process cells over all touchpoints of a process."""
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
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
) -> tuple[int, dict[str, int]]:
    """The row among the first ten that holds the most headers, and where each one is."""
    wanted = {book.header_key(h): h for h in headers}
    header_index, positions = 0, dict[str, int]()
    for index, row in enumerate(rows[:10]):
        found = {
            wanted[book.header_key(v)]: i for i, v in enumerate(row) if book.header_key(v) in wanted
        }
        if len(found) > len(positions):
            header_index, positions = index, found
        if len(found) == len(headers):
            break
    return header_index, positions


def _sheet_rows(book: _Book, title: str, headers: Sequence[str]) -> Iterator[Row] | None:
    """Data rows of a sheet as `Row`s keyed by header; None (errors recorded) when the sheet
    or one of its columns is missing."""
    _ = book._
    name = book.sheet_name(title)
    if name is None:
        present = ", ".join(f"«{sheet}»" for sheet in book.book.sheetnames)
        message = _("sheet not found (the workbook has: {sheets})").format(sheets=present)
        book.errors.append(RegistryError(title, None, None, message))
        return None
    rows = _unmerged_rows(book.book[name])
    scan = book.scans.get(name) or SheetScan(title)
    header_index, positions = _header_row(book, rows, headers)
    for header in headers:
        if header not in positions:
            error = RegistryError(title, header_index + 1, header, _("column not found"))
            book.errors.append(error)
    if len(positions) < len(headers):
        return None

    def generate() -> Iterator[Row]:
        for index in range(header_index + 1, len(rows)):
            row = rows[index]
            values = {h: row[i] if i < len(row) else None for h, i in positions.items()}
            refusals = {
                h: scan.refusal(index + 1, i + 1, values[h], _) for h, i in positions.items()
            }
            refused = {h: why for h, why in refusals.items() if why is not None}
            if refused or any(cell_text(v, _) for v in values.values()):
                yield Row(title, index + 1, values, book.errors, refused, book.words, _)

    return generate()


def _read_department(row: Row) -> tuple[str | None, str | None]:
    words, _ = row.words, row._
    code = row.text(words.department_code, required=False, max_length=MAX_LENGTH["code"]) or None
    name = (
        row.text(words.department_name, required=False, max_length=MAX_LENGTH["department"]) or None
    )
    if code and not name:
        message = _('give the name of the department with the code "{code}"')
        row.error(words.department_name, message.format(code=code))
    if name and not code:
        message = _('give the code of the department "{name}"')
        row.error(words.department_code, message.format(name=name))
    return code, name


def _read_process(row: Row, today: date) -> ProcessEntry | None:
    words, _ = row.words, row._
    code = row.text(words.process_code, max_length=MAX_LENGTH["code"])
    group = row.group_number()
    name = row.text(words.process_name, max_length=MAX_LENGTH["name"])
    direction = row.direction()
    dept_code, dept_name = _read_department(row)
    owner = _read_owner(row)
    client_type: ClientType | None = None
    if row.cell(words.client_type):
        clients = {fold(w): t for t, w in words.client_words.items()}
        clients |= {t.value: t for t in ClientType}
        expected = either(
            words.client_words[ClientType.EXTERNAL], words.client_words[ClientType.INTERNAL], _
        )
        client_type = row.choice(words.client_type, clients, expected)
    if client_type is None and direction is not None:
        client_type = ClientType.INTERNAL if direction.internal else ClientType.EXTERNAL
    reengineered = _read_date(row, words.reengineered, today)
    stages = split_list(row.values.get(words.stages), _)
    if not (code and group and name and direction and client_type):
        return None
    return ProcessEntry(
        code,
        group,
        name,
        direction,
        dept_code,
        dept_name,
        owner,
        client_type,
        reengineered,
        stages,
        row.number,
    )


def _read_owner(row: Row) -> Owner | None:
    text = row.cell(row.words.owner).replace(" ", "")
    if not text:
        return None
    if text.isdigit() and 0 < int(text) < MAX_BASE:  # Telegram ids have at most 52 bits
        return Owner(telegram_id=int(text))
    number = text[4:] if text[:4].casefold() == "max:" else ""
    if number.isdigit() and 0 < int(number) < MAX_BASE:
        return Owner(max_id=int(number))
    if match := _USERNAME.fullmatch(text):
        return Owner(username=match.group(1))
    message = row._(
        "expected a numeric Telegram id, an @username (5–32 Latin letters, digits and "
        '"_") or a MAX user id written max:123456, got "{text}"'
    )
    row.error(row.words.owner, message.format(text=text))
    return None


def _parse_date(text: str) -> date | None:
    match = _DOTTED_DATE.fullmatch(text) or _ISO_DATE.fullmatch(text)
    if not match:
        return None
    parts = [int(p) for p in match.groups()]
    year, month, dom = parts if match.re is _ISO_DATE else parts[::-1]
    try:
        return date(year, month, dom)
    except ValueError:
        return None


def _read_date(row: Row, column: str, today: date) -> date | None:
    _ = row._
    value = row.values.get(column)
    if isinstance(value, datetime):
        day: date | None = value.date()
    elif isinstance(value, date):
        day = value
    else:
        text = row.cell(column)
        if not text:
            return None
        day = _parse_date(text)
        if day is None:
            row.error(column, _('expected a date as DD.MM.YYYY, got "{text}"').format(text=text))
            return None
    if day is not None and day > today:
        row.error(column, _("the date {day} has not come yet").format(day=f"{day:%d.%m.%Y}"))
        return None
    return day


def _check_process_of(
    row: Row, process: ProcessEntry, group: int, direction: Direction | None
) -> None:
    """The touchpoint row's group and direction agree with its process's row."""
    words, _ = row.words, row._
    if direction is not None and direction != process.direction:
        message = _(
            '"{given}" does not match the direction of the process on the sheet "{sheet}" '
            '(row {row}): "{expected}"'
        )
        row.error(
            words.direction,
            message.format(
                given=direction.name,
                sheet=words.processes_sheet,
                row=process.row,
                expected=process.direction.name,
            ),
        )
    if group and group != process.group_number:
        message = _(
            '{given} does not match the group number of the process on the sheet "{sheet}" '
            "(row {row}): {expected}"
        )
        row.error(
            words.group,
            message.format(
                given=group,
                sheet=words.processes_sheet,
                row=process.row,
                expected=process.group_number,
            ),
        )


def _find_process(
    row: Row, processes: dict[str, ProcessEntry], folded: dict[str, str], named: set[str] | None
) -> ProcessEntry | None:
    words, _ = row.words, row._
    process_name = row.text(words.process_name)
    process = processes.get(process_name)
    if process_name and process is None and named is not None and process_name not in named:
        message = _('the process "{name}" is not on the sheet "{sheet}"').format(
            name=process_name, sheet=words.processes_sheet
        )
        if hint := folded.get(fold(process_name)):
            message += _('; perhaps "{hint}" was meant').format(hint=hint)
        row.error(words.process_name, message)
    return process


def _read_needs(row: Row) -> tuple[int, ...]:
    column = row.words.needs
    if not row.cell(column):
        row.error(column, row._("the cell is empty"))
        return ()
    needs, problems = parse_needs(row.values.get(column), row._)
    for problem in problems:
        row.error(column, problem)
    return needs


def _read_active(row: Row) -> bool:
    words = row.words
    yes, no = fold(words.yes), fold(words.no)
    flags = {yes: True, no: False, yes[:1]: True, no[:1]: False}
    flags |= {"1": True, "0": False}
    text = fold(row.cell(words.active))
    if text and text not in flags:
        row.expected(words.active, either(words.yes, words.no, row._), row.cell(words.active))
    return flags.get(text, True)


def _read_touchpoint(
    row: Row, processes: dict[str, ProcessEntry], folded: dict[str, str], named: set[str] | None
) -> TouchpointEntry | None:
    words, _ = row.words, row._
    group = row.group_number()
    direction = row.direction()
    process = _find_process(row, processes, folded, named)
    if process is not None:
        _check_process_of(row, process, group, direction)
    name = row.text(words.touchpoint_name, max_length=MAX_LENGTH["name"])
    needs = _read_needs(row)
    specifics = row.cell(words.specifics)
    code = row.text(words.touchpoint_code, max_length=MAX_LENGTH["code"])
    kinds = {fold(w): k for k, w in words.kind_words.items()}
    kinds |= {k.value: k for k in TouchpointKind}
    expected = either(
        words.kind_words[TouchpointKind.DIGITAL], words.kind_words[TouchpointKind.OFFLINE], _
    )
    kind = row.choice(words.kind, kinds, expected)
    channel = row.text(words.channel, max_length=MAX_LENGTH["channel"])
    active = _read_active(row)
    if not (process and name and needs and code and kind and channel):
        return None
    return TouchpointEntry(
        code,
        process.name,
        name,
        needs,
        specifics or words.default_specifics[kind],
        kind,
        channel,
        active,
        row.number,
    )


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
    book = _Book(opened, scans, [], layout(_), _)
    try:
        data = _read_sheets(book, today)
    finally:
        opened.close()
    if book.errors:
        book.errors.sort(key=lambda error: _error_order(error, book.words))
        raise RegistryImportError(book.errors, _)
    return data


def _read_sheets(book: _Book, today: date) -> RegistryData:
    words = book.words
    processes: list[ProcessEntry] = []
    process_rows = _sheet_rows(book, words.processes_sheet, words.process_headers)
    # Names of every process row, valid or not: a touchpoint of a process whose row has
    # errors gets no second error; an unusable sheet turns the reference check off.
    named: set[str] | None = None if process_rows is None else set()
    for row in process_rows or ():
        if named is not None:
            named.add(squash(row.cell(words.process_name)))
        if (process := _read_process(row, today)) is not None:
            processes.append(process)
    sheet = words.processes_sheet
    _check_unique(processes, sheet, words.process_code, lambda p: p.code, book)
    _check_unique(processes, sheet, words.process_name, lambda p: p.name, book)
    _check_departments(processes, book)
    by_name = {p.name: p for p in reversed(processes)}
    folded = {fold(p.name): p.name for p in processes}
    touchpoints: list[TouchpointEntry] = []
    for row in _sheet_rows(book, words.touchpoints_sheet, words.touchpoint_headers) or ():
        if (touchpoint := _read_touchpoint(row, by_name, folded, named)) is not None:
            touchpoints.append(touchpoint)
    sheet = words.touchpoints_sheet
    _check_unique(touchpoints, sheet, words.touchpoint_code, lambda t: t.code, book)
    organization = _read_organization(book)
    return RegistryData(organization, processes, touchpoints)


def _error_order(error: RegistryError, words: Layout) -> tuple[int, int, int]:
    sheets = (words.processes_sheet, words.touchpoints_sheet, words.organization_sheet)
    is_processes = error.sheet == words.processes_sheet
    headers = words.process_headers if is_processes else words.touchpoint_headers
    return (
        sheets.index(error.sheet) if error.sheet in sheets else -1,
        error.row or 0,
        headers.index(error.column) if error.column in headers else -1,
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
