"""Each dispatcher gets its own router tree, built from the handler modules' declarations."""

from __future__ import annotations

from aiogram import Dispatcher, Router

import handlers
from handlers import build_root_router


def _top_level() -> list[Router]:
    modules = [getattr(handlers, name) for name in dir(handlers)]
    return [
        value
        for module in modules
        if getattr(module, "__name__", "").startswith("handlers.")
        for value in vars(module).values()
        if isinstance(value, Router)
    ]


def _declared() -> list[Router]:
    """Every declaration, those a package (handlers.cases) groups under its own included."""
    found, todo = [], list(_top_level())
    while todo:
        router = todo.pop()
        found.append(router)
        todo.extend(router.sub_routers)
    return found


def test_two_dispatchers_in_one_process_get_their_own_trees() -> None:
    first, second = Dispatcher(), Dispatcher()
    first.include_router(build_root_router())
    second.include_router(build_root_router())
    assert first.sub_routers[0] is not second.sub_routers[0]
    assert all(router.parent_router is None for router in _top_level())


def test_every_declared_handler_reaches_the_tree() -> None:
    declared = sum(len(o.handlers) for r in _declared() for o in r.observers.values())
    built = sum(
        len(o.handlers) for r in build_root_router().chain_tail for o in r.observers.values()
    )
    assert declared > 30 and built == declared
    # Router-level filters belong in build_root_router: declarations carry none to lose.
    assert all(not o._handler.filters for r in _declared() for o in r.observers.values())
