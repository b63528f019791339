"""What the closed loop says: each notice as a `Speech`, translated, with its actions.

People's text (process names, comments, answers) is escaped here; the channels render the
rest.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from html import escape

from core.i18n import Translator
from core.speech import Action, Actions, Intent, Speech

COMMENT_LIMIT = 1500


def problem_labels(_: Translator) -> dict[str, str]:
    """The questionnaire's problem codes as the owner reads them."""
    return {
        "waiting_time": _("waiting time"),
        "queue": _("queue"),
        "politeness": _("politeness of staff"),
        "premises": _("comfort of the premises"),
        "information": _("availability of information"),
        "other": _("other"),
    }


def alert_actions(_: Translator, alert_id: int) -> Actions:
    """The owner's choices under an alert: answer the respondent, or take it into work."""
    return (
        (
            Action(Intent.ALERT_REPLY, (alert_id,), _("Reply")),
            Action(Intent.ALERT_ACK, (alert_id,), _("Taken into work")),
        ),
    )


def relay_actions(_: Translator, alert_id: int) -> Actions:
    """The respondent's one choice under a relayed answer: write back."""
    return ((Action(Intent.FEEDBACK_REPLY, (alert_id,), _("Reply")),),)


def low_score_alert(
    _: Translator,
    alert_id: int,
    *,
    rating: int,
    process: tuple[str, str],
    touchpoint: str | None,
    problems: Iterable[str],
    stage: str | None,
    comment: str,
    due_at: datetime,
) -> Speech:
    """The owner's alert: the score, where it was given, what went wrong, and the deadline."""
    name, code = process
    labels = problem_labels(_)
    went_wrong = ", ".join(labels.get(p, p) for p in problems)
    lines = [
        _("<b>Low score: {rating} of 5</b>").format(rating=rating),
        _("Process: {name} ({code})").format(name=escape(name), code=escape(code)),
    ]
    if touchpoint is not None:
        lines.append(_("Touchpoint: {touchpoint}").format(touchpoint=escape(touchpoint)))
    if went_wrong:
        lines.append(_("What went wrong: {problems}").format(problems=escape(went_wrong)))
    if stage:
        lines.append(_("Stage: {stage}").format(stage=escape(stage)))
    lines.append(_("Comment: “{comment}”").format(comment=escape(comment[:COMMENT_LIMIT])))
    lines.append(_("Please answer by {due}.").format(due=f"{due_at:%d.%m.%Y}"))
    return Speech("\n".join(lines), alert_actions(_, alert_id))


def answer_to_respondent(_: Translator, alert_id: int, process_name: str, answer: str) -> Speech:
    """The owner's answer, under the name of the body, with a way to write back."""
    text = _(
        "<b>An answer to your feedback</b> on the process “{process}”:\n\n{answer}\n\n"
        "If you want to add something, press “Reply”."
    ).format(process=escape(process_name), answer=escape(answer))
    return Speech(text, relay_actions(_, alert_id))


def reply_to_owner(_: Translator, alert_id: int, process_name: str, reply: str) -> Speech:
    """The respondent's reply, without a word about who wrote it."""
    text = _("<b>The applicant replied</b> to the feedback on “{process}”:\n\n{reply}").format(
        process=escape(process_name), reply=escape(reply)
    )
    return Speech(text, alert_actions(_, alert_id))


def escalation(_: Translator, alert_id: int, process_name: str, due_at: datetime) -> Speech:
    text = _(
        "<b>Feedback without an answer</b>: on the process “{process}” no answer was given "
        "by {due}."
    ).format(process=escape(process_name), due=f"{due_at:%d.%m.%Y}")
    return Speech(text, alert_actions(_, alert_id))


def reminder(_: Translator, alert_id: int, process_name: str, due_at: datetime) -> Speech:
    text = _("Reminder: the feedback on the process “{process}” needs an answer by {due}.").format(
        process=escape(process_name), due=f"{due_at:%d.%m.%Y}"
    )
    return Speech(text, alert_actions(_, alert_id))
