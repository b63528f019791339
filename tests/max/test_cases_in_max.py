"""/cases in MAX: the officer opens a case by instruction, the owner attaches R1's document.

The file a person sends in MAX is an attachment with a download URL; the bot fetches it
through the same getFile/download path as Telegram's and stores it under the case's folder.
"""

from __future__ import annotations

import sqlalchemy as sa

from core.settings import Settings
from sandbox.simulated import SimulatedUser
from storage.cases_models import CaseDocument, ReengineeringCase
from storage.database import SessionPool
from storage.models import Person
from tests.conftest import SmallRegistry
from tests.max.conftest import Running

OWNER_MAX_ID, OFFICER_MAX_ID = 6660002, 9900002
PROCESS = "Назначение ежемесячной денежной выплаты"
PROFILE = b"PK\x03\x04 segment profile bytes"


async def test_an_owner_in_max_attaches_a_document_to_a_case_the_officer_opened_in_max(
    running: Running,
    session_pool: SessionPool,
    registry: SmallRegistry,
    both_settings: Settings,
) -> None:
    async with session_pool() as session, session.begin():
        await session.execute(
            sa.update(Person)
            .where(Person.telegram_id == registry.owner_telegram_id)
            .values(telegram_id=None, max_id=OWNER_MAX_ID)
        )
        session.add(Person(max_id=OFFICER_MAX_ID, is_officer=True))
    officer = SimulatedUser(running.max, OFFICER_MAX_ID, timeout=30)
    owner = SimulatedUser(running.max, OWNER_MAX_ID, timeout=30)
    await owner.start(None, expect="")  # MAX delivers to people who have started the bot
    greeted = len(running.max.messages(owner.chat_id))

    await officer.say("/cases", expect="Открытых дел нет.")
    await officer.tap("Открыть дело по поручению")
    await officer.tap(PROCESS, expect="поручение")
    await officer.tap("Открыть дело")
    async with session_pool() as session:
        case_id = await session.scalar(sa.select(ReengineeringCase.id))
    assert case_id is not None

    # the opening notice reaches the owner in MAX, through the outbox
    await running.max.wait_for(owner.chat_id, lambda ms: len(ms) > greeted, 30)
    assert PROCESS in owner.last_text
    await owner.say("/cases", expect=PROCESS)
    await owner.tap(f"№ {case_id}")
    await owner.tap("R1: приложить документ", expect="файлом или фотографией")
    await owner.say("просто текст", expect="файлом или фотографией")
    running.max.inject_message(
        OWNER_MAX_ID, document={"data": PROFILE, "file_name": "Профиль сегмента.xlsx"}
    )
    await running.max.wait_for(
        owner.chat_id,
        lambda ms: any("приложен к шагу R1" in str(m.get("text")) for m in ms),
        30,
    )
    assert "Документ «Профиль сегмента.xlsx» приложен к шагу R1." in owner.texts(5)

    async with session_pool() as session:
        stored = (await session.scalars(sa.select(CaseDocument))).one()
    assert stored.step_code == "R1" and stored.original_name == "Профиль сегмента.xlsx"
    assert stored.file_path is not None
    path = both_settings.data_dir / "cases" / str(case_id)
    saved = [p for p in path.iterdir() if p.is_file()]
    assert [p.read_bytes() for p in saved] == [PROFILE]
    assert saved[0].resolve() == __import__("pathlib").Path(stored.file_path).resolve()
    assert running.max.stats()["file_downloads"] >= 1
