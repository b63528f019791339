"""Who the bot cannot reach yet, said the same way in the officer's /stats and in the CLI.

In Telegram a bot cannot write first, so the invite link is for the officer to pass on by
e-mail or in person; it carries no identity (anyone opening it is just someone writing).
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from storage.recipients import Unreachable, UnreachablePerson

Translate = Callable[[str], str]
WELCOME_PAYLOAD = "hello"  # /start hello: handlers.common greets, surveys.actors releases
SHOWN = 30  # a Telegram message holds 4096 characters


def _(message: str) -> str:
    """Marks a message for the catalogue; translated by the caller's `Translate`."""
    return message


REASONS = {
    Unreachable.NOT_STARTED: _("has not opened the bot yet"),
    Unreachable.NO_CHAT: _("known only by @username, has not opened the bot yet"),
    Unreachable.BLOCKED: _("has blocked the bot"),
    Unreachable.DEACTIVATED: _("the Telegram account is deleted: appoint someone else"),
}


def person_name(person: UnreachablePerson, translate: Translate) -> str:
    if person.full_name:
        return person.full_name
    if person.username:
        return f"@{person.username}"
    return translate(_("no name in the registry"))  # #17.4: a role follows, never an id


def roles(person: UnreachablePerson, translate: Translate) -> str:
    found = []
    if person.is_officer:
        found.append(translate(_("officer")))
    if person.process_codes:
        codes = ", ".join(person.process_codes[:5])
        more = "…" if len(person.process_codes) > 5 else ""
        found.append(translate(_("owner of {processes}")).format(processes=codes + more))
    if person.is_employee:
        found.append(translate(_("employee")))
    return "; ".join(found) or translate(_("no role"))


def person_line(person: UnreachablePerson, translate: Translate, *, html: bool) -> str:
    """One person: name, roles, why, since when, and how many messages wait."""
    quote = escape if html else str
    line = translate(_("{name} ({roles}): {reason}")).format(
        name=quote(person_name(person, translate)),
        roles=quote(roles(person, translate)),
        reason=translate(REASONS[person.reason]),
    )
    if person.since is not None:
        line += translate(_(", since {date}")).format(date=f"{person.since:%d.%m.%Y}")
    return line + translate(_("; messages waiting: {count}")).format(count=person.waiting)


def report(
    people: list[UnreachablePerson],
    link: str | None,
    translate: Translate,
    *,
    html: bool,
    max_link: str | None = None,
) -> str:
    """The whole list with what to do about it; empty when everyone can be reached.

    ``link`` is the Telegram deep link, ``max_link`` MAX's: a person uses one or the other.
    """
    if not people:
        return ""
    title = translate(_("Cannot be reached by the bot yet: {count}")).format(count=len(people))
    lines = [f"<b>{title}</b>" if html else title]
    lines += [f"• {person_line(p, translate, html=html)}" for p in people[:SHOWN]]
    if len(people) > SHOWN:
        lines.append(
            translate(_("…and {more} more: see «otklik people unreachable».")).format(
                more=len(people) - SHOWN
            )
        )
    lines.append("")
    lines.append(
        translate(
            _(
                "Neither Telegram nor MAX lets a bot write first. Their messages are kept "
                "and delivered as soon as they open the bot and press Start."
            )
        )
    )
    if link:
        lines.append(
            translate(
                _(
                    "The bot cannot send the invitation itself: send them this link by e-mail "
                    "or in person: {link}"
                )
            ).format(link=link)
        )
    if max_link:
        lines.append(translate(_("Those who use MAX: {link}")).format(link=max_link))
    return "\n".join(lines)
