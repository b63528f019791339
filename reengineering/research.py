"""The R3 research survey of a case and the R4 lists built from it (seed 003 п. 2.2.2–2.2.3).

Seed 003 asks to survey clients *and* performers about satisfaction, difficulties with
the stage and their criticality, expectations at each stage and best practices. Clients
answer ``research_client`` (external), performers ``research_performer`` (internal); both
ask the same questions so their answers merge into one set of lists.

Invitations go through the outbox (bulk lane, one per case and chat). Clients are only
those who agreed to be asked again and whose contact came from a touchpoint of the
process; the invitation is keyed by chat, never by respondent key, so the outbox does not
link a pseudonymous key to a chat.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from html import escape

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from core.i18n import Translator
from core.speech import Action, Actions, Intent
from reengineering.case_files import case_dir
from reengineering.cases import (
    SURVEY_STEP,
    CaseError,
    case_number,
)
from reengineering.cases.audit import audit_event
from reengineering.cases.records import (
    case_owner_id,
    load_open_case,
    load_person,
    load_process,
    step_rows,
)
from reengineering.research_lists import CRITICALITY_TITLES, ResearchLists
from storage.addresses import person_at
from storage.cases_models import (
    ReengineeringCase,
    ResearchCampaign,
    ResearchInvitation,
    StepStatus,
)
from storage.delivery_models import OutboxLane
from storage.models import (
    Person,
    Process,
    Respondent,
    RespondentContact,
    Touchpoint,
)
from storage.outbox import enqueue
from storage.recipients import Recipient, recipient_of

__all__ = [
    "CRITICALITY_TITLES",
    "RESEARCH_CLIENT",
    "RESEARCH_CODES",
    "RESEARCH_PERFORMER",
    "LaunchResult",
    "ResearchLists",
    "campaign_of",
    "case_dir",
    "launch_research",
    "research_invitation",
    "research_questionnaire_for",
]

RESEARCH_CLIENT = "research_client"
RESEARCH_PERFORMER = "research_performer"
RESEARCH_CODES = (RESEARCH_CLIENT, RESEARCH_PERFORMER)


INVITE_TOKEN_BYTES = 16  # secrets.token_urlsafe: 22 characters, 128 random bits


def _digest(token: str, invitee: str) -> str:
    """What is kept of an invitation: the token bound to its invitee, one way.

    The invitee is their chat, or ``p<person id>`` for a person the bot cannot write to yet
    (known only by @username): their invitation waits in the outbox until they first write.
    """
    return hashlib.sha256(f"{token}:{invitee}".encode()).hexdigest()


@dataclass(frozen=True)
class LaunchResult:
    campaign_id: int
    clients: int
    performers: int
    queued: int


async def campaign_of(session: AsyncSession, case_id: int) -> ResearchCampaign | None:
    """The latest campaign of a case."""
    return await session.scalar(
        sa.select(ResearchCampaign)
        .where(ResearchCampaign.case_id == case_id)
        .order_by(ResearchCampaign.id.desc())
        .limit(1)
    )


def _take_survey(_: Translator, case_id: int, token: str) -> Actions:
    """The invitation's one action: answer the case's survey with this invitation's token."""
    return ((Action(Intent.RESEARCH_TAKE, (case_id, token), _("Take the survey")),),)


async def launch_research(
    session: AsyncSession,
    case_id: int,
    actor_id: int,
    *,
    department_ids: Sequence[int],
    now: datetime,
    tz: tzinfo = UTC,
    _: Translator,
) -> LaunchResult:
    """Start the R3 survey: record the campaign and queue invitations to clients and performers.

    Performers are employees of ``department_ids``; clients are respondents who agreed to
    be asked again and left their contact at a touchpoint of the process. Launching again
    reuses the open campaign and invites only those not invited yet.
    """
    case, process = await _launchable(session, case_id, actor_id, _)
    on = now.astimezone(tz).date()
    campaign = await _open_campaign(session, case, actor_id, department_ids, now)
    performers, clients = await _invitees(session, campaign, process)
    performer_text, client_text = _invitation_texts(_, case, process)
    invitations = [
        *((recipient_of(person), performer_text, "performer") for person in performers),
        *((Recipient(int(chat)), client_text, "client") for chat in clients),
    ]
    queued, invited_performers, invited_clients = await _invite(
        session, case, campaign, invitations, now, _
    )
    campaign.invited_performers = max(campaign.invited_performers, invited_performers)
    campaign.invited_clients = max(campaign.invited_clients, invited_clients)
    await audit_event(
        session, case.id, "research_launched", on=on, at=now, actor_id=actor_id,
        step_id=SURVEY_STEP, campaign_id=campaign.id, department_ids=campaign.department_ids,
        performers=invited_performers, clients=invited_clients, queued=queued,
    )  # fmt: skip
    await session.flush()
    return LaunchResult(campaign.id, invited_clients, invited_performers, queued)


async def _launchable(
    session: AsyncSession, case_id: int, actor_id: int, _: Translator
) -> tuple[ReengineeringCase, Process]:
    """The case and its process, when the survey may be launched now by this person."""
    case = await load_open_case(session, case_id)
    rows = await step_rows(session, case.id)
    survey_row = rows.get(SURVEY_STEP)
    if survey_row is None or survey_row.status != StepStatus.ACTIVE:
        raise CaseError(
            _(
                "The survey of clients and performers takes place at step R3, after the client "
                "segment profile (R1)."
            )
        )
    process = await load_process(session, case.process_id)
    person = await load_person(session, actor_id)
    if person is None or not (person.is_officer or person.id == case_owner_id(case, process)):
        raise CaseError(_("The survey is launched by the process owner."))
    return case, process


async def _open_campaign(
    session: AsyncSession,
    case: ReengineeringCase,
    actor_id: int,
    department_ids: Sequence[int],
    now: datetime,
) -> ResearchCampaign:
    """The case's open campaign (its departments widened), or a new one."""
    campaign = await campaign_of(session, case.id)
    if campaign is None or campaign.closed_at is not None:
        campaign = ResearchCampaign(
            case_id=case.id,
            launched_at=now,
            launched_by_id=actor_id,
            department_ids=sorted(set(department_ids)),
            invited_clients=0,
            invited_performers=0,
        )
        session.add(campaign)
    else:
        campaign.department_ids = sorted(set(campaign.department_ids) | set(department_ids))
    await session.flush()
    return campaign


async def _invitees(
    session: AsyncSession, campaign: ResearchCampaign, process: Process
) -> tuple[list[Person], list[int]]:
    """The performers of the campaign's departments and the chats of willing clients."""
    return await _people_to_invite(session, process.id, campaign.department_ids)


async def count_invitees(
    session: AsyncSession, process_id: int, department_ids: Sequence[int]
) -> tuple[int, int]:
    """How many performers and clients a launch would invite now, to ask before inviting none."""
    performers, clients = await _people_to_invite(session, process_id, department_ids)
    return len(performers), len(clients)


async def _people_to_invite(
    session: AsyncSession, process_id: int, department_ids: Sequence[int]
) -> tuple[list[Person], list[int]]:
    # Performers Telegram cannot reach yet are invited too: the invitation waits for them.
    performers = list(
        await session.scalars(
            sa.select(Person)
            .where(Person.is_employee, Person.department_id.in_(list(department_ids)))
            .order_by(Person.id)
        )
    )
    clients = list(
        await session.scalars(
            sa.select(RespondentContact.chat_id)
            .join(Respondent, Respondent.key == RespondentContact.respondent_key)
            .join(Touchpoint, Touchpoint.id == RespondentContact.touchpoint_id)
            .where(Respondent.recontact_ok, Touchpoint.process_id == process_id)
        )
    )
    return performers, clients


def _invitation_texts(_: Translator, case: ReengineeringCase, process: Process) -> tuple[str, str]:
    """The invitations to performers and to clients."""
    name = escape(process.name)
    performer_text = "\n".join(
        [
            _("🔎 A study of the process “{process}” (reengineering {number}).").format(
                process=name, number=case_number(case.id)
            ),
            _(
                "As a performer of the process, please answer a few questions: your "
                "satisfaction with the process, the difficulties and the stage where they "
                "arise, what clients expect and good solutions worth adopting."
            ),
            _("The survey takes 3–5 minutes."),
        ]
    )
    client_text = "\n".join(
        [
            _(
                "🔎 We are improving the process “{process}” and ask you to share your experience."
            ).format(process=name),
            _(
                "You allowed us to contact you earlier. Please answer a few questions: how "
                "satisfied you are, what difficulties you met, what you expect at each stage "
                "and where you saw convenient solutions."
            ),
            _("The survey takes 3–5 minutes and is anonymous."),
        ]
    )
    return performer_text, client_text


async def _invite(
    session: AsyncSession,
    case: ReengineeringCase,
    campaign: ResearchCampaign,
    invitations: Sequence[tuple[Recipient, str, str]],
    now: datetime,
    _: Translator,
) -> tuple[int, int, int]:
    """Queue each invitation once per invitee; returns queued, performers and clients counted."""
    queued = 0
    invited_performers = invited_clients = 0
    seen: set[str] = set()  # a chat, or a person without one
    for recipient, text, audience in invitations:
        # A performer is named by their person id, so an invitation waiting for someone
        # known only by @username is not sent twice once the bot learns their chat.
        invitee = f"p{recipient.person_id}" if recipient.person_id else str(recipient)
        if invitee in seen:
            continue
        seen.add(invitee)
        if audience == "performer":
            invited_performers += 1
        else:
            invited_clients += 1
        token = secrets.token_urlsafe(INVITE_TOKEN_BYTES)
        if await enqueue(
            session,
            chat_id=recipient,
            text=text,
            actions=_take_survey(_, case.id, token),
            kind="research_invite",
            lane=OutboxLane.BULK,
            dedupe_key=f"rs:{case.id}:{invitee}",
        ):
            session.add(
                ResearchInvitation(
                    campaign_id=campaign.id, digest=_digest(token, invitee),
                    audience=audience,
                    invited_at=now,
                )
            )  # fmt: skip
            queued += 1
    return queued, invited_performers, invited_clients


async def research_invitation(
    session: AsyncSession, case_id: int, token: str, chat_id: int
) -> str | None:
    """The research questionnaire ``chat_id`` was invited to answer with ``token``, or None
    when this token was not sent to this chat for this case (forged, guessed or borrowed)."""
    invitees = [str(chat_id)] + [
        f"p{person_id}"
        for person_id in await session.scalars(sa.select(Person.id).where(person_at(chat_id)))
    ]
    audience = await session.scalar(
        sa.select(ResearchInvitation.audience)
        .join(ResearchCampaign, ResearchCampaign.id == ResearchInvitation.campaign_id)
        .where(
            ResearchCampaign.case_id == case_id,
            ResearchInvitation.digest.in_([_digest(token, who) for who in invitees]),
        )
        .limit(1)
    )
    if audience is None:
        return None
    return RESEARCH_PERFORMER if audience == "performer" else RESEARCH_CLIENT


async def research_questionnaire_for(session: AsyncSession, case_id: int, telegram_id: int) -> str:
    """Which research questionnaire a person taking the case's survey answers.

    Employees of the campaign's departments answer as performers, everybody else as clients.
    """
    campaign = await campaign_of(session, case_id)
    person = await session.scalar(sa.select(Person).where(person_at(telegram_id)))
    if (
        campaign is not None
        and person is not None
        and person.is_employee
        and person.department_id in set(campaign.department_ids)
    ):
        return RESEARCH_PERFORMER
    return RESEARCH_CLIENT
