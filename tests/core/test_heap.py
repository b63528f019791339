"""Long-lived objects leave the garbage collector's walk (core.heap).

bench/report_stall.py measures why: with the heap unfrozen, full collections during the
officer's overview took 250–330 ms with the GIL held, and writers waited up to 530 ms.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.factory import create_dispatcher
from core.heap import YOUNG_OBJECTS, settle_heap, tune_collector
from core.settings import Settings
from storage.database import create_engine, create_session_pool


@pytest.fixture
def fresh_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    (tmp_path / "otklik_heap_probe.py").write_text("TABLE = [[n] for n in range(1000)]\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "otklik_heap_probe"
    sys.modules.pop("otklik_heap_probe", None)


def test_a_new_module_is_frozen_once(fresh_module: str) -> None:
    settle_heap()
    __import__(fresh_module)
    before = gc.get_freeze_count()
    assert settle_heap() is True
    assert gc.get_freeze_count() > before
    assert settle_heap() is False  # nothing imported since: no second freeze


async def test_the_dispatcher_leaves_the_startup_heap_frozen(tmp_path: Path) -> None:
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token=SecretStr("1:t"),
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'heap.db'}",
        secret_key=SecretStr("k"),
        data_dir=tmp_path,
    )
    engine = create_engine(settings.database_url)
    try:
        sys.modules["otklik_heap_marker"] = sys  # a new module since the last freeze
        create_dispatcher(settings, create_session_pool(engine))
        assert gc.get_freeze_count() > 0
    finally:
        sys.modules.pop("otklik_heap_marker", None)
        await engine.dispose()


@pytest.fixture
def thresholds() -> Iterator[None]:
    before = gc.get_threshold()
    try:
        yield
    finally:
        gc.set_threshold(*before)


def test_tune_collector_raises_the_young_generation(thresholds: None) -> None:
    gc.set_threshold(700, 10, 10)  # Python's defaults
    tune_collector()
    assert gc.get_threshold() == (YOUNG_OBJECTS, 20, 20)
    tune_collector()  # again: nothing more changes
    assert gc.get_threshold() == (YOUNG_OBJECTS, 20, 20)
