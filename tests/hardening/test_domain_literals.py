"""Issue #14's «a domain that knows no messenger», kept: the domain packages write no Russian
literal (what people read comes from the catalogue through a translator; Russian language
facts live in `core.russian`) and build no keyboard."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CYRILLIC = re.compile(r"[\u0400-\u04ff]")
KEYBOARD_KEYS = ("inline_keyboard", "callback_data", "reply_markup", "keyboard")
BELOW_THE_DOMAIN = {"core", "storage"}


def _domain_packages() -> list[str]:
    """The packages the «no messenger below the channel» contract names, core and storage
    aside: those are the domain."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    (below,) = [c for c in contracts if c["id"] == "no-messenger-below-the-channel"]
    return [name for name in below["source_modules"] if name not in BELOW_THE_DOMAIN]


def _docstrings(tree: ast.Module) -> set[int]:
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def _string_constants() -> list[tuple[str, int, str]]:
    found: list[tuple[str, int, str]] = []
    for package in _domain_packages():
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            docstrings = _docstrings(tree)
            found.extend(
                (str(path.relative_to(ROOT)), node.lineno, node.value)
                for node in ast.walk(tree)
                if isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docstrings
            )
    return found


def test_the_walk_reaches_the_domain() -> None:
    packages = _domain_packages()
    assert {"surveys", "reengineering", "analytics", "registry"} <= set(packages)
    assert len(_string_constants()) > 1000


def test_no_russian_literal_in_the_domain() -> None:
    russian = [
        f"{path}:{line}: {text[:60]!r}"
        for path, line, text in _string_constants()
        if CYRILLIC.search(text)
    ]
    assert russian == []


def test_no_keyboard_in_the_domain() -> None:
    keyboards = [
        f"{path}:{line}: {text!r}"
        for path, line, text in _string_constants()
        if text in KEYBOARD_KEYS
    ]
    assert keyboards == []
