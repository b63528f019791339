"""The command line's parser: argparse's own words and every argument check in one language.

argparse translates its usage line, its errors and `-h` with gettext's global domain in the
language the environment names. `OtklikParser` points that domain at the project's catalogue
(`core/locales`, domain "messages") and the language at its locale for as long as it builds,
formats or parses, then puts both back; its sub-parsers are OtklikParsers of the same locale,
so every command speaks one language, whoever adds it. Seed clause (issue #17, point 9):
«argparse's own messages («the following arguments are required», «invalid choice») are
Russian».
"""

from __future__ import annotations

import argparse
import gettext
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any, NoReturn

from core.i18n import DEFAULT_LOCALE, DOMAIN, Translator, compiled_locales, translator
from core.wording import __

# argparse's msgids (Python 3.11's argparse.py), kept here so the catalogue keeps them;
# tests/bot/test_cli_args.py fails when argparse stops using one of them.
ARGPARSE_MSGIDS = (
    __("usage: "),
    __("positional arguments"),
    __("options"),
    __("show this help message and exit"),
    __("%(prog)s: error: %(message)s\n"),
    __("the following arguments are required: %s"),
    __("argument %(argument_name)s: %(message)s"),
    __("invalid choice: %(value)r (choose from %(choices)s)"),
    __("invalid %(type)s value: %(value)r"),
    __("unrecognized arguments: %s"),
    __("expected one argument"),
    __("expected at most one argument"),
    __("expected at least one argument"),
    __("not allowed with argument %s"),
    __("ignored explicit argument %r"),
    __("one of the arguments %s is required"),
    __("ambiguous option: %(option)s could match %(matches)s"),
    __("unexpected option string: %s"),
)


# Placeholders in usage lines and errors, by the argument's dest, for whoever adds a command:
# «--process КОД», not «--process PROCESS».
PLACEHOLDERS = {
    "process": __("CODE"),
    "department": __("CODE"),
    "touchpoint": __("CODE"),
    "questionnaire": __("CODE"),
    "departments": __("CODES"),
    "file": __("FILE"),
    "out": __("FILE"),
    "dir": __("FOLDER"),
    "month": __("YYYY-MM"),
    "start": __("YYYY-MM-DD"),
    "end": __("YYYY-MM-DD"),
    "date": __("DD.MM.YYYY"),
    "case": __("NUMBER"),
    "uses": __("NUMBER"),
    "max_reminders": __("NUMBER"),
    "expires": __("DAYS"),
    "remind_after": __("DAYS"),
    "bot_username": __("NAME"),
    "person": __("PERSON"),
    "webhook": __("ADDRESS"),
    "listen": __("HOST:PORT"),
}


@contextmanager
def argparse_speaking(locale: str) -> Iterator[None]:
    """argparse's gettext lookups answered from our catalogue in `locale`, then as before."""
    previous_folder = gettext.bindtextdomain(DOMAIN)
    previous_domain = gettext.textdomain()
    previous_language = os.environ.get("LANGUAGE")
    gettext.bindtextdomain(DOMAIN, str(compiled_locales()))
    gettext.textdomain(DOMAIN)
    os.environ["LANGUAGE"] = locale
    try:
        yield
    finally:
        if previous_language is None:
            os.environ.pop("LANGUAGE", None)
        else:
            os.environ["LANGUAGE"] = previous_language
        gettext.textdomain(previous_domain)
        gettext.bindtextdomain(DOMAIN, previous_folder)


class OtklikParser(argparse.ArgumentParser):
    """An ArgumentParser that speaks `locale` (argparse's words and the sub-command slot)."""

    def __init__(self, *args: Any, locale: str = DEFAULT_LOCALE, **kwargs: Any) -> None:
        self.locale = locale
        with argparse_speaking(locale):  # the group titles and -h's help are written here
            super().__init__(*args, **kwargs)

    def add_subparsers(self, **kwargs: Any) -> Any:
        """Sub-parsers of the same locale; an unnamed slot is called COMMAND, not its dest."""
        _ = translator(self.locale)
        kwargs.setdefault("parser_class", partial(OtklikParser, locale=self.locale))
        kwargs.setdefault("metavar", _("COMMAND"))
        return super().add_subparsers(**kwargs)

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        """The argument, named in this parser's language where argparse would print its dest.

        A positional with choices is named by them («{dynamics,internal}»), never by its dest.
        """
        action = super().add_argument(*args, **kwargs)
        if action.metavar is None and action.nargs != 0:
            if action.choices is not None and not action.option_strings:
                action.metavar = "{" + ",".join(map(str, action.choices)) + "}"
            elif action.choices is None and action.dest in PLACEHOLDERS:
                action.metavar = translator(self.locale)(PLACEHOLDERS[action.dest])
        return action

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        with argparse_speaking(self.locale):
            return super().parse_known_args(args, namespace)

    def format_usage(self) -> str:
        with argparse_speaking(self.locale):
            return super().format_usage()

    def format_help(self) -> str:
        with argparse_speaking(self.locale):
            return super().format_help()

    def error(self, message: str) -> NoReturn:
        with argparse_speaking(self.locale):
            super().error(message)


def whole_number(_: Translator) -> Callable[[str], int]:
    """`type=` for counts and numbers: «expected a whole number» instead of «invalid int»."""

    def parse(text: str) -> int:
        try:
            return int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                _("a whole number is expected, got «{text}»").format(text=text)
            ) from None

    return parse


def output_file(_: Translator, suffix: str = ".xlsx") -> Callable[[str], str]:
    """`type=` for a file to write: the right extension, in a folder that exists and is
    writable, checked before any work is done (no traceback, no silently misnamed workbook)."""

    def check(text: str) -> str:
        path = Path(text)
        if path.suffix.casefold() != suffix:
            raise argparse.ArgumentTypeError(
                _("the file must end in {suffix}, got «{path}»").format(suffix=suffix, path=text)
            )
        if path.is_dir():
            raise argparse.ArgumentTypeError(
                _("«{path}» is a folder: give a file name").format(path=text)
            )
        folder = path.parent
        if not folder.is_dir():
            raise argparse.ArgumentTypeError(
                _("the folder «{folder}» does not exist: create it or give another path").format(
                    folder=folder
                )
            )
        if not os.access(folder, os.W_OK):
            raise argparse.ArgumentTypeError(
                _("no permission to write to the folder «{folder}»").format(folder=folder)
            )
        return text

    return check


def input_file(_: Translator, suffix: str = ".xlsx") -> Callable[[str], str]:
    """`type=` for a workbook to read: the extension it must have (its existence and content
    are the reader's to check, which names the rows at fault)."""

    def check(text: str) -> str:
        if Path(text).suffix.casefold() != suffix:
            raise argparse.ArgumentTypeError(
                _("the file must end in {suffix}, got «{path}»").format(suffix=suffix, path=text)
            )
        return text

    return check


def output_folder(_: Translator) -> Callable[[str], str]:
    """`type=` for a folder the command creates: not a file, and creatable where it is."""

    def check(text: str) -> str:
        path = Path(text)
        if path.exists() and not path.is_dir():
            raise argparse.ArgumentTypeError(
                _("«{path}» is a file, not a folder").format(path=text)
            )
        existing = next(p for p in (path, *path.parents) if p.exists())
        if not os.access(existing, os.W_OK):
            raise argparse.ArgumentTypeError(
                _("no permission to write to the folder «{folder}»").format(folder=existing)
            )
        return text

    return check
