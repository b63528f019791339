"""The process and touchpoint registry as an Excel workbook: reading, importing, exporting.

The workbook is what a ministry already keeps (the seed 002 touchpoint list plus a process
sheet), so officers edit the registry in Excel and the bot follows. An import validates the
whole file before it writes anything and then writes it in one transaction: a half-applied
registry would send surveys to the wrong processes. The format is described in
docs/registry-format.md.
"""

from __future__ import annotations

import asyncio
import io
import re
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.xml.functions import tostring
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from registry.catalog import (
    ACTIVITY_DIRECTIONS,
    CLIENT_NEEDS,
    REVIEW_PERIOD_YEARS,
    Direction,
    add_years,
)
from registry.links import payload_for_code
from registry.xlsx_guard import SheetScan, WorkbookRefused, scan_workbook
from storage.database import SessionPool
from storage.models import (
    ActivityDirection,
    ClientType,
    Department,
    OrganizationSettings,
    Person,
    Process,
    Touchpoint,
    TouchpointKind,
)
from storage.xlsx_text import keep_text, storable

Progress = Callable[[int, int], None]

PROCESSES_SHEET = "Процессы"
TOUCHPOINTS_SHEET = "Точки взаимодействия"
ORGANIZATION_SHEET = "Организация"
ORGANIZATION_HEADER = "Наименование органа"

P_CODE = "Код процесса"
GROUP = "Номер группы процессов"
P_NAME = "Наименование процесса"
DIRECTION = "Направление деятельности"
DEPT_CODE = "Код подразделения"
DEPT_NAME = "Подразделение"
OWNER = "Ответственный за процесс"
CLIENT = "Тип клиента"
REENGINEERED = "Дата последнего реинжиниринга"
STAGES = "Этапы процесса"
PROCESS_HEADERS = (
    P_CODE,
    GROUP,
    P_NAME,
    DIRECTION,
    DEPT_CODE,
    DEPT_NAME,
    OWNER,
    CLIENT,
    REENGINEERED,
    STAGES,
)

TP_NAME = "Точка взаимодействия"
NEEDS = "Осуществляемое взаимодействие с клиентом"
SPECIFICS = "Особенности взаимодействия с клиентом"
TP_CODE = "Код точки"
KIND = "Вид точки"
CHANNEL = "Канал"
ACTIVE = "Активна"
TOUCHPOINT_HEADERS = (
    GROUP,
    DIRECTION,
    P_NAME,
    TP_NAME,
    NEEDS,
    SPECIFICS,
    TP_CODE,
    KIND,
    CHANNEL,
    ACTIVE,
)

KIND_WORDS = {TouchpointKind.DIGITAL: "цифровая", TouchpointKind.OFFLINE: "офлайн"}
CLIENT_WORDS = {ClientType.EXTERNAL: "внешний", ClientType.INTERNAL: "внутренний"}
DEFAULT_SPECIFICS = {
    TouchpointKind.DIGITAL: "взаимодействие в цифровой точке",
    TouchpointKind.OFFLINE: "взаимодействие в офлайн точке",
}
_YES, _NO = "да", "нет"
_DATE_FORMAT = "DD.MM.YYYY"
_MAX = {"code": 32, "name": 500, "department": 300, "channel": 100, "organization": 300}


@dataclass(frozen=True)
class RegistryError:
    """One problem of the workbook, located the way Excel shows it."""

    sheet: str | None
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = []
        if self.sheet:
            where.append(f"Лист «{self.sheet}»")
        if self.row is not None:
            where.append(f"строка {self.row}")
        if self.column:
            where.append(f"столбец «{self.column}»")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class RegistryImportError(Exception):
    """The workbook was rejected; nothing was written. `errors` lists every problem found."""

    def __init__(self, errors: Sequence[RegistryError]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(str(error) for error in self.errors))


@dataclass(frozen=True)
class Owner:
    """A process owner as the registry names them: Telegram id or @username."""

    telegram_id: int | None = None
    username: str | None = None

    def __str__(self) -> str:
        return str(self.telegram_id) if self.telegram_id is not None else f"@{self.username}"


@dataclass(frozen=True)
class ProcessEntry:
    """A validated row of the «Процессы» sheet."""

    code: str
    group_number: int
    name: str
    direction: Direction
    department_code: str | None
    department_name: str | None
    owner: Owner | None
    client_type: ClientType
    last_reengineering: date | None
    stages: tuple[str, ...]
    row: int = 0


@dataclass(frozen=True)
class TouchpointEntry:
    """A validated row of the «Точки взаимодействия» sheet."""

    code: str
    process_name: str
    name: str
    needs: tuple[int, ...]
    specifics: str
    kind: TouchpointKind
    channel: str
    active: bool = True
    row: int = 0


@dataclass
class RegistryData:
    """A whole validated workbook, ready to be written to the database or to a file."""

    organization_name: str | None
    processes: list[ProcessEntry]
    touchpoints: list[TouchpointEntry]


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0


@dataclass
class ImportReport:
    """What an import did, per kind of record."""

    processes: Counts = field(default_factory=Counts)
    touchpoints: Counts = field(default_factory=Counts)
    departments: Counts = field(default_factory=Counts)
    people: Counts = field(default_factory=Counts)
    organization_changed: bool = False

    @property
    def changed(self) -> bool:
        parts = (self.processes, self.touchpoints, self.departments, self.people)
        return self.organization_changed or any(
            c.created or c.updated or c.deactivated for c in parts
        )

    def summary(self) -> str:
        """A short Russian summary for the officer who uploaded the file."""
        lines = []
        for title, c in (
            ("Процессы", self.processes),
            ("Точки взаимодействия", self.touchpoints),
            ("Подразделения", self.departments),
            ("Ответственные", self.people),
        ):
            line = f"{title}: новых {c.created}, изменено {c.updated}, без изменений {c.unchanged}"
            if c.deactivated:
                line += f", отключено {c.deactivated}"
            lines.append(line)
        if self.organization_changed:
            lines.append("Наименование органа обновлено")
        return "\n".join(lines)


# ---------------------------------------------------------------- cell values


def _squash(text: str) -> str:
    return " ".join(text.split())


def _fold(text: str) -> str:
    return _squash(text).casefold().replace("ё", "е")


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _YES if value else _NO
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%d.%m.%Y")
    return str(value).strip()


_DIRECTIONS: dict[str, Direction] = {}
for _direction in ACTIVITY_DIRECTIONS:
    _DIRECTIONS[_fold(_direction.name)] = _direction
    _DIRECTIONS[_fold(_direction.code)] = _direction
_CLIENTS = {_fold(w): t for t, w in CLIENT_WORDS.items()} | {t.value: t for t in ClientType}
_KINDS = {_fold(w): k for k, w in KIND_WORDS.items()} | {k.value: k for k in TouchpointKind}
_FLAGS = {_YES: True, _NO: False, "д": True, "н": False, "1": True, "0": False}
_NEED_NAMES = {number: _fold(name) for number, name in CLIENT_NEEDS.items()}
_NEED_LIST = ", ".join(str(n) for n in CLIENT_NEEDS)
_NUMBER_LIST = re.compile(r"\d+(?:\s*,\s*\d+)*")
_NUMBERED_NEED = re.compile(r"(\d+)\s*(?:[—–\-.):]\s*(.*))?", re.S)
_DOTTED_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_USERNAME = re.compile(r"@?([A-Za-z][A-Za-z0-9_]{4,31})")


def _split_list(value: Any) -> tuple[str, ...]:
    return tuple(s for s in (_squash(p) for p in re.split(r"[;\n]", _cell_text(value))) if s)


def format_needs(needs: Sequence[int]) -> str:
    """Needs as the seed 002 list writes them: «1 — получение информации; 4 — …»."""
    return "; ".join(f"{n} — {CLIENT_NEEDS[n]}" for n in needs)


def parse_needs(value: Any) -> tuple[tuple[int, ...], list[str]]:
    """Need numbers from «1; 4», «1, 4» or the full text; second item lists the problems."""
    numbers: list[int] = []
    problems: list[str] = []
    if isinstance(value, int | float) and not isinstance(value, bool):
        pieces = [_cell_text(value)]
    else:
        pieces = [p.strip() for p in re.split(r"[;\n]", _cell_text(value)) if p.strip()]
    for piece in pieces:
        if _NUMBER_LIST.fullmatch(piece):
            numbers.extend(int(n) for n in piece.split(","))
        elif match := _NUMBERED_NEED.fullmatch(piece):
            number, text = int(match.group(1)), _fold(match.group(2) or "").rstrip(".…")
            if text and number in CLIENT_NEEDS and not _NEED_NAMES[number].startswith(text):
                problems.append(
                    f"под номером {number} в перечне потребностей «{CLIENT_NEEDS[number]}», "
                    f"а указано «{_squash(match.group(2))}»"
                )
            numbers.append(number)
        else:
            text = _fold(piece).rstrip(".…")
            found = [n for n, name in _NEED_NAMES.items() if name == text] or [
                n for n, name in _NEED_NAMES.items() if name.startswith(text)
            ]
            if len(text) >= 5 and len(found) == 1:
                numbers.append(found[0])
            else:
                problems.append(f"не удалось распознать потребность «{piece}»")
    for number in dict.fromkeys(numbers):
        if number == 8:
            problems.append("потребности с номером 8 нет: перечень (п. 2.7) пропускает номер 8")
        elif number not in CLIENT_NEEDS:
            problems.append(f"неизвестный номер потребности {number}; допустимы {_NEED_LIST}")
    return tuple(sorted({n for n in numbers if n in CLIENT_NEEDS})), problems


class _Row:
    """One data row of a sheet; every getter records its own error and returns a fallback."""

    def __init__(
        self,
        sheet: str,
        number: int,
        values: dict[str, Any],
        errors: list[RegistryError],
        refused: dict[str, str] | None = None,
    ) -> None:
        self.sheet, self.number, self.values, self.errors = sheet, number, values, errors
        # header → why its cell (a formula, an error value) is refused: said once, and the
        # cell's other problems are not repeated
        self.refused = refused or {}
        for column, message in self.refused.items():
            self.errors.append(RegistryError(sheet, number, column, message))

    def error(self, column: str, message: str) -> None:
        if column not in self.refused:
            self.errors.append(RegistryError(self.sheet, self.number, column, message))

    def text(self, column: str, *, required: bool = True, max_length: int | None = None) -> str:
        value = _squash(_cell_text(self.values.get(column)))
        if required and not value:
            self.error(column, "ячейка не заполнена")
        elif max_length is not None and len(value) > max_length:
            self.error(column, f"длиннее {max_length} символов ({len(value)})")
        return value

    def group_number(self) -> int:
        value = self.values.get(GROUP)
        text = _cell_text(value)
        if not text:
            self.error(GROUP, "ячейка не заполнена")
        elif not text.isdigit() or int(text) < 1 or isinstance(value, bool):
            self.error(GROUP, f"ожидается целое положительное число, получено «{text}»")
        else:
            return int(text)
        return 0

    def direction(self) -> Direction | None:
        text = self.text(DIRECTION)
        if text and (direction := _DIRECTIONS.get(_fold(text))) is not None:
            return direction
        if text:
            names = "; ".join(f"«{d.name}»" for d in ACTIVITY_DIRECTIONS)
            self.error(
                DIRECTION, f"неизвестное направление деятельности «{text}»; допустимы: {names}"
            )
        return None

    def choice(self, column: str, words: dict[str, Any], expected: str) -> Any:
        text = self.text(column)
        if not text:
            return None
        found = words.get(_fold(text))
        if found is None:
            self.error(column, f"ожидается {expected}, получено «{text}»")
        return found


# ---------------------------------------------------------------- reading


def _norm_header(value: Any) -> str:
    return _fold(_cell_text(value)).rstrip("*").strip()


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


def _sheet_rows(
    book: Any,
    title: str,
    headers: Sequence[str],
    errors: list[RegistryError],
    scans: dict[str, SheetScan],
) -> Iterator[_Row] | None:
    """Data rows of a sheet as `_Row`s keyed by header; None (errors recorded) when the sheet
    or one of its columns is missing."""
    sheets = {_fold(name): name for name in book.sheetnames}
    if _fold(title) not in sheets:
        present = ", ".join(f"«{name}»" for name in book.sheetnames)
        errors.append(RegistryError(title, None, None, f"лист не найден (в книге: {present})"))
        return None
    rows = _unmerged_rows(book[sheets[_fold(title)]])
    scan = scans.get(sheets[_fold(title)]) or SheetScan(title)
    wanted = {_norm_header(h): h for h in headers}
    header_index, positions = 0, dict[str, int]()
    for index, row in enumerate(rows[:10]):
        found = {wanted[_norm_header(v)]: i for i, v in enumerate(row) if _norm_header(v) in wanted}
        if len(found) > len(positions):
            header_index, positions = index, found
        if len(found) == len(headers):
            break
    for header in headers:
        if header not in positions:
            errors.append(RegistryError(title, header_index + 1, header, "столбец не найден"))
    if len(positions) < len(headers):
        return None

    def generate() -> Iterator[_Row]:
        for index in range(header_index + 1, len(rows)):
            row = rows[index]
            values = {h: row[i] if i < len(row) else None for h, i in positions.items()}
            refusals = {h: scan.refusal(index + 1, i + 1, values[h]) for h, i in positions.items()}
            refused = {h: why for h, why in refusals.items() if why is not None}
            if refused or any(_cell_text(v) for v in values.values()):
                yield _Row(title, index + 1, values, errors, refused)

    return generate()


def _read_process(row: _Row, today: date) -> ProcessEntry | None:
    code = row.text(P_CODE, max_length=_MAX["code"])
    group = row.group_number()
    name = row.text(P_NAME, max_length=_MAX["name"])
    direction = row.direction()
    dept_code = row.text(DEPT_CODE, required=False, max_length=_MAX["code"]) or None
    dept_name = row.text(DEPT_NAME, required=False, max_length=_MAX["department"]) or None
    if dept_code and not dept_name:
        row.error(DEPT_NAME, f"укажите наименование подразделения с кодом «{dept_code}»")
    if dept_name and not dept_code:
        row.error(DEPT_CODE, f"укажите код подразделения «{dept_name}»")
    owner = _read_owner(row)
    client_type = (
        row.choice(CLIENT, _CLIENTS, "«внешний» или «внутренний»")
        if _cell_text(row.values.get(CLIENT))
        else None
    )
    if client_type is None and direction is not None:
        client_type = ClientType.INTERNAL if direction.internal else ClientType.EXTERNAL
    reengineered = _read_date(row, REENGINEERED, today)
    stages = _split_list(row.values.get(STAGES))
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


def _read_owner(row: _Row) -> Owner | None:
    value = row.values.get(OWNER)
    text = _cell_text(value).replace(" ", "")
    if not text:
        return None
    if text.isdigit() and 0 < int(text) < 2**63:
        return Owner(telegram_id=int(text))
    if match := _USERNAME.fullmatch(text):
        return Owner(username=match.group(1))
    row.error(
        OWNER,
        f"ожидается числовой Telegram id или @username (5–32 латинские буквы, цифры и «_»), "
        f"получено «{text}»",
    )
    return None


def _read_date(row: _Row, column: str, today: date) -> date | None:
    value = row.values.get(column)
    if isinstance(value, datetime):
        day: date | None = value.date()
    elif isinstance(value, date):
        day = value
    else:
        text = _cell_text(value)
        if not text:
            return None
        match = _DOTTED_DATE.fullmatch(text) or _ISO_DATE.fullmatch(text)
        day = None
        if match:
            parts = [int(p) for p in match.groups()]
            year, month, dom = parts if match.re is _ISO_DATE else parts[::-1]
            try:
                day = date(year, month, dom)
            except ValueError:
                day = None
        if day is None:
            row.error(column, f"ожидается дата в виде ДД.ММ.ГГГГ, получено «{text}»")
            return None
    if day is not None and day > today:
        row.error(column, f"дата {day:%d.%m.%Y} ещё не наступила")
        return None
    return day


def _read_touchpoint(
    row: _Row, processes: dict[str, ProcessEntry], folded: dict[str, str], named: set[str] | None
) -> TouchpointEntry | None:
    group = row.group_number()
    direction = row.direction()
    process_name = row.text(P_NAME)
    process = processes.get(process_name)
    if process_name and process is None and named is not None and process_name not in named:
        hint = folded.get(_fold(process_name))
        row.error(
            P_NAME,
            f"процесс «{process_name}» не найден на листе «{PROCESSES_SHEET}»"
            + (f"; возможно, имелся в виду «{hint}»" if hint else ""),
        )
    if process is not None and direction is not None and direction != process.direction:
        row.error(
            DIRECTION,
            f"«{direction.name}» не совпадает с направлением процесса на листе "
            f"«{PROCESSES_SHEET}» (строка {process.row}): «{process.direction.name}»",
        )
    if process is not None and group and group != process.group_number:
        row.error(
            GROUP,
            f"{group} не совпадает с номером группы процесса на листе «{PROCESSES_SHEET}» "
            f"(строка {process.row}): {process.group_number}",
        )
    name = row.text(TP_NAME, max_length=_MAX["name"])
    needs: tuple[int, ...] = ()
    if _cell_text(row.values.get(NEEDS)):
        needs, problems = parse_needs(row.values.get(NEEDS))
        for problem in problems:
            row.error(NEEDS, problem)
    else:
        row.error(NEEDS, "ячейка не заполнена")
    specifics = _cell_text(row.values.get(SPECIFICS))
    code = row.text(TP_CODE, max_length=_MAX["code"])
    kind = row.choice(KIND, _KINDS, "«цифровая» или «офлайн»")
    channel = row.text(CHANNEL, max_length=_MAX["channel"])
    active_text = _fold(_cell_text(row.values.get(ACTIVE)))
    if active_text and active_text not in _FLAGS:
        row.error(ACTIVE, f"ожидается «да» или «нет», получено «{_cell_text(row.values[ACTIVE])}»")
    if not (process and name and needs and code and kind and channel):
        return None
    return TouchpointEntry(
        code,
        process.name,
        name,
        needs,
        specifics or DEFAULT_SPECIFICS[kind],
        kind,
        channel,
        _FLAGS.get(active_text, True),
        row.number,
    )


def _check_unique(
    entries: Sequence[ProcessEntry | TouchpointEntry],
    sheet: str,
    column: str,
    key: Callable[[Any], str],
    errors: list[RegistryError],
) -> None:
    seen: dict[str, int] = {}
    for entry in entries:
        value = key(entry)
        if value.casefold() in seen:
            errors.append(
                RegistryError(
                    sheet,
                    entry.row,
                    column,
                    f"«{value}» уже указан в строке {seen[value.casefold()]}",
                )
            )
        else:
            seen[value.casefold()] = entry.row


def _check_departments(processes: Sequence[ProcessEntry], errors: list[RegistryError]) -> None:
    named: dict[str, ProcessEntry] = {}
    for process in processes:
        if process.department_code is None:
            continue
        first = named.setdefault(process.department_code, process)
        if first.department_name != process.department_name:
            errors.append(
                RegistryError(
                    PROCESSES_SHEET,
                    process.row,
                    DEPT_NAME,
                    f"подразделение с кодом «{process.department_code}» уже названо "
                    f"«{first.department_name}» в строке {first.row}",
                )
            )


def read_registry(path: Path, *, today: date | None = None) -> RegistryData:
    """Parse and validate a registry workbook; raises RegistryImportError listing every problem."""
    today = today or date.today()
    try:
        scans = scan_workbook(path)  # size first: openpyxl would load anything
        book = load_workbook(path, data_only=True)  # not read-only: merged cells are needed
    except FileNotFoundError:
        missing = RegistryError(None, None, None, f"файл «{path.name}» не найден")
        raise RegistryImportError([missing]) from None
    except WorkbookRefused as refused:
        raise RegistryImportError(
            [RegistryError(refused.sheet, None, None, refused.message)]
        ) from None
    except Exception as exc:
        message = (
            f"файл «{path.name}» не удалось прочитать как книгу Excel (.xlsx): "
            "сохраните реестр в формате «Книга Excel» и загрузите снова"
        )
        raise RegistryImportError([RegistryError(None, None, None, message)]) from exc
    errors: list[RegistryError] = []
    try:
        processes: list[ProcessEntry] = []
        process_rows = _sheet_rows(book, PROCESSES_SHEET, PROCESS_HEADERS, errors, scans)
        # Names of every process row, valid or not: a touchpoint of a process whose row has
        # errors gets no second error; an unusable sheet turns the reference check off.
        named: set[str] | None = None if process_rows is None else set()
        for row in process_rows or ():
            if named is not None:
                named.add(_squash(_cell_text(row.values.get(P_NAME))))
            if (process := _read_process(row, today)) is not None:
                processes.append(process)
        _check_unique(processes, PROCESSES_SHEET, P_CODE, lambda p: p.code, errors)
        _check_unique(processes, PROCESSES_SHEET, P_NAME, lambda p: p.name, errors)
        _check_departments(processes, errors)
        by_name = {p.name: p for p in reversed(processes)}
        folded = {_fold(p.name): p.name for p in processes}
        touchpoints: list[TouchpointEntry] = []
        for row in _sheet_rows(book, TOUCHPOINTS_SHEET, TOUCHPOINT_HEADERS, errors, scans) or ():
            if (touchpoint := _read_touchpoint(row, by_name, folded, named)) is not None:
                touchpoints.append(touchpoint)
        _check_unique(touchpoints, TOUCHPOINTS_SHEET, TP_CODE, lambda t: t.code, errors)
        organization = _read_organization(book, errors, scans)
    finally:
        book.close()
    if errors:
        errors.sort(key=_error_order)
        raise RegistryImportError(errors)
    return RegistryData(organization, processes, touchpoints)


def _error_order(error: RegistryError) -> tuple[int, int, int]:
    sheets = (PROCESSES_SHEET, TOUCHPOINTS_SHEET, ORGANIZATION_SHEET)
    headers = PROCESS_HEADERS if error.sheet == PROCESSES_SHEET else TOUCHPOINT_HEADERS
    return (
        sheets.index(error.sheet) if error.sheet in sheets else -1,
        error.row or 0,
        headers.index(error.column) if error.column in headers else -1,
    )


def _read_organization(
    book: Any, errors: list[RegistryError], scans: dict[str, SheetScan]
) -> str | None:
    sheets = {_fold(name): name for name in book.sheetnames}
    if _fold(ORGANIZATION_SHEET) not in sheets:
        return None
    scan = scans.get(sheets[_fold(ORGANIZATION_SHEET)]) or SheetScan(ORGANIZATION_SHEET)
    rows = list(
        book[sheets[_fold(ORGANIZATION_SHEET)]].iter_rows(max_row=2, max_col=1, values_only=True)
    )
    value = rows[1][0] if len(rows) > 1 and rows[1] else None
    if (why := scan.refusal(2, 1, value)) is not None:
        errors.append(RegistryError(ORGANIZATION_SHEET, 2, ORGANIZATION_HEADER, why))
        return None
    name = _squash(_cell_text(rows[1][0])) if len(rows) > 1 and rows[1] else ""
    if len(name) > _MAX["organization"]:
        errors.append(
            RegistryError(
                ORGANIZATION_SHEET,
                2,
                ORGANIZATION_HEADER,
                f"длиннее {_MAX['organization']} символов",
            )
        )
    return name or None


# ---------------------------------------------------------------- import into the database


async def import_registry(
    session_pool: SessionPool,
    path: Path,
    *,
    today: date | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Validate the whole workbook, then write it in one transaction: all of it or nothing."""
    today = today or date.today()
    data = await asyncio.to_thread(read_registry, path, today=today)
    async with session_pool() as session, session.begin():
        return await _apply(session, data, today, progress)


async def _apply(
    session: AsyncSession, data: RegistryData, today: date, progress: Progress | None
) -> ImportReport:
    report = ImportReport()
    directions = {d.code: d for d in await session.scalars(sa.select(ActivityDirection))}
    unknown = sorted({p.direction.code for p in data.processes} - directions.keys())
    if unknown:
        message = f"в базе нет направлений деятельности {', '.join(unknown)}: обновите базу"
        raise RegistryImportError([RegistryError(None, None, None, message)])
    departments = await _apply_departments(session, data.processes, report.departments)
    people = await _apply_people(session, data.processes, report.people)
    total, done = len(data.processes) + len(data.touchpoints), 0

    existing = {p.code: p for p in await session.scalars(sa.select(Process))}
    by_name: dict[str, Process] = {}
    for entry in data.processes:
        process = existing.get(entry.code)
        values = {
            "name": entry.name,
            "group_number": entry.group_number,
            "direction_id": directions[entry.direction.code].id,
            "department_id": departments[entry.department_code].id
            if entry.department_code
            else None,
            "owner_id": people[_owner_key(entry.owner)].id if entry.owner else None,
            "client_type": entry.client_type,
            "last_reengineering": entry.last_reengineering,
            "review_due": _review_due(entry, process, today),
            "stages": list(entry.stages),
            "active": True,
        }
        if process is None:
            process = Process(code=entry.code, **values)
            session.add(process)
            report.processes.created += 1
        elif _assign(process, values):
            report.processes.updated += 1
        else:
            report.processes.unchanged += 1
        by_name[entry.name] = process
        done += 1
        if progress:
            progress(done, total)
    listed = {p.code for p in data.processes}
    for code, process in existing.items():
        if code not in listed and process.active:
            process.active = False
            report.processes.deactivated += 1
    await session.flush()

    touchpoints = {t.code: t for t in await session.scalars(sa.select(Touchpoint))}
    payloads = {t.payload: t.code for t in touchpoints.values()}
    clashes: list[RegistryError] = []
    for tp in data.touchpoints:
        touchpoint = touchpoints.get(tp.code)
        values = {
            "process_id": by_name[tp.process_name].id,
            "name": tp.name,
            "kind": tp.kind,
            "channel": tp.channel,
            "needs": list(tp.needs),
            "specifics": tp.specifics,
            "active": tp.active,
        }
        if touchpoint is None:
            # The payload is fixed at creation and never rewritten: printed QR codes stay valid.
            payload = payload_for_code(tp.code)
            if payload in payloads:
                clashes.append(
                    RegistryError(
                        TOUCHPOINTS_SHEET,
                        tp.row,
                        TP_CODE,
                        f"ссылка «{payload}» уже занята точкой «{payloads[payload]}»",
                    )
                )
            session.add(Touchpoint(code=tp.code, payload=payload, **values))
            report.touchpoints.created += 1
        elif _assign(touchpoint, values):
            report.touchpoints.updated += 1
        else:
            report.touchpoints.unchanged += 1
        done += 1
        if progress:
            progress(done, total)
    if clashes:
        raise RegistryImportError(clashes)
    listed = {t.code for t in data.touchpoints}
    for code, touchpoint in touchpoints.items():
        if code not in listed and touchpoint.active:
            touchpoint.active = False
            report.touchpoints.deactivated += 1
    report.organization_changed = await _apply_organization(session, data.organization_name)
    await session.flush()
    return report


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
    return f"@{(owner.username or '').casefold()}"


async def _apply_people(
    session: AsyncSession, processes: Sequence[ProcessEntry], counts: Counts
) -> dict[str, Person]:
    """Owners by Telegram id, or by @username case-insensitively; unknown ones are created."""
    people: dict[str, Person] = {}
    for process in processes:
        owner = process.owner
        if owner is None or _owner_key(owner) in people:
            continue
        if owner.telegram_id is not None:
            query = sa.select(Person).where(Person.telegram_id == owner.telegram_id)
        else:
            query = (
                sa.select(Person)
                .where(sa.func.lower(Person.username) == (owner.username or "").lower())
                .order_by(Person.telegram_id.is_(None), Person.id)
                .limit(1)
            )
        person = await session.scalar(query)
        if person is None:
            person = Person(telegram_id=owner.telegram_id, username=owner.username)
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


# ---------------------------------------------------------------- export


async def export_registry(session_pool: SessionPool, path: Path) -> int:
    """Write the registry of active processes to `path`; returns the number of touchpoints.

    Processes switched off by an import are left out (the «Процессы» sheet has no activity
    column), their touchpoints with them; switched-off touchpoints of live processes stay in,
    marked «нет».
    """
    async with session_pool() as session:
        data = await _registry_from_database(session)
    await asyncio.to_thread(write_registry_workbook, path, data)
    return len(data.touchpoints)


async def _registry_from_database(session: AsyncSession) -> RegistryData:
    query = (
        sa.select(Process)
        .where(Process.active)
        .options(
            selectinload(Process.direction),
            selectinload(Process.department),
            selectinload(Process.owner),
            selectinload(Process.touchpoints),
        )
    )
    processes = sorted(await session.scalars(query), key=lambda p: (p.group_number or 0, p.code))
    organization = await session.scalar(
        sa.select(OrganizationSettings.name).order_by(OrganizationSettings.id).limit(1)
    )
    data = RegistryData(organization, [], [])
    catalog = {d.code: d for d in ACTIVITY_DIRECTIONS}
    for process in processes:
        direction = catalog.get(process.direction.code) or Direction(
            process.direction.code, process.direction.name, False
        )
        owner = process.owner
        data.processes.append(
            ProcessEntry(
                code=process.code,
                group_number=process.group_number or 0,
                name=process.name,
                direction=direction,
                department_code=process.department.code if process.department else None,
                department_name=process.department.name if process.department else None,
                owner=Owner(owner.telegram_id, owner.username)
                if owner and (owner.telegram_id is not None or owner.username)
                else None,
                client_type=process.client_type,
                last_reengineering=process.last_reengineering,
                stages=tuple(process.stages),
            )
        )
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
            )
            for t in sorted(process.touchpoints, key=lambda t: t.code)
        )
    return data


_WIDTHS = {
    P_CODE: 14,
    GROUP: 12,
    P_NAME: 48,
    DIRECTION: 34,
    DEPT_CODE: 14,
    DEPT_NAME: 36,
    OWNER: 18,
    CLIENT: 13,
    REENGINEERED: 16,
    STAGES: 52,
    TP_NAME: 38,
    NEEDS: 52,
    SPECIFICS: 40,
    TP_CODE: 18,
    KIND: 11,
    CHANNEL: 20,
    ACTIVE: 10,
}
_WRAPPED = {P_NAME, DIRECTION, DEPT_NAME, STAGES, TP_NAME, NEEDS, SPECIFICS, CHANNEL}
_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_CORE_PROPERTIES = "docProps/core.xml"


def write_registry_workbook(
    path: Path, data: RegistryData, *, fixed_time: datetime | None = None
) -> None:
    """Write `data` in the registry format; `fixed_time` makes the file byte-for-byte
    reproducible (the example workbook is committed, so it must not change on each build)."""
    book = Workbook()
    processes_sheet = book.active
    processes_sheet.title = PROCESSES_SHEET
    _fill(processes_sheet, PROCESS_HEADERS, [_process_cells(p) for p in data.processes])
    by_name = {p.name: p for p in data.processes}
    touchpoint_rows = [_touchpoint_cells(t, by_name[t.process_name]) for t in data.touchpoints]
    _fill(book.create_sheet(TOUCHPOINTS_SHEET), TOUCHPOINT_HEADERS, touchpoint_rows)
    organization = book.create_sheet(ORGANIZATION_SHEET)
    _fill(organization, (ORGANIZATION_HEADER,), [[data.organization_name or None]])
    organization.column_dimensions["A"].width = 80
    if fixed_time is None:
        book.save(path)
        return
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


def _process_cells(p: ProcessEntry) -> list[Any]:
    return [
        p.code,
        p.group_number or None,
        p.name,
        p.direction.name,
        p.department_code,
        p.department_name,
        str(p.owner) if p.owner else None,
        CLIENT_WORDS[p.client_type],
        p.last_reengineering,
        "; ".join(p.stages) or None,
    ]


def _touchpoint_cells(t: TouchpointEntry, process: ProcessEntry) -> list[Any]:
    return [
        process.group_number or None,
        process.direction.name,
        process.name,
        t.name,
        format_needs(t.needs),
        t.specifics,
        t.code,
        KIND_WORDS[t.kind],
        t.channel,
        _YES if t.active else _NO,
    ]


def _fill(sheet: Any, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Headers bold and frozen, long texts wrapped, dates as ДД.ММ.ГГГГ date cells."""
    sheet.append(list(headers))
    for row in rows:
        sheet.append([storable(value) for value in row])
    keep_text(sheet)  # a name «=…» read from a text cell goes back as text, not a formula
    header_fill = PatternFill("solid", fgColor="DDE5F0")
    for index, header in enumerate(headers, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = _WIDTHS.get(header, 20)
        title = sheet.cell(row=1, column=index)
        title.font = Font(bold=True)
        title.fill = header_fill
        title.alignment = Alignment(wrap_text=True, vertical="center")
        wrap = Alignment(wrap_text=header in _WRAPPED, vertical="top")
        for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
            cell.alignment = wrap
            if isinstance(cell.value, date):
                cell.number_format = _DATE_FORMAT
            elif header == OWNER:
                cell.number_format = "@"
    sheet.freeze_panes = "A2"
    if len(headers) > 1:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{max(len(rows) + 1, 2)}"
