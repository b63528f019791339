"""The web form's requests: parse the form, call the same domain as Telegram, render.

Every answer is a POST followed by a redirect to the form (post/redirect/get), so a reload
or the browser's back button never sends an answer twice; the step compare-and-set of
surveys.service refuses a stale form like a stale keyboard.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from aiohttp import web
from multidict import MultiDictProxy
from sqlalchemy.ext.asyncio import AsyncSession

from core.i18n import Translator
from registry import directory
from registry.directory import Landing
from registry.links import WEB_PATH, deep_link, max_link
from storage.database import SessionPool
from surveys import profiles
from surveys import service as surveys
from surveys.respondents import channel_respondent_key
from surveys.service import Outcome, StepResult, SurveyPolicy
from web import guard
from web.pages import Page, consent_page, landing_page, question_page

CHANNEL = "web"
QUESTIONNAIRE = "touchpoint"


@dataclass(frozen=True)
class WebContext:
    """What every request needs, built once by web.app.create_web_app."""

    pool: SessionPool
    policy: SurveyPolicy
    clock: Callable[[], datetime]
    signer: guard.Signer
    secret: bytes
    rate_limit: guard.RateLimit
    _: Translator
    locale: str
    max_bot_name: str | None
    secure_cookies: bool


CONTEXT = web.AppKey("otklik_web", WebContext)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _paths(code: str) -> tuple[str, str, str]:
    base = WEB_PATH + quote(code, safe="")
    return base, base + "/form", base + "/thanks"


def _page(ctx: WebContext, landing: Landing | None = None) -> Page:
    return Page(ctx._, ctx.locale, landing.organization if landing else "")


def _unknown(ctx: WebContext) -> web.Response:
    _ = ctx._
    return _page(ctx).message(
        _("This link is not recognised"),
        _("Perhaps the QR code is outdated or the address was typed with a mistake."),
        _("Please ask the staff for a current QR code."),
        status=404,
    )


@web.middleware
async def rate_limited(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every page counts against its address; too many in a minute are told to wait."""
    ctx = request.app[CONTEXT]
    wait = ctx.rate_limit.retry_after(guard.client_address(request))
    if not wait:
        return await handler(request)
    _ = ctx._
    response = _page(ctx).message(
        _("Too many requests"),
        _("Too many requests have come from your network in the last minute."),
        _("Please wait a minute and open the page again. Nothing you have answered is lost."),
        status=429,
    )
    response.headers["Retry-After"] = str(wait)
    return response


async def landing(request: web.Request) -> web.Response:
    """The QR code's page: every channel the person can answer in."""
    ctx = request.app[CONTEXT]
    code = request.match_info["code"]
    async with ctx.pool() as session:
        found = await directory.landing_of(session, code)
    if found is None:
        return _unknown(ctx)
    _ = ctx._
    links: list[tuple[str, str]] = []
    if found.bot_username:
        with suppress(ValueError):
            links.append((_("Answer in Telegram"), deep_link(found.bot_username, found.payload)))
    if ctx.max_bot_name:
        with suppress(ValueError):  # a malformed name: the button is left out, not a 500
            links.append((_("Answer in MAX"), max_link(ctx.max_bot_name, found.payload)))
    if not found.internal:
        links.append((_("Answer on the website"), _paths(found.code)[1]))
    return landing_page(_page(ctx, found), found, links)


def _device(request: web.Request, ctx: WebContext) -> tuple[str, bool]:
    """(device id, whether it is new and its cookie must be set)."""
    known = ctx.signer.device_of(request.cookies.get(guard.DEVICE_COOKIE))
    return (known, False) if known else (guard.new_device_id(), True)


def _with_device(
    response: web.Response, ctx: WebContext, device_id: str, fresh: bool
) -> web.Response:
    if fresh:
        guard.set_device_cookie(response, ctx.signer, device_id, ctx.secure_cookies)
    return response


async def _consented(session: AsyncSession, key: str) -> bool:
    respondent = await profiles.get_respondent(session, key)
    return respondent is not None and respondent.consent_at is not None


def _outcome_page(ctx: WebContext, landing: Landing, result: StepResult) -> web.Response:
    """A step that shows no question: the limit, an expired or unavailable questionnaire."""
    _, page, form = ctx._, _page(ctx, landing), _paths(landing.code)[1]
    if result.outcome == Outcome.LIMIT:
        return page.message(
            _("Thank you!"),
            _(
                "You have already rated this service today — thank you! "
                "You can rate it again tomorrow."
            ),
            _("One rating a day from each phone or computer keeps the results fair."),
        )
    if result.outcome == Outcome.EXPIRED:
        return page.message(
            _("The questionnaire has expired"),
            _("This questionnaire has expired. Open the link again to start anew."),
            link=form,
            link_label=_("Start again"),
        )
    return page.message(_("Not available"), _("This service is not being rated at the moment."))


async def form_page(request: web.Request) -> web.Response:
    """The consent on first use, else the current question (opened or resumed)."""
    ctx = request.app[CONTEXT]
    code = request.match_info["code"]
    device_id, fresh = _device(request, ctx)
    key = channel_respondent_key(ctx.secret, CHANNEL, device_id)
    now = ctx.clock()
    async with ctx.pool() as session, session.begin():
        found = await directory.landing_of(session, code)
        if found is None:
            return _unknown(ctx)
        if found.internal:
            _ = ctx._
            response = _page(ctx, found).message(
                _("For employees"), _("Rating internal services is for employees.")
            )
            return _with_device(response, ctx, device_id, fresh)
        csrf = ctx.signer.csrf_token(device_id, now)
        action = _paths(found.code)[1]
        if not await _consented(session, key):
            page = consent_page(_page(ctx, found), found, action, csrf)
            return _with_device(page, ctx, device_id, fresh)
        result = await surveys.start_survey(
            session,
            ctx.policy,
            key,
            questionnaire_code=QUESTIONNAIRE,
            touchpoint_id=found.touchpoint_id,
            process_id=found.process_id,
            now=now,
        )
    if result.view is None:
        return _with_device(_outcome_page(ctx, found, result), ctx, device_id, fresh)
    page = question_page(_page(ctx, found), result.view, action, csrf)
    return _with_device(page, ctx, device_id, fresh)


def _expired_form(ctx: WebContext, form: str) -> web.Response:
    """A form without a valid CSRF token: from another site, another browser, or too old."""
    _, page = ctx._, _page(ctx)
    return page.message(
        _("The page has expired"),
        _(
            "For your safety a form on this site can be sent only from this browser and "
            "only for a few hours after it was opened."
        ),
        _("The answers you have already given are saved: continue where you stopped."),
        status=403,
        link=form,
        link_label=_("Continue"),
    )


def _honeypot(ctx: WebContext, form: str) -> web.Response:
    """The field people do not see was filled in: a program, most likely."""
    _, page = ctx._, _page(ctx)
    return page.message(
        _("The form was not accepted"),
        _(
            "A hidden field that people do not see was filled in: this is how we keep automatic "
            "programs from sending answers."
        ),
        _("If you filled in the form yourself, open it again and answer once more."),
        status=400,
        link=form,
        link_label=_("Open the form again"),
    )


def _number(text: object) -> int | None:
    return int(text) if isinstance(text, str) and text.isdigit() and len(text) < 12 else None


async def _step(
    session: AsyncSession,
    ctx: WebContext,
    key: str,
    go: str,
    fields: MultiDictProxy[str | bytes | bytearray | web.FileField],
) -> StepResult | None:
    """Apply the posted step; None when the form names no attempt (a forged or old form)."""
    session_id, version = _number(fields.get("s")), _number(fields.get("v"))
    if session_id is None or version is None:
        return None
    now = ctx.clock()
    if go in ("back", "skip"):
        raw = surveys.BACK if go == "back" else surveys.SKIP
        return await surveys.press_button(
            session, ctx.policy, key, session_id=session_id, version=version, raw=raw, now=now
        )
    values = [value for value in fields.getall("value", []) if isinstance(value, str)]
    return await surveys.answer_form(
        session, ctx.policy, key, session_id=session_id, version=version, values=values, now=now
    )


async def submit(request: web.Request) -> web.StreamResponse:
    """One posted step: the consent or an answer; then back to the form, or the thanks."""
    ctx = request.app[CONTEXT]
    code = request.match_info["code"]
    _, (_landing_path, form, thanks) = ctx._, _paths(code)
    fields = await request.post()
    device_id, fresh = _device(request, ctx)
    now = ctx.clock()
    token = fields.get(guard.CSRF_FIELD)
    if fresh or not isinstance(token, str) or not ctx.signer.csrf_valid(token, device_id, now):
        return _with_device(_expired_form(ctx, form), ctx, device_id, fresh)
    if fields.get(guard.HONEYPOT_FIELD):
        return _honeypot(ctx, form)
    go = str(fields.get("go") or "answer")
    if go == "decline":
        return _page(ctx).message(
            _("Understood"), _("Understood. Nothing has been saved. Thank you!")
        )
    key = channel_respondent_key(ctx.secret, CHANNEL, device_id)
    async with ctx.pool() as session, session.begin():
        found = await directory.landing_of(session, code)
        if found is None or found.internal:
            return _unknown(ctx)
        result: StepResult | None = None
        if go == "consent":  # the redirect opens the questionnaire
            await surveys.give_consent(session, key, now)
        else:
            result = await _step(session, ctx, key, go, fields)
    if result is None or result.outcome in (Outcome.QUESTION, Outcome.STALE, Outcome.NO_SESSION):
        raise web.HTTPSeeOther(form)
    if result.outcome in (Outcome.COMPLETED, Outcome.ALREADY_DONE):
        raise web.HTTPSeeOther(thanks)
    if result.outcome in (Outcome.REJECTED, Outcome.TOO_LONG) and result.view is not None:
        typed = str(fields.get("value") or "")
        if result.outcome == Outcome.TOO_LONG:
            error = _(
                "Your text is {length} characters long; the limit is {limit}. "
                "Please shorten it and send it again."
            ).format(length=len(typed.strip()), limit=result.extra["limit"])
        else:
            error = _("Please choose an answer, or press «Skip» where it is offered.")
        csrf = ctx.signer.csrf_token(device_id, ctx.clock())
        return question_page(
            _page(ctx, found), result.view, form, csrf, error=error, typed=typed, status=422
        )
    return _outcome_page(ctx, found, result)


async def thanks(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT]
    _ = ctx._
    return _page(ctx).message(
        _("Thank you! Your answer has been saved."),
        _(
            "Your answers are stored without your name or any account and are used only "
            "to improve the service."
        ),
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get("/t/{code}", landing)
    app.router.add_get("/t/{code}/form", form_page)
    app.router.add_post("/t/{code}/form", submit)
    app.router.add_get("/t/{code}/thanks", thanks)
