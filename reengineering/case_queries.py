"""Read-only questions the cases UI asks: what a case is, whose, and what can be chosen for it.

Plain data out (ids, names, flags), so a channel renders them without touching the models.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from storage.cases_models import CaseExtension, CaseStatus, ReengineeringCase, ResearchCampaign
from storage.models import Department, Process


@dataclass(frozen=True)
class CaseRef:
    """A case as access checks and buttons need it: its id, process, whether it is open, and
    the workflow template it follows (which names the plan's sections)."""

    id: int
    process_id: int
    is_open: bool
    template_id: str
    owner_id: int | None = None  # the case's own owner by instruction (seed 003 §1.4)


@dataclass(frozen=True)
class ExtensionRef:
    """An extension request: the case and step it is for and the date the owner proposed."""

    id: int
    case_id: int
    step_code: str
    proposed_due: date | None


async def case_ref(session: AsyncSession, case_id: int) -> CaseRef | None:
    case = await session.get(ReengineeringCase, case_id)
    if case is None:
        return None
    return CaseRef(
        case.id, case.process_id, case.status == CaseStatus.OPEN, case.template_id, case.owner_id
    )


async def research_open(session: AsyncSession, case_id: int) -> bool:
    """Whether the case's latest research survey (R3) is still running."""
    running = await session.scalar(
        sa.select(ResearchCampaign.closed_at.is_(None))
        .where(ResearchCampaign.case_id == case_id)
        .order_by(ResearchCampaign.id.desc())
        .limit(1)
    )
    return bool(running)


async def extension_ref(session: AsyncSession, extension_id: int) -> ExtensionRef | None:
    extension = await session.get(CaseExtension, extension_id)
    if extension is None:
        return None
    return ExtensionRef(
        extension.id, extension.case_id, extension.step_code, extension.proposed_due
    )


async def active_processes(session: AsyncSession, offset: int, limit: int) -> list[tuple[int, str]]:
    """Active processes by name, (id, name), one page of them."""
    rows = await session.execute(
        sa.select(Process.id, Process.name)
        .where(Process.active)
        .order_by(Process.name, Process.id)
        .offset(offset)
        .limit(limit)
    )
    return [(process_id, name) for process_id, name in rows]


async def process_name(session: AsyncSession, process_id: int) -> str:
    """The process's name, or "" when there is no such process."""
    process = await session.get(Process, process_id)
    return process.name if process is not None else ""


async def process_department(session: AsyncSession, process_id: int) -> int | None:
    process = await session.get(Process, process_id)
    return process.department_id if process is not None else None


async def departments(session: AsyncSession) -> list[tuple[int, str]]:
    """Every department by name, (id, name)."""
    rows = await session.scalars(sa.select(Department).order_by(Department.name))
    return [(department.id, department.name) for department in rows]
