"""Loading a workflow template from YAML, shipped by name or from a file.

Pydantic's errors are turned into sentences, in the translator's language, naming the step
and the field.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from core.i18n import Translator
from core.wording import speaking
from reengineering.templates.model import TemplateError
from reengineering.templates.stage import StageTemplate
from reengineering.templates.validation import step_label

__all__ = ["SHIPPED", "TEMPLATES_DIR", "checksum", "load_template", "parse_template"]

# The regulations that ship, by id: Novosibirsk order 984, Kaliningrad 77-НПА, Desnogorsk 1151.
SHIPPED = ("seed000", "seed001", "seed003")

TEMPLATES_DIR = Path(__file__).parent


def _pydantic_message(kind: str, error: Mapping[str, Any], _: Translator) -> str:
    """What is wrong with the value, for the pydantic error types a YAML author meets."""
    if kind == "literal_error":
        expected = str(error.get("ctx", {}).get("expected", "")).replace(" or ", ", ")
        return _("invalid value {value}, allowed: {expected}").format(
            value=repr(error.get("input")), expected=expected
        )
    messages = {
        "missing": _("a required field is not filled in"),
        "extra_forbidden": _("an unknown field (check the spelling)"),
        "int_type": _("a whole number is needed"),
        "int_parsing": _("a whole number is needed"),
        "int_from_float": _("a whole number is needed"),
        "string_type": _("a string is needed"),
        "bool_type": _("the value true or false is needed"),
        "tuple_type": _("a list is needed"),
        "list_type": _("a list is needed"),
        "model_type": _("a set of fields (a mapping) is needed"),
        "dict_type": _("a set of fields (a mapping) is needed"),
    }
    return messages.get(kind, str(error.get("msg", kind)))


def _pydantic_problem(raw: Any, error: Mapping[str, Any], _: Translator) -> str:
    """Turn one pydantic error into a sentence naming the step and the field."""
    loc = tuple(error.get("loc", ()))
    where = _("the template")
    rest = loc
    if len(loc) >= 2 and loc[0] == "steps" and isinstance(loc[1], int):
        step_raw = _index(raw, "steps", loc[1])
        step_id = step_raw.get("id") if isinstance(step_raw, dict) else None
        where = (
            step_label(str(step_id), _)
            if step_id
            else _("step No. {number}").format(number=loc[1] + 1)
        )
        rest = loc[2:]
        if len(rest) >= 3 and rest[:2] == ("decision", "options") and isinstance(rest[2], int):
            option_raw = _index(step_raw, "decision", "options", rest[2])
            option_id = option_raw.get("id") if isinstance(option_raw, dict) else None
            label = option_id if option_id else str(rest[2] + 1)
            rest = (f"decision.options[{label}]", *rest[3:])
    field = ".".join(str(part) for part in rest) or "—"
    message = _pydantic_message(str(error.get("type", "")), error, _)
    return _("{where}, field {field}: {problem}").format(where=where, field=field, problem=message)


def _index(value: Any, *path: str | int) -> Any:
    """Walk raw YAML data without failing on a wrong shape."""
    for key in path:
        if isinstance(key, int) and isinstance(value, list) and 0 <= key < len(value):
            value = value[key]
        elif isinstance(key, str) and isinstance(value, dict):
            value = value.get(key)
        else:
            return None
    return value


def _resolve(path_or_name: str | Path) -> Path:
    """A bare name ("seed003") means a template shipped in ``reengineering/templates``."""
    if isinstance(path_or_name, Path):
        return path_or_name
    if "/" in path_or_name or "\\" in path_or_name or path_or_name.endswith((".yaml", ".yml")):
        return Path(path_or_name)
    return TEMPLATES_DIR / f"{path_or_name}.yaml"


def parse_template(
    raw: Any, source: str | None = None, _: Translator | None = None
) -> StageTemplate:
    """Validate already-loaded YAML data; :class:`TemplateError` on any problem."""
    _ = speaking(_)
    if not isinstance(raw, dict):
        raise TemplateError([_("a template must be a set of fields (id, title, steps)")], source, _)
    try:
        template = StageTemplate.model_validate(raw, context={"translator": _})
    except ValidationError as error:
        problems = [_pydantic_problem(raw, item, _) for item in error.errors()]
        raise TemplateError(problems, source, _) from None
    except TemplateError as error:
        raise TemplateError(error.problems, source, _) from None
    template.stamp(checksum(raw))
    return template


def checksum(raw: Any) -> str:
    """A short digest of the template's content (not of its comments or layout)."""
    text = json.dumps(raw, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def load_template(
    path_or_name: str | Path = "seed003", _: Translator | None = None
) -> StageTemplate:
    """Load and validate a workflow template by file path or by shipped name."""
    _ = speaking(_)
    path = _resolve(path_or_name)
    source = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TemplateError([_("file {path} is not found").format(path=path)], source, _) from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise TemplateError(
            [_("the file is not valid YAML: {error}").format(error=error)], source, _
        ) from None
    return parse_template(raw, source, _)
