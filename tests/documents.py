"""Checks every produced workbook must pass to be a document an official can sign.

CONVENTIONS «Documents»: «the body's name, title, period, date of preparation, a signature or
«УТВЕРЖДАЮ» block where the regulation expects one, print setup (paper, orientation, fit to
width, repeated header rows)». Tests open the workbook with openpyxl and call these.
"""

from __future__ import annotations

import re
from datetime import date

from openpyxl.worksheet.worksheet import Worksheet

ORGANIZATION = "Администрация муниципального образования «город Десногорск» Смоленской области"
A4 = 9  # openpyxl's PAPERSIZE_A4


def column_a(sheet: Worksheet, last_row: int) -> list[str]:
    return [str(sheet.cell(row=r, column=1).value or "") for r in range(1, last_row + 1)]


def assert_head(
    sheet: Worksheet,
    *,
    title: str,
    period: str,
    prepared_on: date,
    table_row: int,
    organization: str = ORGANIZATION,
) -> None:
    """The body, the title, the period and the date of preparation above the table's header."""
    head = column_a(sheet, table_row - 1)
    assert organization in head, head
    assert title in head, head
    assert head.index(organization) < head.index(title)
    assert any(line.startswith("Период: ") and period in line for line in head), head
    assert f"Дата подготовки: {prepared_on:%d.%m.%Y}" in head, head
    assert head[-1] == "", head  # a blank row before the table


def assert_print(
    sheet: Worksheet, header_rows: tuple[int, int], *, landscape: bool, one_page: bool = True
) -> None:
    """A4, one page wide, the header repeated on each page; a short table (a five-row one)
    is fitted to one page whole, a long one runs down as many pages as it needs."""
    setup = sheet.page_setup
    assert int(setup.paperSize) == A4
    assert setup.orientation == ("landscape" if landscape else "portrait")
    assert int(setup.fitToWidth) == 1
    assert int(setup.fitToHeight) == (1 if one_page else 0)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
    first, last = header_rows
    assert str(sheet.print_title_rows).replace("$", "") == f"{first}:{last}"


def signatures(sheet: Worksheet, from_row: int) -> list[tuple[str, str]]:
    """(position, name) of each signature line below ``from_row``: a row whose next row has
    the hint «(подпись)»; the name is the row's last filled cell (a blank line if unknown)."""
    found = []
    for row in range(from_row, sheet.max_row + 1):
        hints = [str(sheet.cell(row=row + 1, column=c).value or "") for c in range(1, 12)]
        if "(подпись)" in hints:
            cells = [sheet.cell(row=row, column=c).value for c in range(1, 12)]
            filled = [str(v) for v in cells if v]
            found.append((filled[0], filled[-1]))
    return found


REGISTRY_CODE = re.compile(r"\b[A-Z]{2,}\d+(?:-[A-Z0-9]+)?\b")  # SUP02, SUP02-EPGU, IT01


def assert_no_codes_in_headers(sheet: Worksheet, header_row: int) -> None:
    """Headers are for people: a touchpoint or process by name, never «(SUP02-EPGU)»."""
    headers = [str(c.value or "") for c in sheet[header_row]]
    assert not [h for h in headers if REGISTRY_CODE.search(h)], headers
