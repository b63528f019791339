"""Campaigns: a questionnaire sent to an audience for a period, with reminders and a rate.

Invitations and reminders go through the outbox (bulk lane, so they never hold up alerts).
Invites keep only the chat; the pseudonymous key is derived from it when answers are
counted, so no table links a chat to a respondent key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from html import escape
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from core.calendar import WorkingCalendar, default_calendar
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
from surveys.feedback import officer_chats
from surveys.respondents import respondent_key

CAMPAIGN_PREFIX = "cp"  # handlers.callbacks.CampaignCb
AUDIENCES = ("employees", "departments", "touchpoint")


class CampaignError(ValueError):
    """A campaign request that cannot be carried out, explained in Russian."""


def take_survey_button(campaign_id: int) -> dict[str, Any]:
    return {
        "inline_keyboard": [
            [{"text": "Пройти опрос", "callback_data": f"{CAMPAIGN_PREFIX}:{campaign_id}"}]
        ]
    }


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
) -> Campaign:
    """Validate and record a campaign; invitations go out when it starts (`run_campaigns`)."""
    if audience not in AUDIENCES:
        raise CampaignError("Аудитория: employees (все сотрудники), departments или touchpoint.")
    if ends_on < starts_on:
        raise CampaignError("Дата окончания кампании раньше даты начала.")
    if remind_after_days < 1 or not 0 <= max_reminders <= 10:
        raise CampaignError("Напоминания: через 1 и более рабочих дней, не более 10 раз.")
    questionnaire = await session.scalar(
        sa.select(Questionnaire).where(
            Questionnaire.code == questionnaire_code, Questionnaire.is_current
        )
    )
    if questionnaire is None:
        raise CampaignError(f"Анкета «{questionnaire_code}» не найдена.")
    department_ids: list[int] = []
    for code in department_codes:
        department = await session.scalar(sa.select(Department).where(Department.code == code))
        if department is None:
            raise CampaignError(f"Подразделение с кодом «{code}» не найдено.")
        department_ids.append(department.id)
    if audience == "departments" and not department_ids:
        raise CampaignError("Укажите хотя бы одно подразделение.")
    touchpoint_id = None
    if audience == "touchpoint":
        touchpoint = await session.scalar(
            sa.select(Touchpoint).where(Touchpoint.code == (touchpoint_code or ""))
        )
        if touchpoint is None:
            raise CampaignError(f"Точка взаимодействия «{touchpoint_code}» не найдена.")
        touchpoint_id = touchpoint.id
    expected = "internal" if audience != "touchpoint" else "external"
    if questionnaire.audience.value != expected:
        raise CampaignError(
            "Для сотрудников нужна анкета для внутренних клиентов, для заявителей — для внешних."
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
    query = sa.select(Person.telegram_id).where(Person.is_employee, Person.telegram_id.is_not(None))
    if campaign.audience == "departments":
        query = query.where(Person.department_id.in_(campaign.department_ids))
    return sorted(int(t) for t in (await session.scalars(query)).all() if t is not None)


def _invitation_text(campaign: Campaign, title: str) -> str:
    return (
        f"<b>Опрос: {escape(title)}</b>\n\nПросим оценить качество работы. Это займёт пару минут; "
        f"ответы хранятся без имени. Опрос открыт до {campaign.ends_on:%d.%m.%Y}."
    )


async def _responded(
    session: AsyncSession, campaign: Campaign, chat_id: int, secret: bytes
) -> bool:
    key = respondent_key(secret, chat_id)
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
    if campaign.touchpoint_id is not None:
        query = query.where(Response.touchpoint_id == campaign.touchpoint_id)
    return await session.scalar(query) is not None


async def _still_wanted(
    session: AsyncSession, campaign: Campaign, chat_id: int, secret: bytes
) -> bool:
    """Respondents asked via their consent are reminded only while the consent stands."""
    if campaign.audience != "touchpoint":
        return True
    respondent = await session.get(Respondent, respondent_key(secret, chat_id))
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
) -> CampaignTick:
    """Start, remind and close campaigns; idempotent, so it may run any number of times a day."""
    calendar = calendar or default_calendar()
    tick = CampaignTick()
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
            campaign.status = "running"
            tick.started += 1
            chats = await audience_chats(session, campaign)
            recipients = await chat_recipients(session, chats)
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
                    text=_invitation_text(campaign, title),
                    kind="campaign_invite",
                    lane=OutboxLane.BULK,
                    dedupe_key=f"camp:{campaign.id}:{chat_id}:invite",
                    reply_markup=take_survey_button(campaign.id),
                )
                tick.invited += 1
            await session.flush()
        if campaign.status != "running":
            if campaign.status == "scheduled" and today > campaign.ends_on:
                campaign.status = "closed"
                campaign.closed_at = now
            continue
        invites = (
            await session.scalars(
                sa.select(CampaignInvite).where(CampaignInvite.campaign_id == campaign.id)
            )
        ).all()
        waiting = await chat_recipients(session, [i.chat_id for i in invites])
        for invite in invites:
            if invite.responded_at is None and await _responded(
                session, campaign, invite.chat_id, secret
            ):
                # Only the day of this check, not the time of the answer: no join to answers.
                invite.responded_at = datetime.combine(today, time.min, tzinfo=UTC)
            if (
                invite.responded_at is None
                and waiting[invite.chat_id].held is None  # the invitation itself still waits
                and await _still_wanted(session, campaign, invite.chat_id, secret)
                and today <= campaign.ends_on
                and invite.reminders < campaign.max_reminders
                and calendar.is_working_day(today)
                and calendar.working_days_between(invite.last_contact_on, today)
                >= campaign.remind_after_days
            ):
                invite.reminders += 1
                invite.last_contact_on = today
                await enqueue(
                    session,
                    chat_id=invite.chat_id,
                    text="Напоминаем: " + _invitation_text(campaign, title),
                    kind="campaign_reminder",
                    lane=OutboxLane.BULK,
                    dedupe_key=f"camp:{campaign.id}:{invite.chat_id}:rem{invite.reminders}",
                    reply_markup=take_survey_button(campaign.id),
                )
                tick.reminded += 1
        # Never lower: the invite of a person who used /forget is gone, their count is not.
        campaign.invited = max(campaign.invited, len(invites))
        campaign.responded = max(
            campaign.responded, sum(1 for i in invites if i.responded_at is not None)
        )
        if today > campaign.ends_on:
            campaign.status = "closed"
            campaign.closed_at = now
            tick.closed += 1
            rate = campaign.responded / campaign.invited if campaign.invited else 0.0
            for officer in await officer_chats(session):
                await enqueue(
                    session,
                    chat_id=officer,
                    kind="campaign_closed",
                    lane=OutboxLane.ALERT,
                    text=(
                        f"<b>Кампания «{escape(title)}» завершена</b> "
                        f"({campaign.starts_on:%d.%m.%Y}–{campaign.ends_on:%d.%m.%Y}).\n"
                        f"Приглашено: {campaign.invited}, ответили: {campaign.responded} "
                        f"({rate:.0%})."
                    ),
                    dedupe_key=f"camp:{campaign.id}:closed:{officer}",
                )
    return tick


async def forget_invites(session: AsyncSession, chat_id: int, *, consented: bool = False) -> int:
    """/forget: the chat's invitations go (no more reminders, no record it was asked).

    `consented`: only those of campaigns that asked by the person's consent (a touchpoint's
    respondents), for a withdrawn consent. The campaigns keep their counts (see
    run_campaigns), so the response rate stays true.
    """
    query = sa.delete(CampaignInvite).where(CampaignInvite.chat_id == chat_id)
    if consented:
        by_consent = sa.select(Campaign.id).where(Campaign.audience == "touchpoint")
        query = query.where(CampaignInvite.campaign_id.in_(by_consent))
    result = await session.execute(query)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def response_rate(campaign: Campaign) -> float | None:
    return campaign.responded / campaign.invited if campaign.invited else None
