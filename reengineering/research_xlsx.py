"""The R4 workbook of a research round: summary, difficulties per stage, needs, practices.

Apart from `reengineering.research` so that openpyxl is loaded only when a workbook is made.
Each sheet is a document (storage.xlsx_document): the body, its title, the survey's period,
the date of preparation, A4 print setup; the summary, the cover of the conclusion, carries the
signatures «Заключение подписывается руководителем структурного подразделения, в состав
которого входит ответственное за процесс лицо» (seed 003 §2.2.6) and the process owner's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from core.i18n import Translator
from core.wording import speaking
from reengineering.reminders import format_date
from reengineering.research_lists import (
    CRITICALITY_TITLES,
    WHO_TITLES,
    ResearchLists,
    stage_title,
)
from reengineering.signers import Signers
from storage.models import ClientType
from storage.xlsx_document import (
    DocumentHead,
    document_head,
    set_print,
    write_head,
    write_signatures,
)
from storage.xlsx_text import save_workbook, text_cell

_THIN = Side(style="thin", color="000000")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP = Alignment(wrap_text=True, vertical="top")


@dataclass(frozen=True)
class _Document:
    """What every sheet's head shares: the body, the process line, the period, the date."""

    organization: str | None
    process_name: str
    period: str
    prepared_on: date
    translate: Translator

    def head(self, title: str, *, with_process: bool = True) -> DocumentHead:
        _ = self.translate
        process = _("Process: {process}").format(process=self.process_name)
        lines = (process,) if with_process else ()
        return document_head(
            self.organization, title, self.period, self.prepared_on, _, lines=lines
        )


def _table(
    sheet: Worksheet,
    head: DocumentHead,
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    widths: Sequence[int],
) -> int:
    """The head, then the table; returns the row after the table."""
    header_row = write_head(sheet, head, len(headers))
    for column, header in enumerate(headers, start=1):
        cell = text_cell(sheet.cell(row=header_row, column=column), header)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        cell.border = _BORDER
    for offset, values in enumerate(rows):
        for column, value in enumerate(values, start=1):
            cell = text_cell(sheet.cell(row=header_row + 1 + offset, column=column), value)
            cell.alignment = _WRAP
            cell.border = _BORDER
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    landscape = len(headers) > 3
    set_print(sheet, header_rows=(header_row, header_row), rows=len(rows), landscape=landscape)
    return header_row + 1 + len(rows)


def write_research_xlsx(
    lists: ResearchLists,
    out: Path,
    *,
    process_name: str,
    number: str,
    period: tuple[date, date],
    signers: Signers | None = None,
    prepared_on: date | None = None,
    _: Translator | None = None,
) -> Path:
    """The R4 workbook: summary, difficulties per stage with criticality, needs, practices.

    ``signers`` name the body and who signs (the summary's signature lines); ``prepared_on``
    is the date of preparation, by default the survey's last day.
    """
    _ = speaking(_)
    signers = signers or Signers(None, None, None)
    document = _Document(
        signers.organization,
        process_name,
        f"{format_date(period[0])} – {format_date(period[1])}",
        prepared_on or period[1],
        _,
    )
    workbook = Workbook()
    summary = workbook.active
    assert summary is not None
    summary.title = _("Research summary")
    after = _summary_sheet(summary, lists, document, number=number, period=period)
    write_signatures(summary, after + 1, signers.signatures(_), 3, _)
    _difficulty_sheets(workbook, lists, document)
    need_stages = lists.ordered_stages([stage for stage, _who, _text in lists.needs])
    need_order = {s: i for i, s in enumerate(need_stages)}
    _table(
        workbook.create_sheet(_("Needs")),
        document.head(_("Needs (expectations) of clients at each stage of interaction")),
        [_("Process stage"), _("Named by"), _("Expectation")],
        [
            [stage_title(stage, _), _(WHO_TITLES[who]), text]
            for stage, who, text in sorted(lists.needs, key=lambda n: need_order[n[0]])
        ],
        [30, 14, 80],
    )
    _table(
        workbook.create_sheet(_("Best practices")),
        document.head(_("List of best practices")),
        ["№", _("Named by"), _("Practice")],
        [
            [index, _(WHO_TITLES[who]), text]
            for index, (who, text) in enumerate(lists.practices, start=1)
        ],
        [6, 14, 90],
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    save_workbook(workbook, out)  # answers as typed, never as formulas
    return out


def _summary_sheet(
    sheet: Worksheet,
    lists: ResearchLists,
    document: _Document,
    *,
    number: str,
    period: tuple[date, date],
) -> int:
    """The counts and mean scores of both groups; returns the row after the table."""
    _ = document.translate
    summary_rows: list[list[object]] = []
    for who, label in ((ClientType.EXTERNAL, _("Clients")), (ClientType.INTERNAL, _("Performers"))):
        rated = lists.rated[who]
        mean = round(lists.rating_sum[who] / rated, 2) if rated else None
        summary_rows.append([label, lists.responses[who], mean])
    title = _(
        "Research of the process «{process}», reengineering {number}: survey {first}–{last}"
    ).format(
        process=document.process_name,
        number=number,
        first=format_date(period[0]),
        last=format_date(period[1]),
    )
    return _table(
        sheet,
        document.head(title, with_process=False),
        [_("Respondent group"), _("Answers received"), _("Mean satisfaction (1–5)")],
        summary_rows,
        [22, 12, 22],
    )


def _difficulty_sheets(workbook: Workbook, lists: ResearchLists, document: _Document) -> None:
    """Counts per stage and criticality, then every difficulty named."""
    _ = document.translate
    levels = ("high", "medium", "low", "")
    difficulty_rows: list[list[object]] = []
    for stage in lists.ordered_stages(list(lists.criticality)):
        counts = lists.criticality[stage]
        difficulty_rows.append(
            [stage_title(stage, _), *(counts[level] for level in levels), sum(counts.values())]
        )
    _table(
        workbook.create_sheet(_("Difficulties by stage")),
        document.head(_("List of difficulties by process stage with their criticality")),
        [
            _("Process stage"),
            _("Criticality: high"),
            _("Criticality: medium"),
            _("Criticality: low"),
            _("Criticality not given"),
            _("Total difficulties"),
        ],
        difficulty_rows,
        [36, 14, 14, 14, 14, 10],
    )
    stage_order = {s: i for i, s in enumerate(lists.ordered_stages(list(lists.criticality)))}
    detail_rows = [
        [
            stage_title(stage, _),
            _(CRITICALITY_TITLES[level])
            if level in CRITICALITY_TITLES
            else _("not given (criticality)"),
            _(WHO_TITLES[who]),
            text,
        ]
        for stage, level, who, text in sorted(
            lists.difficulties,
            key=lambda d: (stage_order.get(d[0], 0), levels.index(d[1])),
        )
    ]
    _table(
        workbook.create_sheet(_("Descriptions of difficulties")),
        document.head(_("Difficulties named by clients and performers")),
        [_("Process stage"), _("Criticality"), _("Named by"), _("Description of the difficulty")],
        detail_rows,
        [30, 14, 14, 70],
    )
