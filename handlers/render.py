"""Texts of questionnaire messages: wording from the YAML, the frame from i18n."""

from __future__ import annotations

from html import escape

from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _

from surveys.questionnaire import QuestionKind
from surveys.views import QuestionView


def current_locale() -> str:
    return get_i18n().current_locale


def question_text(view: QuestionView) -> str:
    locale = current_locale()
    lines = []
    if view.target_name:
        lines.append(f"<b>{escape(view.target_name)}</b>")
    lines.append(_("Question {number}").format(number=view.number))
    lines.append("")
    lines.append(escape(view.question.text.get(locale)))
    if view.question.kind == QuestionKind.TEXT:
        lines.append("")
        lines.append(_("<i>Send your answer as a message.</i>"))
    return "\n".join(lines)


def thanks_text() -> str:
    return "\n".join(
        [
            _("<b>Thank you! Your answer has been saved.</b>"),
            "",
            _(
                "Your answers are stored without your name or Telegram account. "
                "If you wish, we can ask you again later or send you the answer to your feedback:"
            ),
        ]
    )
