"""Reengineering cases in Telegram: owners work their steps, the officer decides and opens cases.

Every button names a case (or an extension request) by id and is checked against the viewer
by the filters in ``handlers.cases.access``: an owner sees and touches only the cases of the
processes they own, whatever the callback data says; the officer sees every case. The domain
(reengineering.*) checks who may do what on a step and says why not in Russian; handlers
parse, call it and render. One module per conversation, each with its own states.
"""

from __future__ import annotations

from aiogram import Router

from handlers.cases import (
    dates,
    denied,
    documents,
    extensions,
    listing,
    opening,
    owners,
    plan,
    profile,
    research,
    signing,
    steps,
)

router = Router(name=__name__)
router.include_routers(
    listing.router,  # /cases, the list and the card
    steps.router,  # mark done, working-group decisions and meeting dates
    documents.router,  # documents attached to a step
    extensions.router,  # more time: the owner asks, the officer decides
    opening.router,  # the officer opens a case by instruction
    plan.router,  # the action-plan wizard and its workbook
    profile.router,  # R1: the client segment profile as a workbook
    owners.router,  # the officer gives one case to another owner (clause 1.4)
    research.router,  # the R3 survey: launch, close, the invited people's answers
    dates.router,  # a day off typed for a deadline: the next working day offered
    signing.router,  # the department head signs a conclusion or returns it
    denied.router,  # last: a case button the access filters stopped
)

__all__ = ["router"]
