"""Who a case's documents name: the body, the process owner, the head of their department.

Seed 003 §2.2.6, §3.3, §3.7: «Заключение подписывается руководителем структурного
подразделения, в состав которого входит ответственное за процесс лицо»; §3.4: the process
owner forms the plan. The research lists and the action plan carry both signature lines; the
head's name is left for them to write, since the registry does not name heads.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from core.i18n import Translator
from storage.models import Department, OrganizationSettings, Person, Process
from storage.xlsx_document import Signature

__all__ = ["Signers", "signers_of"]


@dataclass(frozen=True)
class Signers:
    """The body's name and the people who sign a case's documents, as the registry has them."""

    organization: str | None
    owner_name: str | None
    department: str | None

    def signatures(self, _: Translator) -> tuple[Signature, ...]:
        """The process owner, then the head of the department who signs the conclusion."""
        head = (
            _("Head of the department: {department}").format(department=self.department)
            if self.department
            else _("Head of the department")
        )
        return (Signature(_("Process owner"), self.owner_name or ""), Signature(head))


async def signers_of(session: AsyncSession, process_id: int) -> Signers:
    """The organization, the owner's name and the department's name of a process."""
    organization = await session.scalar(
        sa.select(OrganizationSettings.name).order_by(OrganizationSettings.id).limit(1)
    )
    row = (
        await session.execute(
            sa.select(Person.full_name, Department.name)
            .select_from(Process)
            .outerjoin(Person, Person.id == Process.owner_id)
            .outerjoin(Department, Department.id == Process.department_id)
            .where(Process.id == process_id)
        )
    ).first()
    owner_name, department = (row[0], row[1]) if row is not None else (None, None)
    return Signers(organization, owner_name, department)
