"""Issue #17, points 9 and 11, through the CLI's main(): what the command line says to people.

Point 9: «Output for people. `otklik report` prints a sentence and the file's path …; `cases
list` prints «№ 1», not «№ № 1», and says when there are none; `campaigns list` prints Russian
labels …; argparse's own messages … are Russian; `--out` into a missing folder or with the
wrong extension gets a clear line …; `otklik questionnaires list` shows what can be used in
campaigns». Point 11: «unknown codes are refused with the known ones listed».
"""

from __future__ import annotations

import argparse
import inspect
import os
import sqlite3
from pathlib import Path

import pytest

from bot.cli import main
from bot.cli_args import ARGPARSE_MSGIDS, OtklikParser
from bot.demo import EXAMPLE_REGISTRY

DEPARTMENTS = "OBU, OIT, OKH, OKN, OOG, UMSP"  # the example registry's six departments


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OTKLIK_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("OTKLIK_SECRET_KEY", "cli-secret")
    monkeypatch.delenv("OTKLIK_BOT_TOKEN", raising=False)
    monkeypatch.delenv("OTKLIK_LOCALE", raising=False)
    return tmp_path


def refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """What argparse said when it refused `argv` (exit code 2)."""
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    said = capsys.readouterr()
    assert "Traceback" not in said.err and not said.out
    return said.err


def test_argparse_speaks_russian_by_default_and_english_when_told(
    workdir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    language = os.environ.get("LANGUAGE")
    said = refused([], capsys)
    assert said.startswith("использование: otklik [-h] [-v] КОМАНДА ...")
    assert "otklik: ошибка: не указаны обязательные аргументы: КОМАНДА" in said
    said = refused(["nope"], capsys)
    assert "недопустимое значение 'nope' (возможные значения: 'run'," in said
    assert "invalid choice" not in said and "usage" not in said
    said = refused(["report"], capsys)
    assert "[--process КОД] [--case ЧИСЛО]" in said and "--out ФАЙЛ" in said
    assert (
        "обязательные аргументы: {action-plan,dynamics,internal,pain-map,segments}, --out" in said
    )
    with pytest.raises(SystemExit) as helped:
        main(["report", "-h"])
    assert helped.value.code == 0
    shown = capsys.readouterr().out
    assert "-h, --help            показать эту справку и выйти" in shown
    assert "параметры:" in shown and "позиционные аргументы:" in shown
    assert "show this help" not in shown and "options:" not in shown
    assert os.environ.get("LANGUAGE") == language  # argparse's language is put back

    monkeypatch.setenv("OTKLIK_LOCALE", "en")
    said = refused(["cases"], capsys)
    assert said.startswith("usage: otklik cases [-h] COMMAND ...")
    assert "otklik cases: error: the following arguments are required: COMMAND" in said
    assert "--process CODE" in refused(["cases", "open"], capsys)


def test_a_command_added_by_anyone_speaks_the_parsers_language(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The parser class carries the language, not bot.cli: other modules' commands get it."""
    parser = OtklikParser(prog="otklik", locale="ru")
    regulation = parser.add_subparsers(dest="command", required=True).add_parser("org")
    regulation.add_argument("--file", required=True)
    with pytest.raises(SystemExit):
        parser.parse_args(["org"])
    said = capsys.readouterr().err
    assert said.startswith("использование: otklik org [-h] --file ФАЙЛ")
    assert "otklik org: ошибка: не указаны обязательные аргументы: --file" in said


def test_the_argparse_msgids_are_argparses_own() -> None:
    """Fails loudly when argparse stops using a msgid the catalogue translates for it."""
    source = inspect.getsource(argparse)
    missing = [msgid for msgid in ARGPARSE_MSGIDS if repr(str(msgid))[1:-1] not in source]
    assert not missing


def test_files_and_numbers_are_checked_before_any_work(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = workdir / "no-such-folder" / "d.xlsx"
    said = refused(["report", "dynamics", "--out", str(missing)], capsys)
    assert f"аргумент --out: папки «{missing.parent}» нет: создайте её или укажите" in said
    said = refused(["report", "dynamics", "--out", "d.csv"], capsys)
    assert "имя файла должно оканчиваться на .xlsx, указано «d.csv»" in said
    assert not (workdir / "d.csv").exists()
    said = refused(["registry", "export", str(missing)], capsys)
    assert "аргумент ФАЙЛ: папки" in said
    assert "оканчиваться на .xlsx" in refused(["registry", "import", "registry.csv"], capsys)
    (workdir / "taken").write_text("a file")
    said = refused(["touchpoints", "qr", "taken", "--bot-username", "b"], capsys)
    assert "«taken» — это файл, а не папка" in said
    assert "«taken» — это файл" in refused(["demo", "--out", "taken"], capsys)
    said = refused(["invites", "create", "--department", "IT", "--uses", "many"], capsys)
    assert "аргумент --uses: ожидается целое число, указано «many»" in said
    assert "ожидается целое число" in refused(["report", "action-plan", "--case", "x"], capsys)
    said = refused(["cases", "owner", "first", "@owner"], capsys)  # another module's command
    assert said.startswith("использование: otklik cases owner [-h] ЧИСЛО СОТРУДНИК")
    assert "аргумент ЧИСЛО: ожидается целое число, указано «first»" in said


def test_lists_speak_words_and_say_when_empty(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["registry", "import", str(EXAMPLE_REGISTRY)]) == 0
    capsys.readouterr()
    assert main(["cases", "list"]) == 0
    assert capsys.readouterr().out == "Открытых дел нет.\n"
    assert main(["campaigns", "list"]) == 0
    assert capsys.readouterr().out == (
        "Кампаний пока нет: запустите кампанию командой otklik campaigns start.\n"
    )
    assert main(["questionnaires", "list"]) == 0
    listed = capsys.readouterr().out
    assert listed.startswith("Анкеты для кампаний (otklik campaigns start --questionnaire КОД):")
    assert (
        "internal_service · «Оценка внутреннего сервиса», версия 2; "
        "для сотрудников: --audience employees или departments"
    ) in listed
    assert (
        "touchpoint · «Оценка качества обслуживания», версия 2; "
        "для заявителей точки: --audience touchpoint"
    ) in listed

    assert main(["cases", "open", "--process", "SUP03"]) == 0
    assert main(["campaigns", "start", "--end", "2099-12-31"]) == 0
    assert main(["campaigns", "start", "--audience", "departments", "--departments", "OIT,OBU",
                 "--start", "2099-01-01", "--end", "2099-12-31"]) == 0  # fmt: skip
    capsys.readouterr()
    assert main(["cases", "list"]) == 0
    case_line = capsys.readouterr().out
    assert case_line.startswith("№ 1 · «Выдача удостоверения многодетной семьи» · шаги: R1, R2 до ")
    assert "№ №" not in case_line
    assert main(["campaigns", "list"]) == 0
    first, second = capsys.readouterr().out.splitlines()
    assert first.startswith("№ 1 · «Оценка внутреннего сервиса» · все сотрудники · ")
    assert first.endswith(" · идёт; приглашено 0, ответили 0")
    assert "сотрудники подразделений " in second and "01.01.2099–31.12.2099" in second
    assert "запланирована; приглашено 0" in second
    for internal in ("internal_service", "employees", "running", "scheduled"):
        assert internal not in first + second

    plan = workdir / "plan.xlsx"
    assert main(["report", "action-plan", "--case", "1", "--out", str(plan)]) == 0
    said = capsys.readouterr().out
    assert said == f"План мероприятий по делу № 1 сохранён в файл {plan}.\n"
    assert plan.exists() and "PosixPath" not in said


def test_unknown_codes_are_refused_with_the_known_ones_listed(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["registry", "import", str(EXAMPLE_REGISTRY)]) == 0
    capsys.readouterr()
    invite = ["invites", "create", "--department", "NODEPT", "--bot-username", "otklik_bot"]
    assert main(invite) == 1
    assert capsys.readouterr().err == (
        f"Подразделение с кодом «NODEPT» не найдено в реестре; известные коды: {DEPARTMENTS}.\n"
    )
    with sqlite3.connect(workdir / "cli.db") as db:
        assert db.execute("SELECT count(*) FROM departments").fetchone() == (6,)
        assert db.execute("SELECT count(*) FROM invites").fetchone() == (0,)
    refusals = {
        ("campaigns", "start", "--end", "2099-01-01", "--questionnaire", "nope"): (
            "Анкета «nope» не найдена; известные коды: internal_service, research_client, "
            "research_performer, touchpoint."
        ),
        ("campaigns", "start", "--end", "2099-01-01", "--audience", "departments",
         "--departments", "OIT,NODEPT"): (
            f"Подразделение с кодом «NODEPT» не найдено; известные коды: {DEPARTMENTS}."
        ),
        ("campaigns", "start", "--end", "2099-01-01", "--audience", "touchpoint",
         "--questionnaire", "touchpoint", "--touchpoint", "NOPE"): (
            "Точка взаимодействия «NOPE» не найдена; известные коды: "
        ),
        ("people", "head", "NODEPT", "--clear"): (
            f"Подразделение с кодом «NODEPT» не найдено; известные коды: {DEPARTMENTS}."
        ),
        ("cases", "open", "--process", "NOPE"): (
            "Процесс с кодом «NOPE» не найден в реестре; известные коды: ACC01, ACC02, ADM01,"
        ),
        ("report", "pain-map", "--process", "NOPE", "--out", str(workdir / "p.xlsx")): (
            "Процесс с кодом «NOPE» не найден в реестре; известные коды: ACC01, ACC02, ADM01,"
        ),
    }  # fmt: skip
    for argv, line in refusals.items():
        assert main(list(argv)) == 1, argv
        said = capsys.readouterr().err
        assert line in said, said
    with sqlite3.connect(workdir / "cli.db") as db:
        assert db.execute("SELECT count(*) FROM campaigns").fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM reengineering_cases").fetchone() == (0,)
