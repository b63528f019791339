"""Texts of questionnaire messages: wording from the YAML, the frame from i18n."""

from __future__ import annotations

from html import escape

from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _

from core.channels import Channel, channel_of
from surveys.questionnaire import QuestionKind
from surveys.views import QuestionView


def current_locale() -> str:
    return get_i18n().current_locale


def question_text(view: QuestionView) -> str:
    locale = current_locale()
    lines = []
    if view.target_name:
        lines.append(f"<b>{escape(view.target_name)}</b>")
    lines.append(question_number(view))
    lines.append("")
    lines.append(escape(view.question.text.get(locale)))
    if view.question.kind == QuestionKind.TEXT:
        lines.append("")
        lines.append(_("<i>Send your answer as a message.</i>"))
    if not view.question.says_it_may_be_skipped(locale):
        lines.append("")
        lines.append(_("<i>You may skip this question.</i>"))
    return "\n".join(lines)


def question_number(view: QuestionView) -> str:
    """«Вопрос 5 из 6»: where the person is, and how much is left (#17.3)."""
    if view.total >= view.number:
        return _("Question {number} of {total}").format(number=view.number, total=view.total)
    return _("Question {number}").format(number=view.number)


def in_max(chat: int) -> bool:
    """The chat is a MAX one (core.channels): wording names the messenger the person uses."""
    return channel_of(chat) is Channel.MAX


def consent_text(chat: int) -> str:
    if in_max(chat):
        return _(
            "<b>Before we start</b>\n\n"
            "We will ask a few questions about the service. Your answers are stored "
            "pseudonymously: without your name, username or MAX id. They are used "
            "only to improve the service. You can delete the link between you and your "
            "answers at any time with /forget."
        )
    return _(
        "<b>Before we start</b>\n\n"
        "We will ask a few questions about the service. Your answers are stored "
        "pseudonymously: without your name, username or Telegram id. They are used "
        "only to improve the service. You can delete the link between you and your "
        "answers at any time with /forget."
    )


def thanks_text(chat: int = 0, *, commented: bool = True) -> str:
    """The thanks; the answer to feedback is mentioned only when there is a comment to answer."""
    if not commented:
        stored = (
            _(
                "Your answers are stored without your name or MAX account. "
                "If you wish, we can ask you again later:"
            )
            if in_max(chat)
            else _(
                "Your answers are stored without your name or Telegram account. "
                "If you wish, we can ask you again later:"
            )
        )
    elif in_max(chat):
        stored = _(
            "Your answers are stored without your name or MAX account. "
            "If you wish, we can ask you again later or send you the answer to your feedback:"
        )
    else:
        stored = _(
            "Your answers are stored without your name or Telegram account. "
            "If you wish, we can ask you again later or send you the answer to your feedback:"
        )
    return "\n".join([_("<b>Thank you! Your answer has been saved.</b>"), "", stored])
