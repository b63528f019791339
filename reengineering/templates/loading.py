"""Loading a workflow template from YAML, shipped by name or from a file.

Pydantic's errors are turned into Russian sentences naming the step and the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from reengineering.templates.model import TemplateError
from reengineering.templates.stage import StageTemplate
from reengineering.templates.validation import step_label

__all__ = ["TEMPLATES_DIR", "load_template", "parse_template"]

TEMPLATES_DIR = Path(__file__).parent


_PYDANTIC_MESSAGES: dict[str, str] = {
    "missing": "обязательное поле не заполнено",
    "extra_forbidden": "неизвестное поле (проверьте написание)",
    "int_type": "нужно целое число",
    "int_parsing": "нужно целое число",
    "int_from_float": "нужно целое число",
    "string_type": "нужна строка",
    "bool_type": "нужно значение true или false",
    "tuple_type": "нужен список",
    "list_type": "нужен список",
    "model_type": "нужен набор полей (словарь)",
    "dict_type": "нужен набор полей (словарь)",
}


def _pydantic_problem(raw: Any, error: Mapping[str, Any]) -> str:
    """Turn one pydantic error into a Russian sentence naming the step and the field."""
    loc = tuple(error.get("loc", ()))
    where = "шаблон"
    rest = loc
    if len(loc) >= 2 and loc[0] == "steps" and isinstance(loc[1], int):
        step_raw = _index(raw, "steps", loc[1])
        step_id = step_raw.get("id") if isinstance(step_raw, dict) else None
        where = step_label(str(step_id)) if step_id else f"шаг № {loc[1] + 1}"
        rest = loc[2:]
        if len(rest) >= 3 and rest[:2] == ("decision", "options") and isinstance(rest[2], int):
            option_raw = _index(step_raw, "decision", "options", rest[2])
            option_id = option_raw.get("id") if isinstance(option_raw, dict) else None
            label = option_id if option_id else str(rest[2] + 1)
            rest = (f"decision.options[{label}]", *rest[3:])
    field = ".".join(str(part) for part in rest) or "—"
    kind = str(error.get("type", ""))
    if kind == "literal_error":
        expected = str(error.get("ctx", {}).get("expected", "")).replace(" or ", ", ")
        message = f"недопустимое значение {error.get('input')!r}, допустимые: {expected}"
    else:
        message = _PYDANTIC_MESSAGES.get(kind, str(error.get("msg", kind)))
    return f"{where}, поле {field}: {message}"


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


def parse_template(raw: Any, source: str | None = None) -> StageTemplate:
    """Validate already-loaded YAML data; :class:`TemplateError` on any problem."""
    if not isinstance(raw, dict):
        raise TemplateError(["шаблон должен быть набором полей (id, title, steps)"], source)
    try:
        return StageTemplate.model_validate(raw)
    except ValidationError as error:
        problems = [_pydantic_problem(raw, item) for item in error.errors()]
        raise TemplateError(problems, source) from None
    except TemplateError as error:
        raise TemplateError(error.problems, source) from None


def load_template(path_or_name: str | Path = "seed003") -> StageTemplate:
    """Load and validate a workflow template by file path or by shipped name."""
    path = _resolve(path_or_name)
    source = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TemplateError([f"файл {path} не найден"], source) from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise TemplateError([f"файл не является корректным YAML: {error}"], source) from None
    return parse_template(raw, source)
