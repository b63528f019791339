"""Import aiogram without building the validators of every Telegram type up front.

`aiogram.types` calls `model_rebuild()` on each of its ~300 types at import, which makes
pydantic build every validator and serializer at once: about 110 MB of memory and a second
of CPU, most of it for types and methods this bot never uses. aiogram already declares its
models `defer_build=True`; this lets that setting work: during aiogram's import, rebuilds of
aiogram's own models only record the names they are given, and the first use of a model
builds it with those names (pydantic's own lazy path). Other models are untouched.

It also keeps aiogram's `Response[T]` classes alive: pydantic caches generic classes weakly,
so after a garbage collection every API answer rebuilt its response model (3-8 % of the
bot's CPU under load).

Call `install()` before anything imports aiogram (the CLI and the test suite do); later it
does nothing.
"""

from __future__ import annotations

import sys
from typing import Any

_state: dict[str, Any] = {"installed": False, "importing": False}
_namespace: dict[str, Any] = {}


def install() -> bool:
    """Import aiogram lazily built; False when it was imported before (nothing changed)."""
    if _state["installed"]:
        return True
    if "aiogram" in sys.modules:
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
    _keep_response_types()
    return True


def _keep_response_types() -> None:
    from aiogram.client.session import base
    from aiogram.methods.base import Response

    made: dict[Any, Any] = {}

    class StrongResponse:
        """`Response[T]` as aiogram writes it, each parametrisation made once and kept."""

        def __class_getitem__(cls, item: Any) -> Any:
            response = made.get(item)
            if response is None:
                response = made[item] = Response[item]  # type: ignore[valid-type]
            return response

    base.Response = StrongResponse  # type: ignore[attr-defined, misc, assignment]
