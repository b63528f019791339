"""Reading the touchpoint sheet: the six columns of the seed 002 form and the bot's own ones.

A body's own list has only the form's columns (§2.2), so what the bot needs besides them is
made up the same way on every import: codes from the names, the kind from the words of the
touchpoint, the channel from its name. A list without a processes sheet names its processes
on the touchpoint rows, and they are read from there.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from registry.catalog import DIGITAL_WORDS, OFFLINE_WORDS, Direction
from registry.cells import Row, either, fold, parse_needs
from registry.entries import ProcessEntry, TouchpointEntry
from registry.layout import MAX_LENGTH
from storage.models import ClientType, TouchpointKind


def generated_code(prefix: str, *parts: str) -> str:
    """A stable code made from names: the same names give the same code on every import, so
    a touchpoint keeps its link (and its printed QR code) without a code column."""
    key = "\x1f".join(fold(part) for part in parts)
    digest = base64.b32encode(hashlib.sha256(key.encode("utf-8")).digest()).decode("ascii")
    return f"{prefix}-{digest[:10]}"


def _starts_a_word(words: Sequence[str], text: str) -> bool:
    return any(re.search(rf"(?<!\w){re.escape(word)}", text) for word in words)


def infer_kind(name: str, specifics: str) -> TouchpointKind:
    """The kind a list without a kind column implies: the specifics say «взаимодействие в
    цифровой/офлайн точке» (§2.2, item 6) or the name is a site, a portal, a messenger…"""
    said = fold(specifics)
    if _starts_a_word(OFFLINE_WORDS, said):
        return TouchpointKind.OFFLINE
    if _starts_a_word(DIGITAL_WORDS, said) or _starts_a_word(DIGITAL_WORDS, fold(name)):
        return TouchpointKind.DIGITAL
    return TouchpointKind.OFFLINE


@dataclass
class ProcessIndex:
    """The processes a touchpoint row may name: from the processes sheet, or (`from_rows`)
    gathered from the touchpoint rows themselves when the workbook is the bare form."""

    by_name: dict[str, ProcessEntry]
    folded: dict[str, str]
    named: set[str] | None
    from_rows: bool = False
    departments: dict[str, tuple[str, str]] = field(default_factory=dict)
    seen: dict[tuple[str, str, str], int] = field(default_factory=dict)

    @property
    def processes(self) -> list[ProcessEntry]:
        return list(dict.fromkeys(self.by_name.values()))


def _process_of_row(
    row: Row, index: ProcessIndex, group: int, direction: Direction | None
) -> ProcessEntry | None:
    """The form's own row names its process: the first row of a name makes it."""
    name = row.text(row.words.process_name, max_length=MAX_LENGTH["name"])
    if not name:
        return None
    process = index.by_name.get(fold(name))
    if process is None and group and direction is not None:
        client = ClientType.INTERNAL if direction.internal else ClientType.EXTERNAL
        code = generated_code("P", name)
        process = ProcessEntry(
            code, group, name, direction, None, None, None, client, None, (), row.number,
            given=frozenset(), generated=True,
        )  # fmt: skip
        index.by_name[fold(name)] = process
    return process


def _find_process(row: Row, index: ProcessIndex) -> ProcessEntry | None:
    words, _ = row.words, row._
    process_name = row.text(words.process_name)
    process = index.by_name.get(process_name)
    named = index.named
    if process_name and process is None and named is not None and process_name not in named:
        message = _('the process "{name}" is not on the sheet "{sheet}"').format(
            name=row.written(words.process_name), sheet=words.processes_sheet
        )
        if hint := index.folded.get(fold(process_name)):
            message += _('; perhaps "{hint}" was meant').format(hint=hint)
        row.error(words.process_name, message)
    return process


def check_process_of(
    row: Row, process: ProcessEntry, group: int, direction: Direction | None, sheet: str
) -> None:
    """The touchpoint row's group and direction agree with its process's row."""
    words, _ = row.words, row._
    if direction is not None and direction != process.direction:
        message = _(
            '"{given}" does not match the direction of the process on the sheet "{sheet}" '
            '(row {row}): "{expected}"'
        )
        text = message.format(
            given=direction.name, sheet=sheet, row=process.row, expected=process.direction.name
        )
        row.error(words.direction, text)
    if group and group != process.group_number:
        message = _(
            '{given} does not match the group number of the process on the sheet "{sheet}" '
            "(row {row}): {expected}"
        )
        text = message.format(
            given=group, sheet=sheet, row=process.row, expected=process.group_number
        )
        row.error(words.group, text)


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
        row.expected(words.active, either(words.yes, words.no, row._), row.written(words.active))
    return flags.get(text, True)


def _read_kind(row: Row, name: str, specifics: str) -> TouchpointKind | None:
    words, _ = row.words, row._
    if not row.cell(words.kind):
        return infer_kind(name, specifics)
    kinds = {fold(w): k for k, w in words.kind_words.items()}
    kinds |= {k.value: k for k in TouchpointKind}
    expected = either(
        words.kind_words[TouchpointKind.DIGITAL], words.kind_words[TouchpointKind.OFFLINE], _
    )
    found: TouchpointKind | None = row.choice(words.kind, kinds, expected)
    return found


def _read_department(row: Row, index: ProcessIndex) -> tuple[str | None, str | None]:
    """Seed 002 §2.6: a process run by several departments lists each one's touchpoints; the
    cell names a department of the processes sheet by code or name, or a new one."""
    column = row.words.touchpoint_department
    text = row.text(column, required=False, max_length=MAX_LENGTH["department"])
    if not text:
        return None, None
    code, name = index.departments.get(fold(text), ("", text))
    return code or None, name


def _check_once(row: Row, index: ProcessIndex, process: ProcessEntry, name: str, dept: str) -> None:
    """Seed 002 §2.8: «точки взаимодействия в рамках одного процесса не подлежат
    дублированию – указывается одна точка взаимодействия и раскрываются удовлетворяемые в ней
    потребности клиента»."""
    key = (fold(process.name), fold(dept), fold(name))
    first = index.seen.setdefault(key, row.number)
    if first != row.number:
        message = row._(
            'the touchpoint "{name}" of the process "{process}" is already given in row {row}: '
            "a touchpoint is given once per process, with all the needs met at it (clause 2.8)"
        )
        text = message.format(name=row.written(row.words.touchpoint_name), process=process.name,
                              row=first)  # fmt: skip
        row.error(row.words.touchpoint_name, text)


def read_touchpoint(row: Row, index: ProcessIndex, sheet: str) -> TouchpointEntry | None:
    """One row of the touchpoint sheet; None (its errors recorded) when it is not usable."""
    words = row.words
    group = row.group_number()
    direction = row.direction()
    if index.from_rows:
        process = _process_of_row(row, index, group, direction)
    else:
        process = _find_process(row, index)
    if process is not None and not (index.from_rows and process.row == row.number):
        check_process_of(row, process, group, direction, sheet)
    name = row.text(words.touchpoint_name, max_length=MAX_LENGTH["name"])
    needs = _read_needs(row)
    specifics = row.cell(words.specifics)
    present = row.present
    dept_code, dept_name = _read_department(row, index)
    if process is not None and name:
        _check_once(row, index, process, name, dept_name or "")
    generated = words.touchpoint_code not in present
    if generated:
        code = generated_code("T", process.name if process else "", dept_name or "", name)
    else:
        code = row.text(words.touchpoint_code, max_length=MAX_LENGTH["code"])
    kind = _read_kind(row, name, specifics)
    channel = row.text(words.channel, required=False, max_length=MAX_LENGTH["channel"])
    active = _read_active(row)
    if not (process and name and needs and code and kind):
        return None
    given = {"active"} | {
        key
        for key, column in (
            ("kind", words.kind),
            ("channel", words.channel),
            ("department", words.touchpoint_department),
        )
        if column in present
    }
    return TouchpointEntry(
        code,
        process.name,
        name,
        needs,
        specifics or words.default_specifics[kind],
        kind,
        channel or name[: MAX_LENGTH["channel"]],
        active,
        row.number,
        department_code=dept_code,
        department_name=dept_name,
        given=frozenset(given),
        generated=generated,
    )
