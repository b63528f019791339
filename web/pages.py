"""The pages people see: each built from domain data and the catalogue, rendered by Jinja2.

Templates hold no words: every text is a msgid translated here (so the catalogue's extraction
finds it), and Jinja2 escapes whatever is put into the HTML.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

from core.i18n import Translator
from core.russian import nest_quotes
from registry.directory import Landing
from surveys.questionnaire import CRITICALITY_LEVELS, QuestionKind
from surveys.views import QuestionView

_ENV = jinja2.Environment(
    # a plain folder, so any install (editable ones included) finds the templates
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
HTML = "text/html"


@dataclass(frozen=True)
class Page:
    """The frame every page shares: the language, its translator, who is asking."""

    _: Translator
    locale: str
    organization: str = ""

    def render(self, template: str, title: str, status: int = 200, **context: Any) -> web.Response:
        html = _ENV.get_template(template).render(
            lang=self.locale, title=title, organization=self.organization, **context
        )
        html = nest_quotes(html)  # «Выдача «справки»» → «Выдача „справки“», as the bot sends
        response = web.Response(text=html, content_type=HTML, status=status)
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'"
        )
        return response

    def message(
        self,
        heading: str,
        *paragraphs: str,
        status: int = 200,
        link: str | None = None,
        link_label: str = "",
    ) -> web.Response:
        texts = {"heading": heading, "paragraphs": paragraphs, "link": link_label}
        return self.render("message.html", heading, status, t=texts, link=link)

    def guard_texts(self) -> dict[str, Any]:
        return {"honeypot": self._("Leave this field empty")}


def landing_page(page: Page, landing: Landing, links: list[tuple[str, str]]) -> web.Response:
    _ = page._
    texts = {
        "heading": _("Rate the quality of service"),
        "intro": _("It takes a minute. Choose where it is convenient for you to answer:"),
        "choose": _("Where to answer"),
        "none": _("This service is not being rated at the moment."),
    }
    return page.render(
        "landing.html",
        texts["heading"],
        t=texts,
        links=links,
        process_name=landing.process_name,
        place=landing.place,
    )


def consent_page(page: Page, landing: Landing, action: str, csrf: str) -> web.Response:
    _ = page._
    texts = {
        **page.guard_texts(),
        "heading": _("Before we start"),
        "paragraphs": [
            _(
                "We will ask a few questions about the service. Your answers are stored "
                "pseudonymously: without your name, phone number or any account."
            ),
            _(
                "This browser is recognised by a random number kept in a cookie, so that a "
                "service is rated once a day and an unfinished questionnaire can be continued. "
                "Nothing else is kept about you. The answers are used only to improve the service."
            ),
        ],
        "agree": _("Agree and start"),
        "decline": _("No, thanks"),
    }
    return page.render(
        "consent.html",
        texts["heading"],
        t=texts,
        action=action,
        csrf=csrf,
        target_name=f"{landing.process_name} — {landing.place}",
    )


def _options(page: Page, view: QuestionView) -> tuple[str, list[tuple[str, str, Any]]]:
    """The template's kind of question and its options: (value, label, spoken or checked)."""
    _, question = page._, view.question
    if question.kind == QuestionKind.RATING:
        scale = view.definition.scale
        return "scale", [
            (str(score), str(score), _("{score} of {max}").format(score=score, max=scale.max))
            for score in range(scale.min, scale.max + 1)
        ]
    if question.kind == QuestionKind.MULTI:
        return "multi", [
            (option.id, option.label(page.locale), option.id in view.selected)
            for option in question.options
        ]
    if question.kind == QuestionKind.STAGE:
        return "choice", [(str(i), stage, "") for i, stage in enumerate(view.context.stages)]
    if question.kind == QuestionKind.CRITICALITY:
        labels = {"low": _("Low"), "medium": _("Medium"), "high": _("High")}
        return "choice", [(level, labels[level], "") for level in CRITICALITY_LEVELS]
    if question.kind == QuestionKind.TEXT:
        return "text", []
    return "choice", [(o.id, o.label(page.locale), "") for o in question.options]


def question_page(
    page: Page,
    view: QuestionView,
    action: str,
    csrf: str,
    *,
    error: str = "",
    typed: str = "",
    status: int = 200,
) -> web.Response:
    _ = page._
    kind, options = _options(page, view)
    texts = {
        **page.guard_texts(),
        "number": (
            _("Question {number} of {total}").format(number=view.number, total=view.total)
            if view.total >= view.number
            else _("Question {number}").format(number=view.number)
        ),
        "send": _("Next"),
        "done": _("Done ✔"),
        "back": _("← Back"),
        "skip": _("Skip"),
        "may_skip": _("You may skip this question."),
    }
    return page.render(
        "question.html",
        view.definition.title.get(page.locale),
        status,
        t=texts,
        action=action,
        csrf=csrf,
        error=error,
        typed=typed,
        kind=kind,
        options=options,
        session_id=view.session_id,
        version=view.version,
        question_text=view.question.text.get(page.locale),
        max_length=view.question.max_length,
        optional=view.question.optional,
        skip_hint=not view.question.says_it_may_be_skipped(page.locale),
        can_go_back=view.can_go_back,
        target_name=view.target_name,
    )
