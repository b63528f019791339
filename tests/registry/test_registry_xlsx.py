"""Registry workbook: import (validation, idempotence, all-or-nothing), export, round trip."""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
import zipfile
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from sqlalchemy.orm import selectinload

from core.clock import utcnow
from core.i18n import translator
from registry.cells import parse_needs
from registry.entries import RegistryImportError
from registry.example import DEFAULT_PATH, ORGANIZATION, build_example_workbook
from registry.export import export_registry
from registry.importing import import_registry
from registry.layout import layout
from registry.xlsx_guard import MAX_COLUMNS, MAX_ROWS
from storage.base import Base
from storage.database import SessionPool, create_engine, create_session_pool
from storage.migrate import upgrade_database
from storage.models import (
    ClientType,
    OrganizationSettings,
    Person,
    Process,
    Touchpoint,
    TouchpointKind,
)
from tests.documents import assert_print, column_a

RU = translator("ru")
PROCESSES_SHEET, TOUCHPOINTS_SHEET = layout(RU).processes_sheet, layout(RU).touchpoints_sheet
TODAY = date(2026, 1, 15)
PROCESSES, TOUCHPOINTS, ACTIVE_TOUCHPOINTS, DEPARTMENTS, PEOPLE = 23, 56, 55, 6, 22


@pytest.fixture
def example(tmp_path: Path) -> Path:
    path = tmp_path / "registry.xlsx"
    build_example_workbook(path, RU)
    return path


def edit(source: Path, target: Path, change: Callable[[Any], None]) -> Path:
    """A copy of the workbook with `change(book)` applied, the way an officer edits it."""
    book = load_workbook(source)
    change(book)
    book.save(target)
    return target


def find_row(sheet: Any, header: str, value: str) -> int:
    column = [c.value for c in sheet[1]].index(header) + 1
    for row in range(2, sheet.max_row + 1):
        if sheet.cell(row=row, column=column).value == value:
            return row
    raise LookupError(value)


def set_cell(sheet: Any, row: int, header: str, value: Any) -> None:
    column = [c.value for c in sheet[1]].index(header) + 1
    sheet.cell(row=row, column=column).value = value  # cell(value=None) would not clear


async def dump(session_pool: SessionPool) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table: equal dumps mean nothing was written."""
    tables: dict[str, list[tuple[Any, ...]]] = {}
    async with session_pool() as session:
        for table in Base.metadata.sorted_tables:
            query = sa.select(table).order_by(*table.primary_key.columns)
            tables[table.name] = [tuple(row) for row in await session.execute(query)]
    return tables


async def snapshot(session_pool: SessionPool) -> dict[str, Any]:
    """Every registry field, keyed by codes instead of database ids."""
    async with session_pool() as session:
        processes = await session.scalars(
            sa.select(Process).options(
                selectinload(Process.direction),
                selectinload(Process.department),
                selectinload(Process.owner),
                selectinload(Process.touchpoints),
            )
        )
        organization = await session.scalar(sa.select(OrganizationSettings.name))
    result: dict[str, Any] = {"organization": organization, "processes": {}, "touchpoints": {}}
    for p in processes:
        result["processes"][p.code] = {
            "name": p.name,
            "group_number": p.group_number,
            "direction": p.direction.code,
            "department": (p.department.code, p.department.name) if p.department else None,
            "owner": (p.owner.telegram_id, p.owner.username) if p.owner else None,
            "client_type": p.client_type,
            "last_reengineering": p.last_reengineering,
            "review_due": p.review_due,
            "stages": p.stages,
            "active": p.active,
        }
        for t in p.touchpoints:
            result["touchpoints"][t.code] = {
                "process": p.code,
                "name": t.name,
                "kind": t.kind,
                "channel": t.channel,
                "needs": t.needs,
                "specifics": t.specifics,
                "payload": t.payload,
                "active": t.active,
            }
    return result


async def test_example_import_creates_the_registry(
    session_pool: SessionPool, example: Path
) -> None:
    calls: list[tuple[int, int]] = []
    report = await import_registry(
        session_pool, example, RU, today=TODAY, progress=lambda d, t: calls.append((d, t))
    )

    assert (report.processes.created, report.processes.updated) == (PROCESSES, 0)
    assert (report.touchpoints.created, report.touchpoints.deactivated) == (TOUCHPOINTS, 0)
    assert report.departments.created == DEPARTMENTS
    assert report.people.created == PEOPLE
    assert report.organization_changed and report.changed
    assert calls[-1] == (PROCESSES + TOUCHPOINTS, PROCESSES + TOUCHPOINTS)
    assert "Процессы: новых 23" in report.summary(RU)

    state = await snapshot(session_pool)
    assert state["organization"] == ORGANIZATION
    assert state["processes"]["SUP05"] == {
        "name": "Признание гражданина нуждающимся в социальном обслуживании",
        "group_number": 1,
        "direction": "support",
        "department": ("UMSP", "Управление социальной поддержки населения"),
        "owner": (None, "kuznetsova_umsp"),
        "client_type": ClientType.EXTERNAL,
        "last_reengineering": date(2023, 9, 12),
        "review_due": date(2026, 9, 12),
        "stages": [
            "обращение за помощью",
            "подача заявления",
            "обследование условий жизнедеятельности",
            "принятие решения",
            "составление индивидуальной программы",
            "получение социальных услуг",
        ],
        "active": True,
    }
    never_reengineered = state["processes"]["SUP04"]
    assert never_reengineered["last_reengineering"] is None
    assert never_reengineered["review_due"] == date(2029, 1, 15)
    assert state["processes"]["ITS01"]["client_type"] == ClientType.INTERNAL
    assert state["processes"]["ITS01"]["owner"] == (None, "sokolov_it")
    assert state["processes"]["ACC02"]["owner"] == (700018, None)
    assert state["touchpoints"]["SUP01-EPGU"] == {
        "process": "SUP01",
        "name": "Единый портал государственных услуг (Госуслуги)",
        "kind": TouchpointKind.DIGITAL,
        "channel": "ЕПГУ",
        "needs": [1, 4, 5, 6],
        "specifics": "заявление в электронной форме, уведомления о ходе рассмотрения "
        "в личном кабинете",
        "payload": "t-SUP01-EPGU",
        "active": True,
    }
    assert state["touchpoints"]["SUP01-HOTL"]["specifics"] == "взаимодействие в цифровой точке"
    assert state["touchpoints"]["SUP02-POST"]["kind"] == TouchpointKind.OFFLINE
    assert state["touchpoints"]["SUP02-POST"]["active"] is False
    directions = {p["direction"] for p in state["processes"].values()}
    assert len(directions) == 10


async def test_reimport_changes_nothing(session_pool: SessionPool, example: Path) -> None:
    await import_registry(session_pool, example, RU, today=TODAY)
    before = await dump(session_pool)

    # A later day must not move the review date of never-reengineered processes either.
    report = await import_registry(session_pool, example, RU, today=TODAY + timedelta(days=40))

    assert not report.changed
    assert report.processes.unchanged == PROCESSES
    assert report.touchpoints.unchanged == TOUCHPOINTS
    assert report.departments.unchanged == DEPARTMENTS
    assert report.people.unchanged == PEOPLE
    assert await dump(session_pool) == before


async def test_changed_rows_update_and_missing_rows_deactivate(
    session_pool: SessionPool, example: Path, tmp_path: Path
) -> None:
    await import_registry(session_pool, example, RU, today=TODAY)

    def change(book: Any) -> None:
        points, processes = book[TOUCHPOINTS_SHEET], book[PROCESSES_SHEET]
        set_cell(
            points,
            find_row(points, "Код точки", "INF01-TG"),
            "Точка взаимодействия",
            "Telegram-канал «Соцзащита Приречья»",
        )
        set_cell(
            processes,
            find_row(processes, "Код процесса", "APL01"),
            "Ответственный за процесс",
            "@New_Owner",
        )
        points.delete_rows(find_row(points, "Код точки", "ADM03-MSG"))

    report = await import_registry(
        session_pool, edit(example, tmp_path / "changed.xlsx", change), RU, today=TODAY
    )

    assert (report.processes.updated, report.processes.unchanged) == (1, PROCESSES - 1)
    assert (report.touchpoints.updated, report.touchpoints.deactivated) == (1, 1)
    assert report.touchpoints.unchanged == TOUCHPOINTS - 2
    assert report.touchpoints.created == report.processes.created == 0
    assert report.people.created == 1
    state = await snapshot(session_pool)
    assert state["touchpoints"]["INF01-TG"]["name"] == "Telegram-канал «Соцзащита Приречья»"
    assert state["touchpoints"]["INF01-TG"]["payload"] == "t-INF01-TG"
    assert state["processes"]["APL01"]["owner"] == (None, "New_Owner")
    assert state["touchpoints"]["ADM03-MSG"]["active"] is False  # kept, only switched off

    # The owner writes to the bot later under another case: the same person is found again.
    async with session_pool() as session, session.begin():
        person = await session.scalar(sa.select(Person).where(Person.username == "New_Owner"))
        assert person is not None
        person.username = "new_owner"
    again = await import_registry(session_pool, tmp_path / "changed.xlsx", RU, today=TODAY)
    assert not again.changed


async def test_an_owner_known_by_a_max_user_id_is_imported_and_exported(
    session_pool: SessionPool, example: Path, tmp_path: Path
) -> None:
    """``max:123456`` names an owner by MAX user id (the bot writes to them in MAX)."""

    def change(book: Any) -> None:
        processes = book[PROCESSES_SHEET]
        row = find_row(processes, "Код процесса", "APL01")
        set_cell(processes, row, "Ответственный за процесс", "MAX:8800555")

    changed = edit(example, tmp_path / "max.xlsx", change)
    await import_registry(session_pool, changed, RU, today=TODAY)
    async with session_pool() as session:
        person = await session.scalar(sa.select(Person).where(Person.max_id == 8800555))
        owned = await session.scalar(sa.select(Process).where(Process.code == "APL01"))
    assert person is not None and person.telegram_id is None
    assert owned is not None and owned.owner_id == person.id
    again = await import_registry(session_pool, changed, RU, today=TODAY)
    assert not again.changed
    exported = tmp_path / "exported.xlsx"
    await export_registry(session_pool, exported, RU)
    book = load_workbook(exported)
    processes = book[PROCESSES_SHEET]
    assert "max:8800555" in [str(c.value) for row in processes.iter_rows() for c in row]


async def test_removed_process_is_deactivated_and_comes_back(
    session_pool: SessionPool, example: Path, tmp_path: Path
) -> None:
    await import_registry(session_pool, example, RU, today=TODAY)

    def remove_adm03(book: Any) -> None:
        processes, points = book[PROCESSES_SHEET], book[TOUCHPOINTS_SHEET]
        processes.delete_rows(find_row(processes, "Код процесса", "ADM03"))
        for code in ("ADM03-MSG", "ADM03-ROOM"):
            points.delete_rows(find_row(points, "Код точки", code))

    report = await import_registry(
        session_pool, edit(example, tmp_path / "smaller.xlsx", remove_adm03), RU, today=TODAY
    )
    assert (report.processes.deactivated, report.touchpoints.deactivated) == (1, 2)
    state = await snapshot(session_pool)
    assert state["processes"]["ADM03"]["active"] is False

    back = await import_registry(session_pool, example, RU, today=TODAY)
    assert (back.processes.updated, back.touchpoints.updated) == (1, 2)
    assert (await snapshot(session_pool))["processes"]["ADM03"]["active"] is True


async def test_merged_cells_of_the_published_form_are_read(
    session_pool: SessionPool, example: Path, tmp_path: Path
) -> None:
    await import_registry(session_pool, example, RU, today=TODAY)

    def merge_sup01(book: Any) -> None:
        for column in "ABC":  # group, direction, process over SUP01's three touchpoints
            book[TOUCHPOINTS_SHEET].merge_cells(f"{column}2:{column}4")

    merged = edit(example, tmp_path / "merged.xlsx", merge_sup01)
    assert load_workbook(merged)[TOUCHPOINTS_SHEET]["C3"].value is None

    assert not (await import_registry(session_pool, merged, RU, today=TODAY)).changed


def _cell_setter(sheet: str, code: str, header: str, value: Any) -> Callable[[Any], None]:
    def change(book: Any) -> None:
        key = "Код точки" if sheet == TOUCHPOINTS_SHEET else "Код процесса"
        set_cell(book[sheet], find_row(book[sheet], key, code), header, value)

    return change


def _rename_header(sheet: str, old: str, new: str) -> Callable[[Any], None]:
    def change(book: Any) -> None:
        for cell in book[sheet][1]:
            if cell.value == old:
                cell.value = new

    return change


def _drop_sheet(book: Any) -> None:
    del book[TOUCHPOINTS_SHEET]


def _organization_formula(book: Any) -> None:
    book["Организация"]["A2"] = '="Министерство"'


def _duplicate_code(book: Any) -> None:
    set_cell(book[TOUCHPOINTS_SHEET], 6, "Код точки", "SUP02-EPGU")


BROKEN = {
    "bad kind": (
        _cell_setter(TOUCHPOINTS_SHEET, "SUP02-MFC", "Вид точки", "онлайн"),
        "Лист «Точки взаимодействия», строка 6, столбец «Вид точки»: "
        "ожидается «цифровая» или «офлайн», получено «онлайн»",
    ),
    "unknown direction": (
        _cell_setter(PROCESSES_SHEET, "SUP02", "Направление деятельности", "Соцзащита"),
        "Лист «Процессы», строка 3, столбец «Направление деятельности»: "
        "неизвестное направление деятельности «Соцзащита»",
    ),
    "need number 8": (
        _cell_setter(
            TOUCHPOINTS_SHEET, "SUP01-EPGU", "Осуществляемое взаимодействие с клиентом", "1; 8"
        ),
        "Лист «Точки взаимодействия», строка 2, столбец «Осуществляемое взаимодействие "
        "с клиентом»: потребности с номером 8 нет",
    ),
    "unknown need": (
        _cell_setter(
            TOUCHPOINTS_SHEET, "SUP01-EPGU", "Осуществляемое взаимодействие с клиентом", "1, 12"
        ),
        "строка 2, столбец «Осуществляемое взаимодействие с клиентом»: "
        "неизвестный номер потребности 12",
    ),
    "duplicate code": (
        _duplicate_code,
        "Лист «Точки взаимодействия», строка 6, столбец «Код точки»: "
        "«SUP02-EPGU» уже указан в строке 5",
    ),
    "missing sheet": (_drop_sheet, "Лист «Точки взаимодействия»: лист не найден"),
    "missing header": (
        _rename_header(TOUCHPOINTS_SHEET, "Точка взаимодействия", "Точка"),
        "Лист «Точки взаимодействия», строка 1, столбец «Точка взаимодействия»: столбец не найден",
    ),
    "empty process code": (
        _cell_setter(PROCESSES_SHEET, "SUP03", "Код процесса", None),
        "Лист «Процессы», строка 4, столбец «Код процесса»: ячейка не заполнена",
    ),
    # seed 002 §2.8: «точки взаимодействия в рамках одного процесса не подлежат дублированию»
    "touchpoint twice in a process": (
        _cell_setter(
            TOUCHPOINTS_SHEET,
            "SUP01-HOTL",
            "Точка взаимодействия",
            "единый портал  государственных услуг (госуслуги)",
        ),
        "Лист «Точки взаимодействия», строка 4, столбец «Точка взаимодействия»: точка "
        "взаимодействия «единый портал  государственных услуг (госуслуги)» процесса "
        "«Назначение ежемесячной денежной выплаты ветеранам труда» уже указана в строке 2",
    ),
    # #17 point 11: the echo of a bad value keeps its spaces
    "echo keeps spaces": (
        _cell_setter(PROCESSES_SHEET, "SUP02", "Направление деятельности", " Соц  защита"),
        "столбец «Направление деятельности»: неизвестное направление деятельности « Соц  защита»",
    ),
    "bad date": (
        _cell_setter(PROCESSES_SHEET, "SUP03", "Дата последнего реинжиниринга", "31.02.2023"),
        "Лист «Процессы», строка 4, столбец «Дата последнего реинжиниринга»: "
        "ожидается дата в виде ДД.ММ.ГГГГ, получено «31.02.2023»",
    ),
    "future date": (
        _cell_setter(PROCESSES_SHEET, "SUP03", "Дата последнего реинжиниринга", "01.02.2030"),
        "столбец «Дата последнего реинжиниринга»: дата 01.02.2030 ещё не наступила",
    ),
    "direction disagrees": (
        _cell_setter(TOUCHPOINTS_SHEET, "SUP01-MFC", "Направление деятельности", "control"),
        "Лист «Точки взаимодействия», строка 3, столбец «Направление деятельности»: "
        "«Контроль (надзор)» не совпадает с направлением процесса",
    ),
    "group disagrees": (
        _cell_setter(TOUCHPOINTS_SHEET, "SUP01-MFC", "Номер группы процессов", 4),
        "строка 3, столбец «Номер группы процессов»: 4 не совпадает с номером группы процесса",
    ),
    "unknown process": (
        _cell_setter(TOUCHPOINTS_SHEET, "SUP01-MFC", "Наименование процесса", "Выдача справок"),
        "строка 3, столбец «Наименование процесса»: процесс «Выдача справок» не найден",
    ),
    "bad owner": (
        _cell_setter(PROCESSES_SHEET, "SUP01", "Ответственный за процесс", "Иванов И. И."),
        "Лист «Процессы», строка 2, столбец «Ответственный за процесс»: "
        "ожидается числовой Telegram id, @username",
    ),
    "bad owner echoed as written": (
        _cell_setter(PROCESSES_SHEET, "SUP01", "Ответственный за процесс", "Иванов И. И."),
        "а указано «Иванов И. И.»",
    ),
    # openpyxl saves formulas without a cached value: today they silently became defaults
    "formula in an optional cell": (
        _cell_setter(
            TOUCHPOINTS_SHEET,
            "SUP01-MFC",
            "Особенности взаимодействия с клиентом",
            '="приём"&" заявлений"',
        ),
        "Лист «Точки взаимодействия», строка 3, столбец «Особенности взаимодействия "
        "с клиентом»: в ячейке F3 формула, а реестр принимает только значения",
    ),
    "formula in a flag": (
        _cell_setter(TOUCHPOINTS_SHEET, "SUP01-MFC", "Активна", "=FALSE()"),
        "Лист «Точки взаимодействия», строка 3, столбец «Активна»: в ячейке J3 формула",
    ),
    "formula in a required cell": (
        _cell_setter(PROCESSES_SHEET, "SUP02", "Код процесса", '="SUP"&"02"'),
        "Лист «Процессы», строка 3, столбец «Код процесса»: в ячейке A3 формула",
    ),
    "formula as the body's name": (
        _organization_formula,
        "Лист «Организация», строка 2, столбец «Наименование органа»: в ячейке A2 формула",
    ),
}


async def test_broken_files_are_rejected_and_nothing_is_written(
    session_pool: SessionPool, example: Path, tmp_path: Path, subtests: pytest.Subtests
) -> None:
    await import_registry(session_pool, example, RU, today=TODAY)
    before = await dump(session_pool)

    for case, (change, expected) in BROKEN.items():
        with subtests.test(msg=case):
            broken = edit(example, tmp_path / "broken.xlsx", change)
            with pytest.raises(RegistryImportError) as caught:
                await import_registry(session_pool, broken, RU, today=TODAY)
            assert expected in str(caught.value)
            assert len(caught.value.errors) == 1, str(caught.value)
            assert await dump(session_pool) == before


async def test_not_an_xlsx_is_a_clear_error(session_pool: SessionPool, tmp_path: Path) -> None:
    before = await dump(session_pool)
    fake = tmp_path / "реестр.xlsx"
    fake.write_text("Код процесса;Наименование\nSUP01;Выплата\n", encoding="utf-8")

    with pytest.raises(RegistryImportError) as caught:
        await import_registry(session_pool, fake, RU)

    assert "не удалось прочитать как книгу Excel" in str(caught.value)
    with pytest.raises(RegistryImportError, match="не найден"):
        await import_registry(session_pool, tmp_path / "нет такого.xlsx", RU)
    assert await dump(session_pool) == before


async def test_every_error_of_the_file_is_reported(
    session_pool: SessionPool, example: Path, tmp_path: Path
) -> None:
    def break_many(book: Any) -> None:
        for change, _ in (BROKEN["bad kind"], BROKEN["need number 8"], BROKEN["bad date"]):
            change(book)

    with pytest.raises(RegistryImportError) as caught:
        await import_registry(session_pool, edit(example, tmp_path / "many.xlsx", break_many), RU)

    lines = str(caught.value).splitlines()
    assert len(lines) == len(caught.value.errors) == 3
    assert lines[0].startswith("Лист «Процессы», строка 4")  # sheet order, then rows
    assert await snapshot(session_pool) == {
        "organization": None,
        "processes": {},
        "touchpoints": {},
    }


async def test_payload_clash_rolls_the_whole_import_back(
    session_pool: SessionPool, example: Path
) -> None:
    await import_registry(session_pool, example, RU, today=TODAY)
    async with session_pool() as session, session.begin():
        await session.execute(sa.delete(Touchpoint).where(Touchpoint.code == "SUP01-EPGU"))
        await session.execute(
            sa.update(Touchpoint)
            .where(Touchpoint.code == "SUP01-MFC")
            .values(payload="t-SUP01-EPGU", name="Переименована")
        )
    before = await dump(session_pool)

    with pytest.raises(RegistryImportError, match="ссылка «t-SUP01-EPGU» уже занята"):
        await import_registry(session_pool, example, RU, today=TODAY)

    assert await dump(session_pool) == before


def test_needs_are_read_in_every_accepted_form() -> None:
    assert parse_needs("1; 4; 6", RU) == ((1, 4, 6), [])
    assert parse_needs("6, 1,4", RU) == ((1, 4, 6), [])
    assert parse_needs(5.0, RU) == ((5,), [])
    full = "1 — получение информации; 4 — представление заявления, обращения, запроса, документов"
    assert parse_needs(full, RU) == ((1, 4), [])
    assert parse_needs("4 — представление заявления…\n9 - получение результата", RU) == ((4, 9), [])
    assert parse_needs("получение консультации", RU) == ((2,), [])
    assert parse_needs("Получение информации; получение форм", RU) == ((1, 3), [])
    assert parse_needs("1; 8; 12", RU)[0] == (1,)
    numbers, problems = parse_needs("2 — получение информации", RU)
    assert numbers == (2,) and "под номером 2" in problems[0]
    assert parse_needs("что-то своё", RU)[1] == ["не удалось распознать потребность «что-то своё»"]


async def test_export_then_import_into_a_fresh_database_is_equal(
    session_pool: SessionPool, example: Path, tmp_path: Path
) -> None:
    await import_registry(session_pool, example, RU, today=TODAY)
    exported = tmp_path / "exported.xlsx"

    assert await export_registry(session_pool, exported, RU) == TOUCHPOINTS

    book = load_workbook(exported)
    processes = book[PROCESSES_SHEET]
    top = 6  # a document: the body, the title, «as of», the date, a blank row, then the table
    # the example's processes and its 55 touchpoints run down several pages
    for sheet in (processes, book[TOUCHPOINTS_SHEET]):
        head = column_a(sheet, top - 1)
        assert head[:2] == [ORGANIZATION, "Реестр процессов и точек взаимодействия"], head
        assert head[2] == head[3].replace("Дата подготовки:", "По состоянию на"), head
        assert head[3] == f"Дата подготовки: {utcnow().date():%d.%m.%Y}"
        assert_print(sheet, (top, top), landscape=True, one_page=False)
    assert processes.freeze_panes == "A7" and processes["A6"].font.bold
    assert processes["A6"].value == "Код процесса" and processes["J6"].value == "Этапы процесса"
    assert processes["I7"].number_format == "DD.MM.YYYY"
    groups = [row[1] for row in processes.iter_rows(min_row=top + 1, values_only=True)]
    assert groups == sorted(groups)
    assert [c.value for c in book[TOUCHPOINTS_SHEET][top]][:3] == [
        "Номер группы процессов",
        "Направление деятельности",
        "Наименование процесса",
    ]
    assert book["Организация"]["A2"].value == ORGANIZATION  # data, read back from A2
    book.close()

    second = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'second.db'}")
    try:
        await upgrade_database(second)
        second_pool = create_session_pool(second)
        report = await import_registry(second_pool, exported, RU, today=TODAY)
        assert report.touchpoints.created == TOUCHPOINTS
        assert await snapshot(second_pool) == await snapshot(session_pool)
    finally:
        await second.dispose()
    again = await import_registry(session_pool, exported, RU, today=TODAY)
    assert not again.changed


def test_committed_example_is_up_to_date(tmp_path: Path) -> None:
    fresh = tmp_path / "registry.xlsx"
    build_example_workbook(fresh, RU)
    assert DEFAULT_PATH.read_bytes() == fresh.read_bytes(), (
        "examples/registry.xlsx is stale: run python -m registry.example"
    )


# ------------------------------------------------------------- formulas and huge sheets

PROCESSES_PART = "xl/worksheets/sheet1.xml"  # openpyxl writes the sheets in order


def rewrite_part(source: Path, target: Path, change: Callable[[str], str]) -> Path:
    """A copy with the «Процессы» sheet's XML changed: files Excel makes and openpyxl cannot."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            content = old.read(info.filename)
            if info.filename == PROCESSES_PART:
                content = change(content.decode("utf-8")).encode("utf-8")
            new.writestr(info, content)
    return target


async def test_formula_with_a_cached_value_is_refused(
    session_pool: SessionPool, example: Path, tmp_path: Path
) -> None:
    """Excel stores a formula with its last value; the value is not the registry's word."""
    with_formula = edit(example, tmp_path / "f.xlsx", _cell_setter(
        PROCESSES_SHEET, "SUP03", "Наименование процесса", "=C2"
    ))  # fmt: skip
    cached = rewrite_part(
        with_formula,
        tmp_path / "cached.xlsx",
        lambda xml: re.sub(
            r'<c r="C4"([^>]*)><f>C2</f><v\s*/></c>',
            r'<c r="C4"\1 t="str"><f>C2</f><v>Выдача удостоверения многодетной семьи</v></c>',
            xml,
        ),
    )
    assert load_workbook(cached, data_only=True)[PROCESSES_SHEET]["C4"].value.startswith("Выдача")
    before = await dump(session_pool)

    with pytest.raises(RegistryImportError) as caught:
        await import_registry(session_pool, cached, RU, today=TODAY)

    assert str(caught.value) == (
        "Лист «Процессы», строка 4, столбец «Наименование процесса»: в ячейке C4 формула, "
        "а реестр принимает только значения: замените формулу её значением "
        "(Копировать → Специальная вставка → Значения) и загрузите файл снова"
    )
    assert await dump(session_pool) == before


async def test_an_error_value_is_refused(
    session_pool: SessionPool, example: Path, tmp_path: Path
) -> None:
    """#N/A left in a cell is not a stage name: before, it was imported as one."""
    broken = rewrite_part(
        example,
        tmp_path / "error.xlsx",
        lambda xml: re.sub(r'<c r="J4"[^>]*>.*?</c>', '<c r="J4" t="e"><v>#N/A</v></c>', xml),
    )
    before = await dump(session_pool)

    with pytest.raises(RegistryImportError) as caught:
        await import_registry(session_pool, broken, RU, today=TODAY)

    assert str(caught.value) == (
        "Лист «Процессы», строка 4, столбец «Этапы процесса»: в ячейке J4 ошибка Excel «#N/A»: "
        "впишите значение и загрузите файл снова"
    )
    assert await dump(session_pool) == before


async def test_a_sheet_that_claims_a_huge_size_is_refused(
    session_pool: SessionPool, example: Path, tmp_path: Path
) -> None:
    claims = rewrite_part(
        example,
        tmp_path / "claims.xlsx",
        lambda xml: re.sub(r'<dimension ref="[^"]*"', '<dimension ref="A1:XFD1048576"', xml),
    )
    before = await dump(session_pool)

    with pytest.raises(RegistryImportError) as caught:
        await import_registry(session_pool, claims, RU, today=TODAY)

    assert str(caught.value) == (
        f"Лист «Процессы»: лист объявляет размер A1:XFD1048576, а в реестре может быть "
        f"не больше {MAX_ROWS} строк и {MAX_COLUMNS} столбцов (до столбца CV): удалите лишние "
        "строки и столбцы за таблицей (или скопируйте таблицу на новый лист), сохраните файл "
        "и загрузите снова"
    )
    assert await dump(session_pool) == before


def _far_cell(book: Any) -> None:
    book[PROCESSES_SHEET].cell(row=1_048_576, column=16_384, value="x")


def _lying_dimension(xml: str) -> str:
    return re.sub(r'<dimension ref="[^"]*"', '<dimension ref="A1:J24"', xml)


def _inject(element: str) -> Callable[[str], str]:
    return lambda xml: xml.replace("</sheetData>", f"</sheetData>{element}", 1)


HUGE = {
    "one cell at XFD1048576": (_far_cell, None, "лист объявляет размер A1:XFD1048576"),
    "a dimension that lies": (_far_cell, _lying_dimension, "заполнена ячейка XFD1048576"),
    "a merged range to XFD1048576": (
        None,
        _inject('<mergeCells count="1"><mergeCell ref="K30:XFD1048576"/></mergeCells>'),
        "объединены ячейки K30:XFD1048576",
    ),
    "a hyperlink over a huge range": (
        None,
        _inject('<hyperlinks><hyperlink ref="K30:XFD1048576" location="A1"/></hyperlinks>'),
        "ссылка занимает ячейки K30:XFD1048576",
    ),
}
MEMORY_LIMIT = 1024 * 1024 * 1024  # the import of the example needs about 150 MB


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


@pytest.mark.sqlite_only
def test_huge_sheets_are_refused_in_bounded_memory(
    example: Path, tmp_path: Path, subtests: pytest.Subtests
) -> None:
    """The CLI's import in one process capped at 1 GB: before, such files took > 4 GB."""
    paths = {}
    for number, (case, (change, rewrite, _expected)) in enumerate(HUGE.items()):
        path = example if change is None else edit(example, tmp_path / f"{number}.xlsx", change)
        if rewrite is not None:
            path = rewrite_part(path, tmp_path / f"{number}-rewritten.xlsx", rewrite)
        paths[case] = path
    env = {**os.environ, "OTKLIK_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"}
    env |= {"OTKLIK_SECRET_KEY": "cli-secret", "PYTHONPATH": os.pathsep.join(sys.path)}
    env.pop("OTKLIK_BOT_TOKEN", None)
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_EACH, *map(str, paths.values())],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        preexec_fn=_limit_memory,
        check=False,
        timeout=300,  # a safety net: before the fix the import ran out of memory and hung
    )
    assert done.returncode == 0, done.stderr[-3000:]
    outputs = dict(zip(paths, done.stderr.split(SEPARATOR)[1:], strict=True))
    for case, (_change, _rewrite, expected) in HUGE.items():
        with subtests.test(msg=case):
            output = outputs[case]
            assert output.rstrip().endswith("exit 1"), output[-2000:]
            assert "Реестр не загружен, база данных не изменена" in output
            assert f"Лист «Процессы»: {expected}, а в реестре может быть не больше" in output


SEPARATOR = "\n=== next file ===\n"
IMPORT_EACH = f"""
import sys
from bot.cli import main
for path in sys.argv[1:]:
    print({SEPARATOR!r}, file=sys.stderr, flush=True)
    print("exit", main(["registry", "import", path]), file=sys.stderr, flush=True)
"""
