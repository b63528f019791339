"""/stats in MAX: the chart comes as a picture and the report as a file, uploaded to MAX."""

from __future__ import annotations

from datetime import date

from sandbox.simulated import SimulatedUser
from storage.database import SessionPool
from storage.models import Person
from tests.conftest import SmallRegistry
from tests.jobs.test_scan import declining_year
from tests.max.conftest import Running

OFFICER_MAX_ID = 9900001


async def test_an_officer_in_max_gets_the_chart_and_the_report_file(
    running: Running, session_pool: SessionPool, registry: SmallRegistry
) -> None:
    await declining_year(session_pool, registry, date(2025, 2, 1))
    async with session_pool() as session, session.begin():
        session.add(Person(max_id=OFFICER_MAX_ID, is_officer=True))
    officer = SimulatedUser(running.max, OFFICER_MAX_ID, timeout=30)
    await officer.say("/stats")
    await officer.wait_for_button("Excel")
    chat = officer.chat_id

    def files(kind: str) -> list[dict[str, object]]:
        return [
            file
            for message in running.max.messages(chat)
            for file in message["files"]
            if file.get("type") == kind
        ]

    assert files("image"), "the chart is a picture in MAX"
    await officer.tap("Excel")
    await running.max.wait_for(chat, lambda _m: bool(files("file")), 30)
    [document] = files("file")
    assert str(document.get("filename", "")).endswith(".xlsx"), document
    assert running.max.stats()["uploads"] >= 2
