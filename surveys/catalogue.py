"""Questionnaire versions in the database, loaded from the YAML files on start."""

from __future__ import annotations

import sqlalchemy as sa

from core.wording import __
from storage.database import SessionPool
from storage.models import ClientType, Questionnaire
from surveys.questionnaire import (
    QuestionnaireDefinition,
    QuestionnaireError,
    load_builtin_questionnaires,
)


async def sync_questionnaires(
    pool: SessionPool, definitions: list[QuestionnaireDefinition] | None = None
) -> dict[str, int]:
    """Store new versions; a version edited in place is refused, so series stay comparable."""
    definitions = load_builtin_questionnaires() if definitions is None else definitions
    newest: dict[str, tuple[int, int]] = {}
    async with pool() as session, session.begin():
        for definition in definitions:
            stored = await session.scalar(
                sa.select(Questionnaire).where(
                    Questionnaire.code == definition.code,
                    Questionnaire.version == definition.version,
                )
            )
            if stored is None:
                stored = Questionnaire(
                    code=definition.code,
                    version=definition.version,
                    title=definition.title.ru,
                    audience=ClientType(definition.audience),
                    scale_min=definition.scale.min,
                    scale_max=definition.scale.max,
                    definition=definition.model_dump(mode="json"),
                    checksum=definition.checksum(),
                )
                session.add(stored)
                await session.flush()
            elif stored.checksum != definition.checksum():
                if _same_series(stored, definition):
                    stored.definition = definition.model_dump(mode="json")
                    stored.checksum = definition.checksum()
                    _newest(newest, definition, stored.id)
                    continue
                raise QuestionnaireError(
                    __(
                        "Questionnaire {code} version {version} was changed without a new "
                        "version: increase version so that new answers form a separate series."
                    ),
                    code=definition.code,
                    version=definition.version,
                )
            _newest(newest, definition, stored.id)
        for code, (_version, questionnaire_id) in newest.items():
            await session.execute(
                sa.update(Questionnaire)
                .where(Questionnaire.code == code)
                .values(is_current=Questionnaire.id == questionnaire_id)
            )
    return {code: questionnaire_id for code, (_v, questionnaire_id) in newest.items()}


def _newest(
    newest: dict[str, tuple[int, int]], definition: QuestionnaireDefinition, stored_id: int
) -> None:
    """Remember the newest version of each questionnaire seen so far."""
    best = newest.get(definition.code)
    if best is None or definition.version > best[0]:
        newest[definition.code] = (definition.version, stored_id)


def _same_series(stored: Questionnaire, definition: QuestionnaireDefinition) -> bool:
    """The stored version differs only in what does not change answers (series_checksum)."""
    try:
        before = QuestionnaireDefinition.model_validate(stored.definition)
    except ValueError:
        return False
    return before.series_checksum() == definition.series_checksum()
