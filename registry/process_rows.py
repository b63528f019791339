"""Reading the processes sheet: a row of the bot's workbook becomes a `ProcessEntry`.

Only the group, the name and the direction are required (the seed 002 form's own columns);
the bot's columns (code, department, owner, client type, reengineering date, stages) may be
absent, and an absent one keeps what the database has (`ProcessEntry.given`).
"""

from __future__ import annotations

import re
from datetime import date, datetime

from core.channels import MAX_BASE
from registry.cells import Row, either, fold, split_list
from registry.entries import Owner, ProcessEntry
from registry.layout import MAX_LENGTH
from registry.touchpoint_rows import generated_code
from storage.models import ClientType

_DOTTED_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_USERNAME = re.compile(r"@?([A-Za-z][A-Za-z0-9_]{4,31})")


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
        if words.department_code not in row.present:  # no code column: made from the name
            return generated_code("D", name), name
        message = _('give the code of the department "{name}"')
        row.error(words.department_code, message.format(name=name))
    return code, name


def read_process(row: Row, today: date) -> ProcessEntry | None:
    words, _ = row.words, row._
    group = row.group_number()
    name = row.text(words.process_name, max_length=MAX_LENGTH["name"])
    generated = words.process_code not in row.present
    if generated:
        code = generated_code("P", name)
    else:
        code = row.text(words.process_code, max_length=MAX_LENGTH["code"])
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
        given=_given(row),
        generated=generated,
    )


def _given(row: Row) -> frozenset[str]:
    """The optional fields whose columns the sheet has: an absent column keeps the database's."""
    words, present = row.words, row.present
    columns = {
        "department": (words.department_code, words.department_name),
        "owner": (words.owner,),
        "client": (words.client_type,),
        "reengineered": (words.reengineered,),
        "stages": (words.stages,),
    }
    return frozenset(key for key, headers in columns.items() if present & set(headers))


def _read_owner(row: Row) -> Owner | None:
    text = "".join(row.cell(row.words.owner).split())
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
    row.error(row.words.owner, message.format(text=row.written(row.words.owner)))
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
            message = _('expected a date as DD.MM.YYYY, got "{text}"')
            row.error(column, message.format(text=row.written(column)))
            return None
    if day is not None and day > today:
        row.error(column, _("the date {day} has not come yet").format(day=f"{day:%d.%m.%Y}"))
        return None
    return day
