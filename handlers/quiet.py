"""/quiet: a member of staff's own quiet hours, when the bot does not write to them first.

Staff only: citizens get nothing from the bot on its own but what they asked for.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from core.quiet import parse_quiet_hours
from core.settings import Settings
from storage.recipients import quiet_hours_of, set_quiet_hours
from storage.uow import UnitOfWork
from surveys.actors import Actor

router = Router(name=__name__)


def _describe(value: str | None, settings: Settings) -> str:
    if value == "off":
        return _("no quiet hours: the bot writes at any time")
    hours = parse_quiet_hours(value or settings.quiet_hours)
    if hours is None:
        return _("no quiet hours: the bot writes at any time")
    text = _("from {start}:00 to {end}:00, {zone} time").format(
        start=f"{hours.start:02d}", end=f"{hours.end:02d}", zone=settings.timezone
    )
    return text if value else text + " " + _("(the organisation's)")


@router.message(Command("quiet"))
async def quiet(
    message: Message, command: CommandObject, uow: UnitOfWork, actor: Actor, settings: Settings
) -> None:
    staff = actor.is_employee or actor.is_owner or actor.is_officer
    if not staff or actor.person_id is None:
        await message.answer(
            _("Quiet hours are for staff: the bot writes to citizens only when asked.")
        )
        return
    argument = (command.args or "").strip().lower()
    if argument in ("off", "выкл"):
        value: str | None = "off"
    elif argument in ("default", "обычно"):
        value = None
    elif argument:
        hours = parse_quiet_hours(argument)
        if hours is None:
            await message.answer(
                _(
                    "Not understood. Write the hours from–to, for example /quiet 21-7; "
                    "/quiet off — no quiet hours; /quiet default — the organisation's."
                )
            )
            return
        value = f"{hours.start}-{hours.end}"
    else:
        async with uow.transaction() as session:
            current = await quiet_hours_of(session, actor.person_id)
        await message.answer(
            _(
                "Quiet hours: {hours}. Reminders and alerts that come up then wait until they "
                "end. Change: /quiet 21-7, /quiet off, /quiet default."
            ).format(hours=_describe(current, settings))
        )
        return
    async with uow.transaction() as session:
        await set_quiet_hours(session, actor.person_id, value)
    await message.answer(_("Saved. Quiet hours: {hours}.").format(hours=_describe(value, settings)))
