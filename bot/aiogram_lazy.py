"""Adapter: import aiogram without building the validators of every Telegram type up front.

`aiogram.types` calls `model_rebuild()` on each of its ~300 types at import, which makes
pydantic build every validator and serializer at once: about 105 MB of memory and several
seconds of CPU, most of it for types and methods this bot never uses. aiogram declares its
models `defer_build=True`; this lets that setting work: during aiogram's import, rebuilds of
aiogram's own models only record the names they are given, and the first use of a model
builds it with those names (pydantic's own lazy path). Other models are untouched.

Neither aiogram nor pydantic offers a public switch for this, so it wraps
`BaseModel.model_rebuild`; `tests/bot/test_aiogram_lazy.py` fails when either library
changes what this relies on, and `install()` does nothing when the signature moved.
Call `install()` before anything imports aiogram (the CLI and the test suite do).
"""

from __future__ import annotations

import inspect
import sys
from typing import Any

# The keyword parameters of pydantic's `BaseModel.model_rebuild` this wrapper forwards.
REBUILD_PARAMETERS = ("force", "raise_errors", "_parent_namespace_depth", "_types_namespace")

_state: dict[str, Any] = {"installed": False, "importing": False}
_namespace: dict[str, Any] = {}


def supported() -> bool:
    """True while pydantic's `model_rebuild` takes exactly the parameters forwarded here."""
    from pydantic import BaseModel

    parameters = inspect.signature(BaseModel.model_rebuild).parameters
    return tuple(parameters) == REBUILD_PARAMETERS


def install() -> bool:
    """Import aiogram lazily built; False when nothing changed (imported before, or unsupported)."""
    if _state["installed"]:
        return True
    if "aiogram" in sys.modules or not supported():
        return False
    from pydantic import BaseModel

    original = BaseModel.__dict__["model_rebuild"].__func__

    def model_rebuild(
        cls: type[BaseModel],
        *,
        force: bool = False,
        raise_errors: bool = True,
        _parent_namespace_depth: int = 2,
        _types_namespace: Any = None,
    ) -> bool | None:
        if cls.__module__.startswith("aiogram."):
            if _state["importing"] and not force:
                if _types_namespace:
                    _namespace.update(_types_namespace)
                return None
            if _types_namespace is None and _namespace:
                _types_namespace = _namespace
        return original(  # type: ignore[no-any-return]
            cls,
            force=force,
            raise_errors=raise_errors,
            _parent_namespace_depth=_parent_namespace_depth + 1,  # this frame
            _types_namespace=_types_namespace,
        )

    BaseModel.model_rebuild = classmethod(model_rebuild)  # type: ignore[assignment, method-assign]
    _state["installed"] = _state["importing"] = True
    try:
        import aiogram
        import aiogram.methods
        import aiogram.types  # noqa: F401
    finally:
        _state["importing"] = False
    return True


def recorded_names() -> int:
    """How many names aiogram's import handed over (0: it no longer passes a namespace)."""
    return len(_namespace)
