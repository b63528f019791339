"""Who a case's documents name: the body, the process owner, the head of their department.

Seed 003 §2.2.6, §3.3, §3.7: «Заключение подписывается руководителем структурного
подразделения, в состав которого входит ответственное за процесс лицо»; §3.4: the process
owner forms the plan. The research lists and the action plan carry both signature lines; the
head's name is the one recorded for the department (`otklik people head`), else left blank
for them to write.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core.i18n import Translator
from storage.models import Department, OrganizationSettings, Person, Process

if TYPE_CHECKING:  # openpyxl is loaded with the first workbook, not when the bot starts
    from storage.xlsx_document import Signature

__all__ = ["Signers", "signers_of"]


@dataclass(frozen=True)
class Signers:
    """The body's name and the people who sign a case's documents, as the registry has them."""

    organization: str | None
    owner_name: str | None
    department: str | None
    head_name: str | None = None

    def signatures(self, _: Translator) -> tuple[Signature, ...]:
        """The process owner, then the head of the department who signs the conclusion."""
        from storage.xlsx_document import Signature

        head = (
            _("Head of the department: {department}").format(department=self.department)
            if self.department
            else _("Head of the department")
        )
        return (
            Signature(_("Process owner"), self.owner_name or ""),
            Signature(head, self.head_name or ""),
        )


async def signers_of(session: AsyncSession, process_id: int) -> Signers:
    """The organization, the owner's name and the department's name of a process."""
    organization = await session.scalar(
        sa.select(OrganizationSettings.name).order_by(OrganizationSettings.id).limit(1)
    )
    head = aliased(Person)
    row = (
        await session.execute(
            sa.select(Person.full_name, Department.name, head.full_name)
            .select_from(Process)
            .outerjoin(Person, Person.id == Process.owner_id)
            .outerjoin(Department, Department.id == Process.department_id)
            .outerjoin(head, head.id == Department.head_id)
            .where(Process.id == process_id)
        )
    ).first()
    if row is None:
        return Signers(organization, None, None)
    return Signers(organization, row[0], row[1], row[2])
