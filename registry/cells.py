"""Cell values of the registry workbook: text, need lists, and a row that records its errors."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from core.i18n import Translator
from core.russian import fold_yo
from registry.catalog import ACTIVITY_DIRECTIONS, CLIENT_NEEDS, DIRECTION_ALIASES, Direction
from registry.entries import RegistryError
from registry.layout import Layout

_NUMBER_LIST = re.compile(r"\d+(?:\s*,\s*\d+)*")
_NUMBERED_NEED = re.compile(r"(\d+)\s*(?:[—–\-.):]\s*(.*))?", re.S)


def squash(text: str) -> str:
    return " ".join(text.split())


def fold(text: str) -> str:
    """The form names are compared in: spaces squashed, case and «ё» ignored."""
    return fold_yo(squash(text).casefold())


def cell_text(value: Any, _: Translator) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%d.%m.%Y")
    return str(value).strip()


def split_list(value: Any, _: Translator) -> tuple[str, ...]:
    return tuple(s for s in (squash(p) for p in re.split(r"[;\n]", cell_text(value, _))) if s)


def either(first: str, second: str, _: Translator) -> str:
    """«first» or «second», as a message names the two allowed words."""
    return _('"{first}" or "{second}"').format(first=first, second=second)


_DIRECTIONS: dict[str, Direction] = {}
for _direction in ACTIVITY_DIRECTIONS:
    _DIRECTIONS[fold(_direction.name)] = _direction
    _DIRECTIONS[fold(_direction.code)] = _direction
    for _alias in DIRECTION_ALIASES.get(_direction.code, ()):
        _DIRECTIONS[fold(_alias)] = _direction
_NEED_NAMES = {number: fold(name) for number, name in CLIENT_NEEDS.items()}
_NEED_LIST = ", ".join(str(n) for n in CLIENT_NEEDS)


def format_needs(needs: Sequence[int]) -> str:
    """Needs as the seed 002 list writes them: «1 — получение информации; 4 — …»."""
    return "; ".join(f"{n} — {CLIENT_NEEDS[n]}" for n in needs)


def _need_pieces(value: Any, _: Translator) -> list[str]:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return [cell_text(value, _)]
    return [p.strip() for p in re.split(r"[;\n]", cell_text(value, _)) if p.strip()]


def _need_by_text(piece: str, _: Translator) -> tuple[int | None, str | None]:
    """The need a piece names by number, by number and text, or by text alone."""
    if match := _NUMBERED_NEED.fullmatch(piece):
        number, text = int(match.group(1)), fold(match.group(2) or "").rstrip(".…")
        if text and number in CLIENT_NEEDS and not _NEED_NAMES[number].startswith(text):
            problem = _('number {number} of the list of needs is "{need}", not "{given}"')
            given = match.group(2)  # as written: a stray space shows
            return number, problem.format(number=number, need=CLIENT_NEEDS[number], given=given)
        return number, None
    text = fold(piece).rstrip(".…")
    found = [n for n, name in _NEED_NAMES.items() if name == text] or [
        n for n, name in _NEED_NAMES.items() if name.startswith(text)
    ]
    if len(text) >= 5 and len(found) == 1:
        return found[0], None
    return None, _('the need "{need}" is not recognised').format(need=piece)


def parse_needs(value: Any, _: Translator) -> tuple[tuple[int, ...], list[str]]:
    """Need numbers from «1; 4», «1, 4» or the full text; second item lists the problems."""
    numbers: list[int] = []
    problems: list[str] = []
    for piece in _need_pieces(value, _):
        if _NUMBER_LIST.fullmatch(piece):
            numbers.extend(int(n) for n in piece.split(","))
            continue
        number, problem = _need_by_text(piece, _)
        if problem is not None:
            problems.append(problem)
        if number is not None:
            numbers.append(number)
    for number in dict.fromkeys(numbers):
        if number == 8:
            problems.append(_("there is no need number 8: the list (clause 2.7) skips number 8"))
        elif number not in CLIENT_NEEDS:
            message = _("unknown need number {number}; allowed are {numbers}")
            problems.append(message.format(number=number, numbers=_NEED_LIST))
    return tuple(sorted({n for n in numbers if n in CLIENT_NEEDS})), problems


class Row:
    """One data row of a sheet; every getter records its own error and returns a fallback."""

    def __init__(
        self,
        sheet: str,
        number: int,
        values: dict[str, Any],
        errors: list[RegistryError],
        refused: dict[str, str],
        words: Layout,
        _: Translator,
        shown: dict[str, str] | None = None,
    ) -> None:
        self.sheet, self.number, self.values, self.errors = sheet, number, values, errors
        self.words, self._ = words, _
        # header → the heading as the workbook writes it (the form's own words, §2.2)
        self.shown = shown or {}
        # header → why its cell (a formula, an error value) is refused: said once, and the
        # cell's other problems are not repeated
        self.refused = refused
        for column, message in self.refused.items():
            self.errors.append(
                RegistryError(sheet, number, self.shown.get(column, column), message)
            )

    @property
    def present(self) -> frozenset[str]:
        """The columns the sheet has (the bot's own ones are optional)."""
        return frozenset(self.values)

    def error(self, column: str, message: str) -> None:
        if column not in self.refused:
            shown = self.shown.get(column, column)
            self.errors.append(RegistryError(self.sheet, self.number, shown, message))

    def cell(self, column: str) -> str:
        """The cell's value as text («» when empty)."""
        return cell_text(self.values.get(column), self._)

    def written(self, column: str) -> str:
        """The cell as the officer typed it, spaces and all: what an error message echoes, so
        a doubled or stray space that makes the value wrong can be seen."""
        value = self.values.get(column)
        return value if isinstance(value, str) else self.cell(column)

    def text(self, column: str, *, required: bool = True, max_length: int | None = None) -> str:
        value = squash(self.cell(column))
        if required and not value:
            self.error(column, self._("the cell is empty"))
        elif max_length is not None and len(value) > max_length:
            message = self._("longer than {limit} characters ({length})")
            self.error(column, message.format(limit=max_length, length=len(value)))
        return value

    def group_number(self) -> int:
        column, value = self.words.group, self.values.get(self.words.group)
        text = self.cell(column)
        if not text:
            self.error(column, self._("the cell is empty"))
        elif not text.isdigit() or int(text) < 1 or isinstance(value, bool):
            message = self._('expected a positive whole number, got "{text}"')
            self.error(column, message.format(text=self.written(column)))
        else:
            return int(text)
        return 0

    def direction(self) -> Direction | None:
        text = self.text(self.words.direction)
        if text and (direction := _DIRECTIONS.get(fold(text))) is not None:
            return direction
        if text:
            names = "; ".join(f"«{d.name}»" for d in ACTIVITY_DIRECTIONS)
            message = self._('unknown activity direction "{text}"; allowed are: {names}')
            written = self.written(self.words.direction)
            self.error(self.words.direction, message.format(text=written, names=names))
        return None

    def choice(self, column: str, words: dict[str, Any], expected: str) -> Any:
        text = self.text(column)
        if not text:
            return None
        found = words.get(fold(text))
        if found is None:
            self.expected(column, expected, self.written(column))
        return found

    def expected(self, column: str, expected: str, text: str) -> None:
        message = self._('expected {expected}, got "{text}"')
        self.error(column, message.format(expected=expected, text=text))
