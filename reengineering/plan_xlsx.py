"""The action plan as an Excel workbook in the layout of seed 003's annex.

The working group approves the plan as a document and it goes to every executor (§3.8),
so the bot produces the annex form itself: a title block, the six-column table with the
four section rows spanning it, measures numbered 1.1, 1.2, 2.1…, dates as ДД.ММ.ГГГГ.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.ext.asyncio import AsyncSession

from core.i18n import Translator
from core.wording import speaking
from reengineering.cases import (
    DEFAULT_TEMPLATE,
    MEETING_STEP,
    CaseView,
    PlanItemView,
    case_view,
    plan_annex,
)
from reengineering.cases.records import load_case
from reengineering.reminders import format_date
from reengineering.templates import PlanAnnex
from storage.xlsx_text import save_workbook, text_cell

# HEADERS is served by the module __getattr__ below.
__all__ = ["TITLE_ROWS", "write_action_plan_xlsx"]

WIDTHS = (9, 50, 15, 30, 36, 32)
DATE_FORMAT = "DD.MM.YYYY"
TITLE_ROWS = 6  # title block; the table header is the next row


def __getattr__(name: str) -> tuple[str, ...]:
    """``HEADERS``: the annex's six columns, word for word from seed 003's template file."""
    if name == "HEADERS":
        return plan_annex(DEFAULT_TEMPLATE).columns
    raise AttributeError(name)


_THIN = Side(style="thin", color="000000")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP = Alignment(wrap_text=True, vertical="top")
_CENTER = Alignment(wrap_text=True, vertical="center", horizontal="center")
_SECTION_FILL = PatternFill("solid", fgColor="E7EEF7")


def _approval_line(view: CaseView, _: Translator) -> str:
    """«УТВЕРЖДЁН решением рабочей группы от …» once approved, otherwise a draft mark."""
    try:
        meeting = view.step(MEETING_STEP)
    except KeyError:
        return _("Draft")
    if meeting.decision == "approve" and meeting.done_on is not None:
        return _(
            "APPROVED by a decision of the working group on client-centricity of {day}"
        ).format(day=format_date(meeting.done_on))
    return _("DRAFT (not approved by the working group)")


def _title_block(sheet: Worksheet, view: CaseView, annex: PlanAnnex, _: Translator) -> None:
    """The annex's heading and title, the process, the ground, and the approval line."""
    last_col = get_column_letter(len(annex.columns))
    title_lines = [
        (annex.heading, Font(italic=True, size=9)),
        (annex.title, Font(bold=True, size=13)),
        (annex.subtitle, Font(bold=True, size=11)),
        (_("Process: {process}").format(process=view.process_name), Font(size=11)),
        (
            _("Reengineering {number}; ground: {ground} (arose on {day})").format(
                number=view.number, ground=view.ground_title, day=format_date(view.arose_on)
            ),
            Font(size=10),
        ),
        (_approval_line(view, _), Font(bold=True, size=10)),
    ]
    for row, (text, font) in enumerate(title_lines, start=1):
        sheet.merge_cells(f"A{row}:{last_col}{row}")
        cell = text_cell(sheet.cell(row=row, column=1), text)
        cell.font = font
        horizontal = "right" if row in (1, TITLE_ROWS) else "center"
        cell.alignment = Alignment(horizontal=horizontal, vertical="center", wrap_text=True)
    sheet.row_dimensions[4].height = 30


def _build(
    view: CaseView, annex: PlanAnnex, items: tuple[PlanItemView, ...], out: Path, _: Translator
) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = _("Action plan")
    headers = annex.columns

    _title_block(sheet, view, annex, _)

    header_row = TITLE_ROWS + 1
    for column, header in enumerate(headers, start=1):
        cell = sheet.cell(row=header_row, column=column, value=header)
        cell.font = Font(bold=True)
        cell.alignment = _CENTER
        cell.border = _BORDER
        number = sheet.cell(row=header_row + 1, column=column, value=column)
        number.alignment = _CENTER
        number.border = _BORDER
        number.font = Font(size=9)

    row = header_row + 2
    for section, title in annex.sections.items():
        sheet.cell(row=row, column=1, value=f"{section}.")
        sheet.cell(row=row, column=2, value=title)
        sheet.merge_cells(start_row=row, start_column=2, end_row=row, end_column=len(headers))
        for column in range(1, len(headers) + 1):
            cell = sheet.cell(row=row, column=column)
            cell.border = _BORDER
            cell.font = Font(bold=True)
            cell.fill = _SECTION_FILL
            cell.alignment = _WRAP
        row += 1
        for item in (item for item in items if item.section == section):
            values: tuple[str | date, ...] = (
                f"{item.number}.",
                item.measure,
                item.due_on,
                item.responsible_name,
                item.expected_result,
                item.report_document,
            )
            for column, value in enumerate(values, start=1):
                cell = text_cell(sheet.cell(row=row, column=column), value)
                cell.border = _BORDER
                cell.alignment = _CENTER if column in (1, 3) else _WRAP
                if isinstance(value, date):
                    cell.number_format = DATE_FORMAT
            row += 1

    for column, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = sheet.cell(row=header_row + 2, column=1)
    sheet.print_title_rows = f"{header_row}:{header_row + 1}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    out.parent.mkdir(parents=True, exist_ok=True)
    save_workbook(workbook, out)  # measures and names as typed, never as formulas
    return out


async def write_action_plan_xlsx(
    session: AsyncSession, case_id: int, out: Path, _: Translator | None = None
) -> Path:
    """Write the case's action plan in the annex layout to ``out``; returns the path."""
    _ = speaking(_)
    view = await case_view(session, case_id, _=_)
    annex = plan_annex((await load_case(session, case_id)).template_id)
    return _build(view, annex, view.plan_items, out, _)
