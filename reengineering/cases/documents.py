"""Documents attached to a case's steps: a Telegram file, a local copy, or both."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core.i18n import Translator
from core.text import visible
from core.wording import __, speaking
from reengineering.cases.audit import audit_event, moment
from reengineering.cases.errors import CaseError
from reengineering.cases.records import case_owner_id, load_case, load_person, load_process
from reengineering.cases.steps import template_of, template_step
from storage.cases_models import CaseDocument

__all__ = ["attach_document"]


async def attach_document(
    session: AsyncSession,
    case_id: int,
    step_id: str,
    actor_id: int | None,
    *,
    original_name: str,
    on: date,
    telegram_file_id: str | None = None,
    file_path: str | None = None,
    at: datetime | None = None,
    _: Translator | None = None,
) -> int:
    """Attach a document to a step (a Telegram file, a local copy, or both). Returns its id."""
    _ = speaking(_)
    case = await load_case(session, case_id)
    template = template_of(case.template_id)
    step = template_step(template, step_id)
    if telegram_file_id is None and file_path is None:
        raise CaseError(__("No document was passed."))
    if actor_id is not None:
        process = await load_process(session, case.process_id)
        person = await load_person(session, actor_id)
        if person is None or not (person.is_officer or case_owner_id(case, process) == person.id):
            raise CaseError(
                __("Documents are attached by the process owner and the client-centricity officer.")
            )
    document = CaseDocument(
        case_id=case.id,
        step_code=step.id,
        telegram_file_id=telegram_file_id,
        file_path=file_path,
        original_name=visible(original_name) or _("unnamed document"),
        uploaded_by_id=actor_id,
        uploaded_at=moment(on, at),
    )
    session.add(document)
    await session.flush()
    await audit_event(
        session, case.id, "document_attached", on=on, at=at, actor_id=actor_id,
        step_id=step.id, document_id=document.id, name=document.original_name,
    )  # fmt: skip
    return document.id
