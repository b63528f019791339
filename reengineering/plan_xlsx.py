"""The action plan as an Excel workbook in the form of seed 003's annex.

«…формирует план мероприятий по реализации целевого порядка осуществления процесса… согласно
шаблону, представленному в Приложении к настоящему Порядку» (§3.4), and the approved plan goes
to every executor with the minutes (§3.8), so the bot produces the annex form itself: the
annex's heading and title, the five-column table «№ п/п | Мероприятие | Дата окончания |
Ответственный | Образ результата и отчетный документ» with its numbering row 1–5 and the four
section rows spanning it, measures numbered 1.1, 1.2, 2.1…, dates as ДД.ММ.ГГГГ. Around it the
document's head (storage.xlsx_document): the body, the approval stamp «УТВЕРЖДЕН протоколом
заседания рабочей группы…» (§3.8), the period, the date of preparation, and the signatures of
the process owner who forms the plan (§3.4) and of the head of the department, who signs the
conclusion that goes with it (§3.7).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import utcnow
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
from reengineering.signers import signers_of
from reengineering.templates import PlanAnnex
from storage.xlsx_document import (
    DocumentHead,
    Signature,
    document_head,
    set_print,
    write_head,
    write_signatures,
)
from storage.xlsx_text import save_workbook, text_cell

# HEADERS is served by the module __getattr__ below.
__all__ = ["table_row", "write_action_plan_xlsx"]

WIDTHS = (9, 55, 15, 30, 55)
DATE_FORMAT = "DD.MM.YYYY"


def __getattr__(name: str) -> tuple[str, ...]:
    """``HEADERS``: the annex's five columns, word for word from seed 003's template file."""
    if name == "HEADERS":
        return plan_annex(DEFAULT_TEMPLATE).columns
    raise AttributeError(name)


_THIN = Side(style="thin", color="000000")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP = Alignment(wrap_text=True, vertical="top")
_CENTER = Alignment(wrap_text=True, vertical="center", horizontal="center")
_SECTION_FILL = PatternFill("solid", fgColor="E7EEF7")


def _approval_line(view: CaseView, _: Translator) -> str:
    """«…он считается утвержденным протоколом заседания рабочей группы» (§3.8), else a draft."""
    try:
        meeting = view.step(MEETING_STEP)
    except KeyError:
        return _("Draft")
    if meeting.decision == "approve" and meeting.done_on is not None:
        return _(
            "APPROVED by the minutes of the meeting of the working group on "
            "client-centricity of {day}"
        ).format(day=format_date(meeting.done_on))
    return _("DRAFT (not approved by the working group)")


def _head(
    view: CaseView, annex: PlanAnnex, organization: str | None, on: date, _: Translator
) -> DocumentHead:
    """The annex's heading and the approval stamp, the body, the annex's title, the case."""
    ends = [item.due_on for item in view.plan_items]
    period = (
        f"{format_date(view.arose_on)} – {format_date(max(ends))}"
        if ends
        else format_date(view.arose_on)
    )
    lines = (
        *((annex.subtitle,) if annex.subtitle else ()),
        _("Process: {process}").format(process=view.process_name),
        _("Reengineering {number}; ground: {ground} (arose on {day})").format(
            number=view.number, ground=view.ground_title, day=format_date(view.arose_on)
        ),
    )
    return document_head(
        organization,
        annex.title,
        period,
        on,
        _,
        approval=(annex.heading, _approval_line(view, _)),
        lines=lines,
    )


def table_row(annex: PlanAnnex) -> int:
    """The row of the table's header, after the head: the annex's heading and the approval
    stamp, the body, the title, the subtitle where the annex has one, the process and the
    ground, the period, the date of preparation and a blank row."""
    return 1 + 2 + 4 + (3 if annex.subtitle else 2) + 1


def _table_header(sheet: Worksheet, header_row: int, headers: tuple[str, ...]) -> None:
    """The annex's column headers and, under them, the numbering row 1…5."""
    for column, header in enumerate(headers, start=1):
        cell = text_cell(sheet.cell(row=header_row, column=column), header)
        cell.font = Font(bold=True)
        cell.alignment = _CENTER
        cell.border = _BORDER
        number = sheet.cell(row=header_row + 1, column=column, value=column)
        number.alignment = _CENTER
        number.border = _BORDER
        number.font = Font(size=9)


def _result_and_document(item: PlanItemView) -> str:
    """The annex's one column «Образ результата и отчетный документ»: both, one per line."""
    return "\n".join(text for text in (item.expected_result, item.report_document) if text)


def _sections(sheet: Worksheet, row: int, annex: PlanAnnex, items: tuple[PlanItemView, ...]) -> int:
    """Each section's row spanning the table, then its measures; returns the next row."""
    width = len(annex.columns)
    for section, title in annex.sections.items():
        text_cell(sheet.cell(row=row, column=1), f"{section}.")
        text_cell(sheet.cell(row=row, column=2), title)
        sheet.merge_cells(start_row=row, start_column=2, end_row=row, end_column=width)
        for column in range(1, width + 1):
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
                _result_and_document(item),
            )
            for column, value in enumerate(values, start=1):
                cell = text_cell(sheet.cell(row=row, column=column), value)
                cell.border = _BORDER
                cell.alignment = _CENTER if column in (1, 3) else _WRAP
                if isinstance(value, date):
                    cell.number_format = DATE_FORMAT
            row += 1
    return row


def _build(
    view: CaseView,
    annex: PlanAnnex,
    head: DocumentHead,
    signatures: tuple[Signature, ...],
    out: Path,
    _: Translator,
) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = _("Action plan")
    width = len(annex.columns)
    header_row = write_head(sheet, head, width)
    assert header_row == table_row(annex)
    sheet.cell(row=1, column=1).font = Font(italic=True, size=9)  # the annex's own heading
    _table_header(sheet, header_row, annex.columns)
    row = _sections(sheet, header_row + 2, annex, view.plan_items)
    write_signatures(sheet, row + 1, signatures, width, _)
    for column, width_chars in enumerate(WIDTHS[:width], start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width_chars
    sheet.freeze_panes = sheet.cell(row=header_row + 2, column=1)
    rows = len(annex.sections) + len(view.plan_items)
    set_print(sheet, header_rows=(header_row, header_row + 1), rows=rows, landscape=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    save_workbook(workbook, out)  # measures and names as typed, never as formulas
    return out


async def write_action_plan_xlsx(
    session: AsyncSession,
    case_id: int,
    out: Path,
    _: Translator | None = None,
    *,
    on: date | None = None,
) -> Path:
    """Write the case's action plan in the annex form to ``out``; ``on`` is the date of
    preparation (today by default); returns the path."""
    _ = speaking(_)
    view = await case_view(session, case_id, _=_)
    annex = plan_annex((await load_case(session, case_id)).template_id)
    signers = await signers_of(session, view.process_id)
    head = _head(view, annex, signers.organization, on or utcnow().date(), _)
    return _build(view, annex, head, signers.signatures(_), out, _)
