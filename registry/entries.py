"""The registry as validated data, the problems an import finds, and what an import did."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from core.i18n import Translator
from registry.catalog import Direction
from storage.models import ClientType, TouchpointKind


@dataclass(frozen=True)
class RegistryError:
    """One problem of the workbook, located the way Excel shows it."""

    sheet: str | None
    row: int | None
    column: str | None
    message: str

    def describe(self, _: Translator) -> str:
        where = []
        if self.sheet:
            where.append(_('Sheet "{sheet}"').format(sheet=self.sheet))
        if self.row is not None:
            where.append(_("row {row}").format(row=self.row))
        if self.column:
            where.append(_('column "{column}"').format(column=self.column))
        return f"{', '.join(where)}: {self.message}" if where else self.message


class RegistryImportError(Exception):
    """The workbook was rejected; nothing was written. `errors` lists every problem found."""

    def __init__(self, errors: Sequence[RegistryError], _: Translator) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(error.describe(_) for error in self.errors))


@dataclass(frozen=True)
class Owner:
    """A process owner as the registry names them: Telegram id, @username or MAX user id
    (written ``max:123456``)."""

    telegram_id: int | None = None
    username: str | None = None
    max_id: int | None = None

    def __str__(self) -> str:
        if self.telegram_id is not None:
            return str(self.telegram_id)
        if self.max_id is not None:
            return f"max:{self.max_id}"
        return f"@{self.username}"


# The bot's own columns (not in the seed 002 form) an entry may come without; a column that is
# absent keeps what the database has, so a body's form imports without wiping the owners.
PROCESS_OPTIONAL = frozenset({"department", "owner", "client", "reengineered", "stages"})
TOUCHPOINT_OPTIONAL = frozenset({"kind", "channel", "active", "department"})


@dataclass(frozen=True)
class ProcessEntry:
    """A validated row of the processes sheet."""

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
    given: frozenset[str] = PROCESS_OPTIONAL  # which optional columns the workbook has
    generated: bool = False  # the code was made from the name: no code column


@dataclass(frozen=True)
class TouchpointEntry:
    """A validated row of the touchpoints sheet."""

    code: str
    process_name: str
    name: str
    needs: tuple[int, ...]
    specifics: str
    kind: TouchpointKind
    channel: str
    active: bool = True
    row: int = 0
    department_code: str | None = None  # seed 002 §2.6: the department that acts at it
    department_name: str | None = None
    given: frozenset[str] = TOUCHPOINT_OPTIONAL
    generated: bool = False


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
    publish_by: date | None = None  # seed 002 §3.1: the changed list is published by then

    @property
    def changed(self) -> bool:
        parts = (self.processes, self.touchpoints, self.departments, self.people)
        return self.organization_changed or any(
            c.created or c.updated or c.deactivated for c in parts
        )

    def summary(self, _: Translator) -> str:
        """A short summary for the officer who uploaded the file."""
        lines = []
        for title, c in (
            (_("Processes"), self.processes),
            (_("Touchpoints"), self.touchpoints),
            (_("Departments"), self.departments),
            (_("Owners"), self.people),
        ):
            line = _("{title}: {created} new, {updated} changed, {unchanged} unchanged").format(
                title=title, created=c.created, updated=c.updated, unchanged=c.unchanged
            )
            if c.deactivated:
                line += _(", {deactivated} switched off").format(deactivated=c.deactivated)
            lines.append(line)
        if self.organization_changed:
            lines.append(_("The name of the body was updated"))
        return "\n".join(lines)
