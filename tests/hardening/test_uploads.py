"""Uploads to a case: the disk is touched only under OTKLIK_DATA_DIR, under names the project makes.

Issue #13, point 12: a forged case button ``cs:1:doc:../../../../tmp/X/zz:`` followed by a
document created ``/tmp/X`` and wrote the upload there; uploads over the Bot API's download
limit were fetched anyway.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiogram.methods import GetFile
from aiogram.types import Chat, Document, Message, PhotoSize

from core.settings import Settings
from reengineering.cases import open_case
from storage.cases_models import CaseDocument, Ground
from storage.database import SessionPool
from storage.models import Person
from tests.conftest import SmallRegistry
from tests.handlers.conftest import MovableClock
from tests.mocked_bot import Telegram, make_bot

OWNER = 700001
TODAY = date(2025, 3, 12)


@pytest.fixture
async def telegram(
    settings: Settings, session_pool: SessionPool, registry: SmallRegistry
) -> Telegram:
    from bot.factory import create_dispatcher

    bot, recording = make_bot()
    clock = MovableClock(datetime(2025, 3, 12, 9, 30, tzinfo=UTC))
    return Telegram(bot, create_dispatcher(settings, session_pool, clock=clock), recording)


@pytest.fixture
async def case_id(session_pool: SessionPool, registry: SmallRegistry) -> int:
    async with session_pool() as session, session.begin():
        officer = Person(telegram_id=900001, is_officer=True)
        session.add(officer)
        await session.flush()
        opened = await open_case(
            session, registry.process_id, Ground.INSTRUCTION, arose_on=TODAY,
            actor_id=officer.id, at=datetime(2025, 3, 12, 9, 0, tzinfo=UTC),
        )  # fmt: skip
        return opened.case_id


@pytest.fixture
def downloads(telegram: Telegram, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    written: list[Path] = []

    async def fake_download(file: str, destination: Path, **_: Any) -> None:
        written.append(Path(destination))
        Path(destination).write_bytes(b"uploaded")

    monkeypatch.setattr(telegram.bot, "download", fake_download)
    return written


def _under_menu(user: int) -> Message:
    return Message(message_id=1, date=datetime.now(UTC), chat=Chat(id=user, type="private"))


def _files(root: Path) -> set[Path]:
    return {path for path in root.rglob("*") if path.is_file()}


@pytest.mark.parametrize(
    "step",
    [
        "../../../../X/zz",  # out of the data directory, relative to cases/<id>/
        "..%2F..%2F..%2F..%2FX",  # percent-encoded: never decoded, still no step
        "R1/../../../X",
        "ZZ9",  # a well-formed code that is no step of the case's template
    ],
)
async def test_a_forged_step_in_a_document_button_never_reaches_the_disk(
    telegram: Telegram,
    case_id: int,
    downloads: list[Path],
    settings: Settings,
    session_pool: SessionPool,
    tmp_path: Path,
    step: str,
) -> None:
    before = _files(tmp_path)
    update = await telegram.press(OWNER, f"cs:{case_id}:doc:{step}:", _under_menu(OWNER))
    assert update.callback_query is not None
    refusal = telegram.session.callback_answers[update.callback_query.id].text or ""
    assert "больше не действует" in refusal
    document = Document(file_id="FILE-X", file_unique_id="UX", file_name="zz.xlsx", file_size=10)
    await telegram.send(OWNER, None, document=document)
    assert downloads == []
    assert not (tmp_path / "X").exists()
    assert _files(tmp_path) == before
    async with session_pool() as session:
        assert await session.scalar(sa.select(sa.func.count(CaseDocument.id))) == 0


async def test_the_stored_name_is_made_by_the_project_inside_the_case_folder(
    telegram: Telegram, case_id: int, downloads: list[Path], settings: Settings
) -> None:
    """The uploaded file's own name is only shown, never part of the path."""
    await telegram.press(OWNER, f"cs:{case_id}:doc:R1:", _under_menu(OWNER))
    name = "..\\..\\<b>evil</b>/../../профиль.xlsx"
    document = Document(file_id="FILE-1", file_unique_id="U/../1", file_name=name, file_size=10)
    await telegram.send(OWNER, None, document=document)
    [path] = downloads
    folder = (settings.data_dir / "cases" / str(case_id)).resolve()
    assert path.resolve().parent == folder
    assert "evil" not in path.name and "U" not in path.name and path.name.startswith("R1_")
    said = [m.text or "" for m in telegram.session.sent_to(OWNER)]
    assert any("&lt;b&gt;evil&lt;/b&gt;" in text for text in said), said


@pytest.mark.parametrize("kind", ["document", "photo"])
async def test_an_upload_over_the_download_limit_is_refused_before_downloading(
    telegram: Telegram, case_id: int, downloads: list[Path], session_pool: SessionPool, kind: str
) -> None:
    await telegram.press(OWNER, f"cs:{case_id}:doc:R1:", _under_menu(OWNER))
    size = 20 * 1024 * 1024 + 1
    if kind == "document":
        big = Document(file_id="BIG", file_unique_id="B", file_name="big.pdf", file_size=size)
        await telegram.send(OWNER, None, document=big)
    else:
        photo = PhotoSize(file_id="BIG", file_unique_id="B", width=90, height=90, file_size=size)
        await telegram.send(OWNER, None, photo=[photo])
    assert downloads == []
    assert not any(isinstance(r, GetFile) for r in telegram.session.requests)
    assert "20 МБ" in (telegram.last(OWNER).text or "")
    async with session_pool() as session:
        assert await session.scalar(sa.select(sa.func.count(CaseDocument.id))) == 0
