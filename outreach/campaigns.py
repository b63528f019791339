"""Campaigns: a questionnaire sent to an audience for a period, with reminders and a rate.

Invitations and reminders go through the outbox (bulk lane, so they never hold up alerts).
Invites keep only the chat; the pseudonymous key is derived from it when answers are
counted, so no table links a chat to a respondent key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from html import escape

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from core.calendar import WorkingCalendar, default_calendar
from core.i18n import Translator
from core.speech import Action, Actions, Intent, Speech
from outreach.loop import officer_chats
from registry.codes import known_codes
from storage.addresses import person_address, unaddressed
from storage.delivery_models import OutboxLane
from storage.models import (
    Campaign,
    CampaignInvite,
    Department,
    Person,
    Questionnaire,
    Respondent,
    RespondentContact,
    Response,
    Touchpoint,
)
from storage.outbox import enqueue
from storage.recipients import chat_recipients
from surveys.respondents import address_key

AUDIENCES = ("employees", "departments", "touchpoint")


class CampaignError(ValueError):
    """A campaign request that cannot be carried out, explained in the translator's language."""


def take_survey(_: Translator, campaign_id: int) -> Actions:
    return ((Action(Intent.CAMPAIGN_TAKE, (campaign_id,), _("Take the survey")),),)


async def _department_ids(session: AsyncSession, codes: Sequence[str], _: Translator) -> list[int]:
    """The departments by their codes; an unknown code is refused with the known ones."""
    department_ids: list[int] = []
    for code in codes:
        department = await session.scalar(sa.select(Department).where(Department.code == code))
        if department is None:
            known = await known_codes(session, Department.code)
            raise CampaignError(
                _("No department with the code “{code}”; known codes: {known}.").format(
                    code=code, known=known
                )
            )
        department_ids.append(department.id)
    return department_ids


async def _touchpoint_id(session: AsyncSession, code: str, _: Translator) -> int:
    """The touchpoint by its code; an unknown code is refused with the active ones."""
    touchpoint = await session.scalar(sa.select(Touchpoint).where(Touchpoint.code == code))
    if touchpoint is None:
        known = await known_codes(session, Touchpoint.code, Touchpoint.active)
        raise CampaignError(
            _("Touchpoint “{code}” not found; known codes: {known}.").format(code=code, known=known)
        )
    return int(touchpoint.id)


async def start_campaign(
    session: AsyncSession,
    *,
    questionnaire_code: str,
    audience: str,
    starts_on: date,
    ends_on: date,
    department_codes: Sequence[str] = (),
    touchpoint_code: str | None = None,
    remind_after_days: int = 3,
    max_reminders: int = 2,
    created_by: int | None = None,
    now: datetime,
    _: Translator,
) -> Campaign:
    """Validate and record a campaign; invitations go out when it starts (`run_campaigns`)."""
    if audience not in AUDIENCES:
        raise CampaignError(_("Audience: employees (all employees), departments or touchpoint."))
    if ends_on < starts_on:
        raise CampaignError(_("The campaign's end date is before its start date."))
    if remind_after_days < 1 or not 0 <= max_reminders <= 10:
        raise CampaignError(_("Reminders: after 1 or more working days, at most 10 times."))
    questionnaire = await session.scalar(
        sa.select(Questionnaire).where(
            Questionnaire.code == questionnaire_code, Questionnaire.is_current
        )
    )
    if questionnaire is None:
        known = await known_codes(session, Questionnaire.code, Questionnaire.is_current)
        raise CampaignError(
            _("Questionnaire “{code}” not found; known codes: {known}.").format(
                code=questionnaire_code, known=known
            )
        )
    department_ids = await _department_ids(session, department_codes, _)
    if audience == "departments" and not department_ids:
        raise CampaignError(_("Name at least one department."))
    touchpoint_id = None
    if audience == "touchpoint":
        touchpoint_id = await _touchpoint_id(session, touchpoint_code or "", _)
    expected = "internal" if audience != "touchpoint" else "external"
    if questionnaire.audience.value != expected:
        raise CampaignError(
            _(
                "Employees need a questionnaire for internal clients, applicants one for "
                "external clients."
            )
        )
    campaign = Campaign(
        questionnaire_code=questionnaire_code,
        audience=audience,
        department_ids=department_ids,
        touchpoint_id=touchpoint_id,
        starts_on=starts_on,
        ends_on=ends_on,
        status="scheduled",
        remind_after_days=remind_after_days,
        max_reminders=max_reminders,
        created_by=created_by,
        created_at=now,
    )
    session.add(campaign)
    await session.flush()
    return campaign


async def audience_size(
    session: AsyncSession, *, department_ids: Sequence[int] = (), touchpoint_id: int | None = None
) -> int:
    """How many people a campaign would invite now (employees, of departments, or consenting
    respondents of a touchpoint), to ask before starting one that would invite nobody."""
    audience = "touchpoint" if touchpoint_id else "departments" if department_ids else "employees"
    probe = Campaign(
        audience=audience, department_ids=list(department_ids), touchpoint_id=touchpoint_id
    )
    return len(await audience_chats(session, probe))


async def audience_chats(session: AsyncSession, campaign: Campaign) -> list[int]:
    """Everyone the campaign asks: employees (of departments), or consenting respondents."""
    if campaign.audience == "touchpoint":
        rows = await session.scalars(
            sa.select(RespondentContact.chat_id)
            .join(Respondent, Respondent.key == RespondentContact.respondent_key)
            .where(
                RespondentContact.touchpoint_id == campaign.touchpoint_id,
                Respondent.recontact_ok,
            )
        )
        return sorted(set(rows.all()))
    # Those Telegram cannot reach yet are invited too: the invitation waits for them.
    query = sa.select(Person.telegram_id, Person.max_id).where(
        Person.is_employee, sa.not_(unaddressed())
    )
    if campaign.audience == "departments":
        query = query.where(Person.department_id.in_(campaign.department_ids))
    found = (person_address(t, m) for t, m in (await session.execute(query)).all())
    return sorted(chat for chat in found if chat is not None)


def _invitation(_: Translator, campaign: Campaign, title: str) -> Speech:
    text = _(
        "<b>Survey: {title}</b>\n\nPlease rate the quality of our work. It takes a couple of "
        "minutes; answers are stored without a name. The survey is open until {end}."
    ).format(title=escape(title), end=f"{campaign.ends_on:%d.%m.%Y}")
    return Speech(text, take_survey(_, campaign.id))


def _reminder(_: Translator, campaign: Campaign, title: str) -> Speech:
    invitation = _invitation(_, campaign, title)
    return Speech(
        _("Reminder: {invitation}").format(invitation=invitation.text), invitation.actions
    )


def _closed(_: Translator, campaign: Campaign, title: str) -> Speech:
    rate = campaign.responded / campaign.invited if campaign.invited else 0.0
    text = _(
        "<b>Campaign “{title}” is over</b> ({start}–{end}).\n"
        "Invited: {invited}, answered: {responded} ({rate})."
    ).format(
        title=escape(title),
        start=f"{campaign.starts_on:%d.%m.%Y}",
        end=f"{campaign.ends_on:%d.%m.%Y}",
        invited=campaign.invited,
        responded=campaign.responded,
        rate=f"{rate:.0%}",
    )
    return Speech(text)


async def _responded(
    session: AsyncSession, campaign: Campaign, chat_id: int, secret: bytes
) -> bool:
    key = address_key(secret, chat_id)
    query = (
        sa.select(sa.func.min(Response.submitted_at))
        .join(Questionnaire, Questionnaire.id == Response.questionnaire_id)
        .where(
            Response.respondent_key == key,
            Questionnaire.code == campaign.questionnaire_code,
            Response.local_day >= campaign.starts_on,
            Response.local_day <= campaign.ends_on,
        )
    )
    if campaign.started_at is not None:  # an answer given before the invitation is not one
        query = query.where(Response.submitted_at >= campaign.started_at)
    if campaign.touchpoint_id is not None:
        query = query.where(Response.touchpoint_id == campaign.touchpoint_id)
    return await session.scalar(query) is not None


async def _still_wanted(
    session: AsyncSession, campaign: Campaign, chat_id: int, secret: bytes
) -> bool:
    """Respondents asked via their consent are reminded only while the consent stands."""
    if campaign.audience != "touchpoint":
        return True
    respondent = await session.get(Respondent, address_key(secret, chat_id))
    return respondent is not None and respondent.recontact_ok


@dataclass
class CampaignTick:
    started: int = 0
    invited: int = 0
    reminded: int = 0
    closed: int = 0


async def run_campaigns(
    session: AsyncSession,
    today: date,
    now: datetime,
    secret: bytes,
    calendar: WorkingCalendar | None = None,
    *,
    _: Translator,
) -> CampaignTick:
    """Start, remind and close campaigns; idempotent, so it may run any number of times a day."""
    day = CampaignDay(session, today, now, secret, calendar or default_calendar(), _)
    campaigns = (
        await session.scalars(sa.select(Campaign).where(Campaign.status != "closed"))
    ).all()
    for campaign in campaigns:
        title = (
            await session.scalar(
                sa.select(Questionnaire.title).where(
                    Questionnaire.code == campaign.questionnaire_code, Questionnaire.is_current
                )
            )
            or campaign.questionnaire_code
        )
        if campaign.status == "scheduled" and campaign.starts_on <= today <= campaign.ends_on:
            await day.start(campaign, title)
        if campaign.status == "running":
            await day.follow_up(campaign, title)
        elif campaign.status == "scheduled" and today > campaign.ends_on:
            campaign.status = "closed"
            campaign.closed_at = now
    return day.tick


@dataclass
class CampaignDay:
    """One run of `run_campaigns`: what it needs for every campaign, and what it did."""

    session: AsyncSession
    today: date
    now: datetime
    secret: bytes
    calendar: WorkingCalendar
    translate: Translator
    tick: CampaignTick = field(default_factory=CampaignTick)

    async def start(self, campaign: Campaign, title: str) -> None:
        """The first day: the campaign runs and its audience is invited."""
        session, today = self.session, self.today
        campaign.status = "running"
        campaign.started_at = self.now
        self.tick.started += 1
        chats = await audience_chats(session, campaign)
        recipients = await chat_recipients(session, chats)
        invitation = _invitation(self.translate, campaign, title)
        for chat_id in chats:
            session.add(
                CampaignInvite(
                    campaign_id=campaign.id,
                    chat_id=chat_id,
                    invited_on=today,
                    last_contact_on=today,
                )
            )
            await enqueue(
                session,
                chat_id=recipients[chat_id],
                text=invitation.text,
                actions=invitation.actions,
                kind="campaign_invite",
                lane=OutboxLane.BULK,
                dedupe_key=f"camp:{campaign.id}:{chat_id}:invite",
            )
            self.tick.invited += 1
        await session.flush()

    async def follow_up(self, campaign: Campaign, title: str) -> None:
        """Every day it runs: note who answered, remind who did not, close after the end."""
        session = self.session
        invites = (
            await session.scalars(
                sa.select(CampaignInvite).where(CampaignInvite.campaign_id == campaign.id)
            )
        ).all()
        waiting = await chat_recipients(session, [i.chat_id for i in invites])
        reminder = _reminder(self.translate, campaign, title)
        for invite in invites:
            if invite.responded_at is None and await _responded(
                session, campaign, invite.chat_id, self.secret
            ):
                # Only the day of this check, not the time of the answer: no join to answers.
                invite.responded_at = datetime.combine(self.today, time.min, tzinfo=UTC)
            # The invitation itself may still wait for a person Telegram cannot reach yet.
            if waiting[invite.chat_id].held is None and await self._due_reminder(campaign, invite):
                await self._remind(campaign, invite, reminder)
        # Never lower: the invite of a person who used /forget is gone, their count is not.
        campaign.invited = max(campaign.invited, len(invites))
        campaign.responded = max(
            campaign.responded, sum(1 for i in invites if i.responded_at is not None)
        )
        if self.today > campaign.ends_on:
            await self._close(campaign, title)

    async def _due_reminder(self, campaign: Campaign, invite: CampaignInvite) -> bool:
        today, calendar = self.today, self.calendar
        return (
            invite.responded_at is None
            and await _still_wanted(self.session, campaign, invite.chat_id, self.secret)
            and today <= campaign.ends_on
            and invite.reminders < campaign.max_reminders
            and calendar.is_working_day(today)
            and calendar.working_days_between(invite.last_contact_on, today)
            >= campaign.remind_after_days
        )

    async def _remind(self, campaign: Campaign, invite: CampaignInvite, reminder: Speech) -> None:
        invite.reminders += 1
        invite.last_contact_on = self.today
        await enqueue(
            self.session,
            chat_id=invite.chat_id,
            text=reminder.text,
            actions=reminder.actions,
            kind="campaign_reminder",
            lane=OutboxLane.BULK,
            dedupe_key=f"camp:{campaign.id}:{invite.chat_id}:rem{invite.reminders}",
        )
        self.tick.reminded += 1

    async def _close(self, campaign: Campaign, title: str) -> None:
        """After the last day: closed, and the officers get the response rate."""
        campaign.status = "closed"
        campaign.closed_at = self.now
        self.tick.closed += 1
        notice = _closed(self.translate, campaign, title)
        for officer in await officer_chats(self.session):
            await enqueue(
                self.session,
                chat_id=officer,
                kind="campaign_closed",
                lane=OutboxLane.ALERT,
                text=notice.text,
                dedupe_key=f"camp:{campaign.id}:closed:{officer}",
            )


def response_rate(campaign: Campaign) -> float | None:
    return campaign.responded / campaign.invited if campaign.invited else None
