"""The registry exactly as seed 002, through `otklik registry ...` on a real database.

§2.2: the list's six columns; §2.6: touchpoints per department; §2.8: a touchpoint once per
process; §2.1: the list published on the site; §3.1: within 5 working days of a change.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from bot.cli import main
from bot.demo import EXAMPLE_REGISTRY
from core.calendar import default_calendar
from core.clock import utcnow
from core.settings import load_settings
from jobs.registry import registry_publication_job
from storage.database import create_engine, create_session_pool
from storage.models import Person

# §2.2, word for word: «Номер группы процессов», «Направление деятельности министерства»…
FORM = (
    "Номер группы процессов",
    "Направление деятельности министерства",
    "Наименование конкретного процесса",
    "Точка взаимодействия",
    "Осуществляемое взаимодействие с клиентом",
    "Особенности взаимодействия с клиентом",
)
SUPPORT = "Предоставление мер государственной поддержки"  # §2.6, item 1
FAMILY = "Выдача удостоверения многодетной семьи"
APPEALS = "Рассмотрение обращений граждан"
BODY_LIST = [
    (
        1,
        SUPPORT,
        FAMILY,
        "Официальный сайт министерства",
        "1; 3",
        "взаимодействие в цифровой точке",
    ),
    (1, SUPPORT, FAMILY, "Приёмная министерства, кабинет 101", "2; 4; 6", "выдача лично"),
    (2, "Рассмотрение обращений и запросов", APPEALS, "Электронная приёмная", "4, 5, 6", None),
    (2, "Рассмотрение обращений и запросов", APPEALS, "Telegram-канал министерства", 1, None),
]
OFFICER = 900001


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OTKLIK_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("OTKLIK_SECRET_KEY", "cli-secret")
    monkeypatch.delenv("OTKLIK_BOT_TOKEN", raising=False)
    return tmp_path


def write_form(path: Path, rows: Sequence[Sequence[Any]], headers: Sequence[str] = FORM) -> Path:
    """A body's own list: one sheet, the form's headings and its rows, nothing else."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Лист1"
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    book.save(path)
    return path


def query(workdir: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(workdir / "cli.db") as db:
        return list(db.execute(sql))


def test_the_seed_form_with_its_headings_and_nothing_else_imports(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    form = write_form(workdir / "перечень.xlsx", BODY_LIST)

    assert main(["registry", "import", str(form)]) == 0

    out = capsys.readouterr().out
    assert "Процессы: новых 2" in out and "Точки взаимодействия: новых 4" in out
    processes = query(workdir, "SELECT code, name, group_number, active FROM processes")
    assert sorted(p[1:] for p in processes) == [(FAMILY, 1, 1), (APPEALS, 2, 1)]
    touchpoints = dict(
        (row[0], row[1:])
        for row in query(workdir, "SELECT name, kind, channel, active, code FROM touchpoints")
    )
    assert touchpoints["Официальный сайт министерства"][:3] == (
        "digital",
        "Официальный сайт министерства",
        1,
    )
    assert touchpoints["Приёмная министерства, кабинет 101"][0] == "offline"
    assert touchpoints["Электронная приёмная"][0] == "digital"
    assert touchpoints["Telegram-канал министерства"][0] == "digital"
    codes = sorted(t[-1] for t in touchpoints.values())

    assert main(["registry", "import", str(form)]) == 0  # the same list again changes nothing

    assert "Точки взаимодействия: новых 0, изменено 0, без изменений 4" in capsys.readouterr().out
    assert sorted(row[0] for row in query(workdir, "SELECT code FROM touchpoints")) == codes
    assert len(query(workdir, "SELECT id FROM registry_changes")) == 1


def test_the_bot_workbook_written_in_the_form_headings_imports_unchanged(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Today «Наименование конкретного процесса» was refused: it is the form's own heading."""
    assert main(["registry", "import", str(EXAMPLE_REGISTRY)]) == 0
    book = load_workbook(EXAMPLE_REGISTRY)
    for sheet in ("Процессы", "Точки взаимодействия"):
        for cell in book[sheet][1]:
            cell.value = {
                "Наименование процесса": "Наименование конкретного процесса",
                "Направление деятельности": "Направление деятельности министерства",
            }.get(cell.value, cell.value)
    book.save(workdir / "form-words.xlsx")
    capsys.readouterr()

    assert main(["registry", "import", str(workdir / "form-words.xlsx")]) == 0

    out = capsys.readouterr().out
    assert "Процессы: новых 0, изменено 0, без изменений 23" in out
    assert "Точки взаимодействия: новых 0, изменено 0, без изменений 56" in out


def test_a_touchpoint_twice_in_one_process_is_refused(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """§2.8: «точки взаимодействия в рамках одного процесса не подлежат дублированию»."""
    twice = [*BODY_LIST, (1, SUPPORT, FAMILY, "официальный  сайт министерства", 6, None)]

    assert main(["registry", "import", str(write_form(workdir / "twice.xlsx", twice))]) == 1

    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "Реестр не загружен, база данных не изменена:",
        "Лист «Лист1», строка 6, столбец «Точка взаимодействия»: точка взаимодействия "
        "«официальный  сайт министерства» процесса «Выдача удостоверения многодетной семьи» "
        "уже указана в строке 2: в одном процессе точка взаимодействия указывается один раз, "
        "со всеми удовлетворяемыми в ней потребностями (пункт 2.8)",
    ]
    assert query(workdir, "SELECT count(*) FROM processes") == [(0,)]


def test_touchpoints_belong_to_the_departments_that_run_the_process(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """§2.6: a process run by several departments lists each one's touchpoints."""
    rows = [
        (*BODY_LIST[0], "Отдел семейной политики"),
        (*BODY_LIST[1], "Отдел семейной политики"),
        (1, SUPPORT, FAMILY, "Приёмная министерства, кабинет 101", 6, None, "Управление делами"),
    ]
    form = write_form(workdir / "depts.xlsx", rows, (*FORM, "Структурное подразделение"))

    assert main(["registry", "import", str(form)]) == 0

    stored = query(
        workdir,
        "SELECT t.name, d.name FROM touchpoints t JOIN departments d ON d.id = t.department_id "
        "ORDER BY t.id",
    )
    assert stored == [
        ("Официальный сайт министерства", "Отдел семейной политики"),
        ("Приёмная министерства, кабинет 101", "Отдел семейной политики"),
        ("Приёмная министерства, кабинет 101", "Управление делами"),
    ]
    assert main(["registry", "export", str(workdir / "out.xlsx")]) == 0
    sheet = load_workbook(workdir / "out.xlsx")["Точки взаимодействия"]
    rows = list(sheet.iter_rows(values_only=True))
    header = next(i for i, row in enumerate(rows) if "Структурное подразделение" in row)
    column = rows[header].index("Структурное подразделение")
    exported = sorted(row[column] for row in rows[header + 1 :])
    assert exported == ["Отдел семейной политики", "Отдел семейной политики", "Управление делами"]


def test_an_empty_touchpoint_sheet_is_refused(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Today it switched every touchpoint off."""
    assert main(["registry", "import", str(EXAMPLE_REGISTRY)]) == 0
    book = load_workbook(EXAMPLE_REGISTRY)
    book["Точки взаимодействия"].delete_rows(2, 200)
    book.save(workdir / "empty.xlsx")
    capsys.readouterr()

    assert main(["registry", "import", str(workdir / "empty.xlsx")]) == 1

    err = capsys.readouterr().err.strip().splitlines()
    assert err[1] == (
        "Лист «Точки взаимодействия»: на листе нет ни одной строки: пустой лист отключил бы "
        "весь реестр, поэтому файл не принят"
    )
    assert query(workdir, "SELECT count(*) FROM touchpoints WHERE active") == [(55,)]


def test_the_list_to_publish_is_the_form_with_its_title_and_approval(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """§2.1: «Перечень формируется по форме ... и утверждается приказом министерства»."""
    assert main(["registry", "import", str(EXAMPLE_REGISTRY)]) == 0
    out = workdir / "publish.xlsx"

    assert main(["registry", "export", "--publish", str(out)]) == 0

    assert "записан в" in capsys.readouterr().out
    book = load_workbook(out)
    [sheet] = book.worksheets
    cells = [tuple(row) for row in sheet.iter_rows(values_only=True)]
    assert [row[0] for row in cells[:3]] == [  # the approval stamp, top right
        "УТВЕРЖДЕН",
        "приказом",
        "от «___» ______________ 20___ г. № _____",
    ]
    assert cells[3][0] == "Министерство социальной защиты населения Приреченской области"
    assert cells[4][0] == "Перечень точек взаимодействия с внешним и внутренним клиентами"
    assert cells[5][0].startswith("По состоянию на ")
    assert cells[6][0].startswith("Дата подготовки: ")
    assert tuple(cells[8]) == FORM  # exactly the six columns, in the form's words
    assert sheet.max_column == 6
    assert sheet.print_title_rows == "$9:$9" and sheet.page_setup.orientation == "landscape"
    data = cells[9:]
    assert len(data) == 55  # the active touchpoints; the one switched off is not published
    assert data[0][:4] == (
        1,
        "Меры государственной поддержки и государственные услуги",
        "Назначение ежемесячной денежной выплаты ветеранам труда",
        "Единый портал государственных услуг (Госуслуги)",
    )
    assert data[1][:3] == (None, None, None)  # merged over the process's touchpoints
    assert "A10:A12" in {str(r) for r in sheet.merged_cells.ranges}

    # The published list is a body's own list: imported over the registry it came from, it
    # changes nothing (processes and touchpoints found by name; owners, codes, links kept).
    owners = query(workdir, "SELECT code, owner_id, department_id FROM processes ORDER BY code")
    assert main(["registry", "import", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Процессы: новых 0, изменено 0, без изменений 23" in printed
    assert "Точки взаимодействия: новых 0, изменено 0, без изменений 55" in printed
    assert "отключено" not in printed and "разместите" not in printed
    assert query(workdir, "SELECT code, owner_id, department_id FROM processes ORDER BY code") == (
        owners
    )
    assert query(workdir, "SELECT count(*) FROM registry_changes") == [(1,)]


def _add_officer() -> None:
    engine = create_engine(load_settings().database_url)

    async def add() -> None:
        try:
            async with create_session_pool(engine)() as session, session.begin():
                session.add(Person(telegram_id=OFFICER, is_officer=True))
        finally:
            await engine.dispose()

    asyncio.run(add())


def _settings_and_job(workdir: Path, day: date) -> int:
    settings = load_settings()
    engine = create_engine(settings.database_url)

    async def run() -> int:
        try:
            clock = lambda: utcnow().replace(  # noqa: E731
                year=day.year, month=day.month, day=day.day, hour=12
            )
            return await registry_publication_job(create_session_pool(engine), clock, settings)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_a_change_is_published_within_five_working_days(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """§3.1: «Актуальная версия Перечня размещается на официальном сайте министерства не
    позднее 5 рабочих дней с момента внесения изменений»."""
    assert main(["db", "upgrade"]) == 0
    _add_officer()
    today = utcnow().astimezone(load_settings().tz).date()
    due = default_calendar().add_working_days(today, 5)
    capsys.readouterr()

    assert main(["registry", "import", str(write_form(workdir / "l.xlsx", BODY_LIST))]) == 0

    assert f"не позднее {due:%d.%m.%Y} (пункт 3.1)" in capsys.readouterr().out
    assert query(workdir, "SELECT changed_on, publish_by, published_on FROM registry_changes") == [
        (today.isoformat(), due.isoformat(), None)
    ]
    [(chat, text, actions)] = query(
        workdir, "SELECT chat_id, text, actions FROM outbox WHERE kind = 'registry_publication'"
    )
    assert chat == OFFICER and f"не позднее {due:%d.%m.%Y}" in text
    assert "не позднее 5 рабочих дней с момента внесения изменений" in text
    [[button]] = json.loads(actions)
    assert button["intent"] == "registry.published" and button["label"] == "Размещён на сайте"

    assert _settings_and_job(workdir, today) == 0  # the import queued today's already
    assert _settings_and_job(workdir, due) == 1  # the deadline day
    assert _settings_and_job(workdir, due) == 0  # idempotent
    late = default_calendar().add_working_days(due, 3)
    assert _settings_and_job(workdir, late) == 1
    overdue = query(workdir, "SELECT text FROM outbox ORDER BY id DESC LIMIT 1")[0][0]
    assert f"срок ({due:%d.%m.%Y}) уже прошёл" in overdue

    assert main(["registry", "published", "--date", "31.02.2026"]) == 1
    assert "--date ожидает дату" in capsys.readouterr().err
    assert main(["registry", "published", "--date", f"{today:%d.%m.%Y}"]) == 0
    assert f"Размещение реестра на сайте {today:%d.%m.%Y} отмечено." in capsys.readouterr().out
    assert query(workdir, "SELECT published_on FROM registry_changes") == [(today.isoformat(),)]
    assert _settings_and_job(workdir, default_calendar().add_working_days(late, 1)) == 0
    assert main(["registry", "published"]) == 0
    assert "ожидающих размещения, нет" in capsys.readouterr().out


def test_a_mistyped_heading_of_the_form_is_a_missing_column(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    headers = [*FORM]
    headers[2] = "Наименование процесса (услуги)"
    form = write_form(workdir / "typo.xlsx", BODY_LIST, headers)

    assert main(["registry", "import", str(form)]) == 1

    assert capsys.readouterr().err.strip().splitlines()[1:] == [
        "Лист «Лист1», строка 1, столбец «Наименование процесса / Наименование конкретного "
        "процесса»: столбец не найден"
    ]
    assert query(workdir, "SELECT count(*) FROM touchpoints") == [(0,)]
