"""A name with its own «ёлочки» inside a message's «…» reads «Выдача „справки“» everywhere."""

from __future__ import annotations

import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from core.russian import nest_quotes
from storage.database import SessionPool
from storage.models import Person, Process
from tests.conftest import SmallRegistry
from tests.mocked_bot import Telegram

OFFICER = 900001
NAME = "Выдача «справки» о составе семьи"


def test_quotes_inside_quotes_become_lapki() -> None:
    assert nest_quotes("Оцените «Выдача «справки»»") == "Оцените «Выдача „справки“»"
    assert nest_quotes("«a «b «c»» d» и «e»") == "«a „b „c““ d» и «e»"
    assert nest_quotes("«one» and «two»") == "«one» and «two»"


def test_quotes_that_do_not_pair_up_are_left_as_typed() -> None:
    for text in ("«Выдача «справки»", "a » b « c", "»«", "«»»«"):
        assert nest_quotes(text) == text


@given(st.text(alphabet="«»„“ ab", max_size=30))
def test_fixing_keeps_the_length_and_a_second_pass_changes_nothing(text: str) -> None:
    fixed = nest_quotes(text)
    assert len(fixed) == len(text) and nest_quotes(fixed) == fixed
    if fixed != text:  # only quotes opened inside quotes change, and only to „ and “
        changed = {(a, b) for a, b in zip(text, fixed, strict=True) if a != b}
        assert changed <= {("«", "„"), ("»", "“")}


async def test_the_officer_confirms_a_case_for_a_name_with_its_own_quotes(
    telegram: Telegram, session_pool: SessionPool, registry: SmallRegistry
) -> None:
    async with session_pool() as session, session.begin():
        await session.execute(
            sa.update(Process).where(Process.id == registry.process_id).values(name=NAME)
        )
        session.add(Person(telegram_id=OFFICER, is_officer=True, is_employee=True))
    await telegram.send(OFFICER, "/cases")
    await telegram.tap(OFFICER, "Открыть дело по поручению")
    await telegram.tap(OFFICER, "Выдача")
    text = telegram.last(OFFICER).text or ""
    # «Открыть дело по реинжинирингу процесса «{process}» …»: the name's quotes nest inside
    assert "«Выдача „справки“ о составе семьи»" in text, text
    assert "«справки»" not in text
