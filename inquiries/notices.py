"""What the inquiries feature says, as `Speech`: translated, people's text escaped.

Legal anchors are in the wording: §10(1) the acknowledgement of a written request, §10(3)
its 30-day term, §9(3–4) the oral answer by the end of the working day, §3 the reasons of a
refusal («обоснование причин, по которым то или иное обращение не может быть рассмотрено»).
"""

from __future__ import annotations

from datetime import date
from html import escape

from core.i18n import Translator
from core.speech import Action, Actions, Intent, Speech
from storage.inquiries_models import InternalRequest, RequestForm

TEXT_PREVIEW = 1500


def day(value: date) -> str:
    return f"{value:%d.%m.%Y}"


def form_label(_: Translator, form: RequestForm) -> str:
    return _("written answer") if form is RequestForm.WRITTEN else _("oral answer")


def acknowledgement(_: Translator, request: InternalRequest, service: str) -> Speech:
    """§10(1) the receipt of a written request; §9 the promise of an oral answer today."""
    if request.form is RequestForm.WRITTEN:
        text = _(
            "Your request No. {number} to «{service}» was received on {received}. "
            "A written answer will come here no later than {due}."
        )
    else:
        text = _(
            "Your request No. {number} to «{service}» was received on {received}. "
            "The service will answer you orally no later than the end of the working day "
            "{due}."
        )
    return Speech(
        text.format(
            number=request.id,
            service=escape(service),
            received=day(request.received_on),
            due=day(request.due_on),
        )
    )


def owner_actions(_: Translator, request: InternalRequest) -> Actions:
    """The owner's choices: answer (in writing, or mark the oral answer given) or refuse."""
    if request.form is RequestForm.WRITTEN:
        answer = Action(Intent.REQUEST_ANSWER, (request.id,), _("Answer"))
    else:
        answer = Action(Intent.REQUEST_DONE, (request.id,), _("Answered orally"))
    return ((answer, Action(Intent.REQUEST_REFUSE, (request.id,), _("Refuse with reasons"))),)


def to_owner(
    _: Translator, request: InternalRequest, service: str, author: str, reminder: bool = False
) -> Speech:
    """The request before the owner of the service, with the deadline and the buttons."""
    head = (
        _("Reminder: request No. {number} to «{service}» is due on {due}.")
        if reminder
        else _("New request No. {number} to «{service}», {form}, due on {due}.")
    )
    lines = [
        head.format(
            number=request.id,
            service=escape(service),
            form=form_label(_, request.form),
            due=day(request.due_on),
        ),
        _("From: {author}").format(author=escape(author)),
        "",
        escape(request.text[:TEXT_PREVIEW]),
    ]
    return Speech("\n".join(lines), owner_actions(_, request))


def answer_to_author(_: Translator, request: InternalRequest, service: str) -> Speech:
    """The written answer, or the note that the oral answer was given, or the refusal."""
    number, name = request.id, escape(service)
    if request.answer is None:
        return Speech(
            _("«{service}» has marked your request No. {number} as answered orally.").format(
                service=name, number=number
            )
        )
    if request.status == "refused":
        text = _("«{service}» cannot take up your request No. {number}. The reasons:\n\n{reasons}")
        return Speech(text.format(service=name, number=number, reasons=escape(request.answer)))
    text = _("The answer of «{service}» to your request No. {number}:\n\n{answer}")
    return Speech(text.format(service=name, number=number, answer=escape(request.answer)))


def late_to_officers(_: Translator, request: InternalRequest, service: str) -> Speech:
    """Past the deadline: the officers learn of it once; /late lists all that are late."""
    return Speech(
        _(
            "Request No. {number} to «{service}» was due on {due} and is still not answered. "
            "All late requests: /late"
        ).format(number=request.id, service=escape(service), due=day(request.due_on))
    )


def late_list(_: Translator, late: list[tuple[InternalRequest, str, str]], today: date) -> str:
    """The officer's screen: every open request past its day, oldest first."""
    if not late:
        return _("No internal requests are late.")
    lines = [_("Late internal requests ({count}):").format(count=len(late))]
    for request, service, owner in late:
        lines.append(
            _(
                "No. {number} «{service}» ({form}), due {due}, {days} d. late; owner: {owner}"
            ).format(
                number=request.id,
                service=escape(service),
                form=form_label(_, request.form),
                due=day(request.due_on),
                days=(today - request.due_on).days,
                owner=escape(owner),
            )
        )
    return "\n".join(lines)


def status_label(_: Translator, request: InternalRequest) -> str:
    if request.status == "answered":
        return _("answered")
    if request.status == "refused":
        return _("refused")
    return _("open, due {due}").format(due=day(request.due_on))


def author_list(_: Translator, mine: list[tuple[InternalRequest, str]]) -> str:
    """The author's own requests, newest first (nobody else's)."""
    if not mine:
        return _("You have not sent any requests yet. Send one with /request.")
    lines = [_("Your requests:")]
    for request, service in mine:
        lines.append(
            _("No. {number} «{service}», {received}: {status}").format(
                number=request.id,
                service=escape(service),
                received=day(request.received_on),
                status=status_label(_, request),
            )
        )
    return "\n".join(lines)
