"""What every Excel report shares: its summary, errors, the small-cell guard and helpers.

Protection of employees: any figure built from fewer than ``min_cell`` distinct
respondents of the internal audience is replaced by a marker (``<5``), so a small team's
answers cannot be traced to a person. Zero counts are shown: an empty cell names nobody.
External clients answer anonymously to the body and are not suppressed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.indexes import IndexRow
from analytics.render import OUT, render
from analytics.report_xlsx import (
    Output,
    Sheet,
    write_workbook,
)
from analytics.stats import RollupCell
from core.clock import utcnow
from core.i18n import Translator
from core.russian import MONTHS_SHORT, month_range_ru
from storage.models import (
    ActivityDirection,
    ClientType,
    OrganizationSettings,
    Process,
    Questionnaire,
    TouchpointKind,
)
from storage.xlsx_document import DocumentHead, document_head

COMMENTS_PER_STAGE = 5
COMMENT_LIMIT = 300


def client_labels(_: Translator) -> dict[ClientType, str]:
    return {
        ClientType.EXTERNAL: _("external (clients)"),
        ClientType.INTERNAL: _("internal (clients)"),
    }


def criticality_labels(_: Translator) -> dict[str, str]:
    return {
        "low": _("Low criticality"),
        "medium": _("Medium criticality"),
        "high": _("High criticality"),
    }


def channel_labels(_: Translator) -> dict[str, str]:
    return {
        TouchpointKind.DIGITAL.value: _("Digital channel"),
        TouchpointKind.OFFLINE.value: _("Offline channel"),
    }


def internal_questions(_: Translator) -> dict[str, str]:
    return {
        "satisfaction": _("Satisfaction"),
        "speed": _("Speed of resolution"),
        "clarity": _("Clarity of the answer"),
    }


INTERNAL_QUESTION_IDS = ("satisfaction", "speed", "clarity")


@dataclass(frozen=True)
class Heads:
    """Column headers shared by several sheets, in the reader's language."""

    code: str
    name: str
    direction: str
    clients: str
    version: str
    responses: str
    mean: str

    @classmethod
    def of(cls, _: Translator) -> Heads:
        return cls(
            code=_("Process code"),
            name=_("Process"),
            direction=_("Line of activity"),
            clients=_("Clients"),
            version=_("Questionnaire version"),
            responses=_("Number of responses"),
            mean=_("Mean score"),
        )


class ReportError(ValueError):
    """A report that cannot be built as asked; the message is for people, translated."""


@dataclass(frozen=True)
class ReportSummary:
    """What a report wrote: enough for the CLI line or the bot's caption."""

    kind: str
    title: str  # the msgid of the report's name (REPORT_KINDS); translate it to show it
    path: Path | None
    sheets: tuple[str, ...]
    rows: int
    responses: int
    suppressed: int
    period: tuple[date, date]
    notes: tuple[str, ...] = ()

    def describe(self, _: Translator, note: str = "") -> str:
        """One line for the command line: which months, how many answers, where."""
        line = _("{report} for {period}{note}: {since}–{until}, responses {responses}").format(
            report=_(self.title),
            period=month_range_ru(*self.period),
            note=note,
            since=f"{self.period[0]:%d.%m.%Y}",
            until=f"{self.period[1]:%d.%m.%Y}",
            responses=self.responses,
        )
        if self.suppressed:
            line += _(", small cells hidden {count}").format(count=self.suppressed)
        if self.path is not None:
            line += _("; file {path}").format(path=self.path)
        return line + "."


def suppressed_marker(min_cell: int) -> str:
    """The text written instead of a figure built from too few internal respondents."""
    return f"<{min_cell}"


@dataclass
class CellGuard:
    """Decides suppression of internal cells and counts how many figures it hid."""

    min_cell: int
    hidden: int = 0

    @property
    def marker(self) -> str:
        return suppressed_marker(self.min_cell)

    def hides(self, internal: bool, respondents: int) -> bool:
        return internal and 0 < respondents < self.min_cell

    def show(self, value: Any, hidden: bool) -> Any:
        if not hidden or value is None:
            return value
        self.hidden += 1
        return self.marker


def check_min_cell(min_cell: int, _: Translator) -> None:
    if min_cell < 1:
        raise ReportError(_("The small-cell threshold (min_cell) must be at least 1."))


def check_period(since: date, until: date, _: Translator) -> None:
    if since > until:
        raise ReportError(
            _("The period starts on {since}, after its end on {until}.").format(
                since=f"{since:%d.%m.%Y}", until=f"{until:%d.%m.%Y}"
            )
        )


def first_of_month(day: date) -> date:
    return date(day.year, day.month, 1)


def month_label(month: date) -> str:
    """Column header of a month, e.g. «янв 2025»."""
    return f"{MONTHS_SHORT[month.month - 1]} {month.year}"


def path_of(out: Output) -> Path | None:
    return Path(out) if isinstance(out, str | Path) else None


async def write_sheets(out: Output, sheets: Sequence[Sheet], head: DocumentHead) -> None:
    """Write in the drawing worker process: a big workbook must not stall the bot's loop."""
    await render(write_workbook, OUT, sheets, head, out=out)


async def report_head(
    session: AsyncSession,
    title: str,
    period: tuple[date, date],
    _: Translator,
    *,
    process: str | None = None,
    prepared_on: date | None = None,
) -> DocumentHead:
    """The head of a report (CONVENTIONS «Documents»): the body from the registry, the title
    (with the process for a report about one), the months and their dates, today's date."""
    organization = await session.scalar(
        sa.select(OrganizationSettings.name).order_by(OrganizationSettings.id).limit(1)
    )
    if process is not None:
        title = _("{report}: the process «{process}»").format(report=title, process=process)
    since, until = period
    months = f"{month_range_ru(since, until)} ({since:%d.%m.%Y}–{until:%d.%m.%Y})"
    return document_head(organization, title, months, prepared_on or utcnow().date(), _)


def frame_of(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> pd.DataFrame:
    """A table with the given column order even when there are no rows."""
    return pd.DataFrame([[row.get(c) for c in columns] for row in rows], columns=list(columns))


def info_sheet(pairs: Sequence[tuple[str, Any]], _: Translator) -> Sheet:
    """The sheet that says what the report is, for which period and how to read it."""
    key, value = _("Indicator"), _("Value")
    frame = pd.DataFrame([list(pair) for pair in pairs], columns=[key, value], dtype=object)
    return Sheet(_("About the report"), frame, wrap=(value,))


def difference(current: float | None, previous: float | None) -> float | None:
    if current is None or previous is None:
        return None
    return current - previous


async def find_process(session: AsyncSession, code: str, _: Translator) -> Process:
    """The process with this registry code, for `otklik report KIND --process CODE`."""
    process = await session.scalar(sa.select(Process).where(Process.code == code))
    if process is None:
        raise ReportError(_("No process with the code «{code}» in the registry.").format(code=code))
    return process


async def process_of(session: AsyncSession, process_id: int, _: Translator) -> tuple[Process, str]:
    row = (
        await session.execute(
            sa.select(Process, ActivityDirection.name)
            .join(ActivityDirection, ActivityDirection.id == Process.direction_id)
            .where(Process.id == process_id)
        )
    ).first()
    if row is None:
        raise ReportError(_("No process No. {number} in the registry.").format(number=process_id))
    return row[0], row[1]


async def questionnaires_of(session: AsyncSession) -> dict[int, Questionnaire]:
    return {q.id: q for q in await session.scalars(sa.select(Questionnaire))}


def option_labels(questionnaires: Iterable[Questionnaire], question_id: str) -> dict[str, str]:
    """The labels (`ru`) of a question's options, newest version first, in questionnaire order."""
    labels: dict[str, str] = {}
    for questionnaire in sorted(questionnaires, key=lambda q: -q.version):
        for question in questionnaire.definition.get("questions", []):
            if question.get("id") != question_id:
                continue
            for option in question.get("options", []):
                labels.setdefault(str(option["id"]), str(option["ru"]))
    return labels


def version_text(questionnaire: Questionnaire | None, _: Translator) -> str:
    if questionnaire is None:
        return _("no data")
    return _("«{title}», version {version}").format(
        title=questionnaire.title, version=questionnaire.version
    )


def cell_of(rows: Iterable[IndexRow]) -> RollupCell:
    cell = RollupCell()
    for row in rows:
        cell = cell.merge(row.cell)
    return cell
