"""The example registry of a fictional regional social-protection ministry.

It gives a new installation something realistic to try (`otklik demo`, the tests, the docs)
and shows officers what a filled registry looks like. The data is `example.yaml`; run this
module to regenerate `examples/registry.xlsx`: `python -m registry.example [path]`.
"""

from __future__ import annotations

import sys
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from core.i18n import Translator, translator
from registry.catalog import DIRECTION_BY_CODE
from registry.entries import Owner, ProcessEntry, RegistryData, TouchpointEntry
from registry.export import write_registry_workbook
from registry.layout import layout
from storage.models import ClientType, TouchpointKind

EXAMPLE_FILE = Path(__file__).with_name("example.yaml")
DEFAULT_PATH = Path(__file__).resolve().parent.parent / "examples" / "registry.xlsx"
_BUILT_AT = datetime(2025, 1, 15, 9, 0, 0)  # fixed, so the committed file is reproducible


@cache
def _example() -> dict[str, Any]:
    with EXAMPLE_FILE.open(encoding="utf-8") as source:
        loaded: dict[str, Any] = yaml.safe_load(source)
    return loaded


ORGANIZATION: str = _example()["organization"]


def _owner(value: int | str) -> Owner:
    if isinstance(value, str):
        return Owner(username=value.removeprefix("@"))
    return Owner(telegram_id=value)


def _process(
    raw: dict[str, Any], groups: dict[str, int], departments: dict[str, str]
) -> ProcessEntry:
    direction = DIRECTION_BY_CODE[raw["direction"]]
    return ProcessEntry(
        code=raw["code"],
        group_number=groups[direction.code],
        name=raw["name"],
        direction=direction,
        department_code=raw["department"],
        department_name=departments[raw["department"]],
        owner=_owner(raw["owner"]),
        client_type=ClientType.INTERNAL if direction.internal else ClientType.EXTERNAL,
        last_reengineering=raw["last_reengineering"],
        stages=tuple(raw["stages"]),
    )


def _touchpoint(
    raw: dict[str, Any], process_name: str, default_specifics: dict[TouchpointKind, str]
) -> TouchpointEntry:
    kind = TouchpointKind(raw["kind"])
    return TouchpointEntry(
        code=raw["code"],
        process_name=process_name,
        name=raw["name"],
        needs=tuple(raw["needs"]),
        specifics=raw.get("specifics") or default_specifics[kind],
        kind=kind,
        channel=raw["channel"],
        active=raw.get("active", True),
    )


def example_registry(_: Translator) -> RegistryData:
    """The example registry as data, so tests can compare it with what an import stored;
    a touchpoint without specifics gets the default words of its kind in `_`'s language."""
    example, default_specifics = _example(), layout(_).default_specifics
    data = RegistryData(example["organization"], [], [])
    for raw in example["processes"]:
        process = _process(raw, example["groups"], example["departments"])
        data.processes.append(process)
        data.touchpoints.extend(
            _touchpoint(t, process.name, default_specifics) for t in raw["touchpoints"]
        )
    return data


def build_example_workbook(path: Path, _: Translator) -> None:
    """Write the example registry to `path`, byte for byte the same on every run."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_registry_workbook(path, example_registry(_), _, fixed_time=_BUILT_AT)


if __name__ == "__main__":
    _ = translator("ru")  # the example is a Russian ministry's registry
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_PATH
    build_example_workbook(target, _)
    print(_("Example registry written: {path}").format(path=target))
