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
from core.russian import MONTHS_SHORT, month_range_ru
from storage.models import (
    ActivityDirection,
    ClientType,
    Process,
    Questionnaire,
    TouchpointKind,
)

CLIENT_LABELS = {ClientType.EXTERNAL: "внешние", ClientType.INTERNAL: "внутренние"}
CRITICALITY_LABELS = {"low": "Низкая", "medium": "Средняя", "high": "Высокая"}
CHANNEL_LABELS = {TouchpointKind.DIGITAL.value: "Цифровой", TouchpointKind.OFFLINE.value: "Офлайн"}
INTERNAL_QUESTIONS = {
    "satisfaction": "Удовлетворённость",
    "speed": "Скорость решения",
    "clarity": "Понятность ответа",
}
NO_SEGMENT = "Не указан"
NO_STAGE = "Этап не указан"
ALL_SEGMENTS = "Все сегменты"
ALL_STAGES = "Все этапы"
COMMENTS_PER_STAGE = 5
COMMENT_LIMIT = 300

# column headers shared by several sheets
CODE, NAME, DIRECTION, CLIENTS, VERSION = (
    "Код процесса",
    "Процесс",
    "Направление деятельности",
    "Клиенты",
    "Версия анкеты",
)
INFO_KEY, INFO_VALUE = "Показатель", "Значение"


class ReportError(ValueError):
    """A report that cannot be built as asked; the message is for people, in Russian."""


@dataclass(frozen=True)
class ReportSummary:
    """What a report wrote: enough for the CLI line or the bot's caption."""

    kind: str
    title: str
    path: Path | None
    sheets: tuple[str, ...]
    rows: int
    responses: int
    suppressed: int
    period: tuple[date, date]
    notes: tuple[str, ...] = ()

    def describe(self, note: str = "") -> str:
        """One Russian line for the command line: which months, how many answers, where."""
        line = f"{self.title} за {month_range_ru(*self.period)}{note}: "
        line += f"{self.period[0]:%d.%m.%Y}–{self.period[1]:%d.%m.%Y}, ответов {self.responses}"
        if self.suppressed:
            line += f", скрыто малых ячеек {self.suppressed}"
        if self.path is not None:
            line += f"; файл {self.path}"
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


def check_min_cell(min_cell: int) -> None:
    if min_cell < 1:
        raise ReportError("Порог скрытия малых ячеек (min_cell) должен быть не меньше 1.")


def check_period(since: date, until: date) -> None:
    if since > until:
        raise ReportError(f"Начало периода {since:%d.%m.%Y} позже его окончания {until:%d.%m.%Y}.")


def first_of_month(day: date) -> date:
    return date(day.year, day.month, 1)


def month_label(month: date) -> str:
    """Column header of a month, e.g. «янв 2025»."""
    return f"{MONTHS_SHORT[month.month - 1]} {month.year}"


def path_of(out: Output) -> Path | None:
    return Path(out) if isinstance(out, str | Path) else None


async def write_sheets(out: Output, sheets: Sequence[Sheet]) -> None:
    """Write in the drawing worker process: a big workbook must not stall the bot's loop."""
    await render(write_workbook, OUT, sheets, out=out)


def frame_of(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> pd.DataFrame:
    """A table with the given column order even when there are no rows."""
    return pd.DataFrame([[row.get(c) for c in columns] for row in rows], columns=list(columns))


def info_sheet(pairs: Sequence[tuple[str, Any]]) -> Sheet:
    frame = pd.DataFrame(
        [[key, value] for key, value in pairs], columns=[INFO_KEY, INFO_VALUE], dtype=object
    )
    return Sheet("Сведения", frame, wrap=(INFO_VALUE,))


def difference(current: float | None, previous: float | None) -> float | None:
    if current is None or previous is None:
        return None
    return current - previous


async def find_process(session: AsyncSession, code: str) -> Process:
    """The process with this registry code, for `otklik report KIND --process CODE`."""
    process = await session.scalar(sa.select(Process).where(Process.code == code))
    if process is None:
        raise ReportError(f"Процесс с кодом «{code}» не найден в реестре.")
    return process


async def process_of(session: AsyncSession, process_id: int) -> tuple[Process, str]:
    row = (
        await session.execute(
            sa.select(Process, ActivityDirection.name)
            .join(ActivityDirection, ActivityDirection.id == Process.direction_id)
            .where(Process.id == process_id)
        )
    ).first()
    if row is None:
        raise ReportError(f"Процесс № {process_id} не найден в реестре.")
    return row[0], row[1]


async def questionnaires_of(session: AsyncSession) -> dict[int, Questionnaire]:
    return {q.id: q for q in await session.scalars(sa.select(Questionnaire))}


def option_labels(questionnaires: Iterable[Questionnaire], question_id: str) -> dict[str, str]:
    """Russian labels of a question's options, newest version first, in questionnaire order."""
    labels: dict[str, str] = {}
    for questionnaire in sorted(questionnaires, key=lambda q: -q.version):
        for question in questionnaire.definition.get("questions", []):
            if question.get("id") != question_id:
                continue
            for option in question.get("options", []):
                labels.setdefault(str(option["id"]), str(option["ru"]))
    return labels


def version_text(questionnaire: Questionnaire | None) -> str:
    if questionnaire is None:
        return "нет данных"
    return f"«{questionnaire.title}», версия {questionnaire.version}"


def cell_of(rows: Iterable[IndexRow]) -> RollupCell:
    cell = RollupCell()
    for row in rows:
        cell = cell.merge(row.cell)
    return cell
