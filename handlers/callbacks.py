"""Callback payloads: short prefixes and ids only (Telegram caps callback data at 64 bytes).

The buttons the domain offers as `core.speech` actions are packed by `handlers.speech` with
these classes, and their filters parse them: each format is defined here, once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

from aiogram.filters.callback_data import MAX_CALLBACK_LENGTH, CallbackData
from pydantic import Field

# Step codes and decision options as templates define them (reengineering/templates.py); an
# option may also be a section number or a department id. Anything else does not unpack, so
# a forged value never reaches a handler (the fallback says the button is no longer active).
StepCode = Annotated[str, Field(pattern=r"^([A-Z][A-Z0-9_]{0,15})?$")]
OptionCode = Annotated[str, Field(pattern=r"^[a-z0-9_]{0,16}$")]
NavLevel = Annotated[str, Field(pattern=r"^[dpt]\*?$")]  # a level; "*" when paging
InviteToken = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{16,43}$")]  # secrets.token_urlsafe
RegulationId = Annotated[str, Field(pattern=r"^(seed[0-9]{3})?$")]
CaseAction = Literal[
    "v", "l", "d", "dec", "dok", "doc", "ext", "mt", "pa", "sec", "dig", "px", "rl", "dep", "go",
    "rc", "sp", "ow", "due",
]  # fmt: skip


class ConsentCb(CallbackData, prefix="c"):
    """Consent on first use; carries where the person was going."""

    tp: int
    pr: int
    ok: bool


class AnswerCb(CallbackData, prefix="a"):
    """A press inside a questionnaire: session, its step counter, the value."""

    s: int
    v: int
    x: str

    @classmethod
    def packer(cls, s: int, v: int) -> Callable[[str], str]:
        """`AnswerCb(s=s, v=v, x=x).pack()` for each button of one question, packed once.

        A question's buttons differ in `x`, the last part, only; aiogram's `pack` costs a
        model and its dump per button, seven of them on every answer.
        """
        prefix = cls(s=s, v=v, x="").pack()
        room = MAX_CALLBACK_LENGTH - len(prefix.encode())

        def pack(x: str) -> str:
            if cls.__separator__ in x or len(x.encode()) > room:
                return cls(s=s, v=v, x=x).pack()  # aiogram's own error
            return prefix + x

        return pack


class OptInCb(CallbackData, prefix="o"):
    s: int
    k: str


class NavCb(CallbackData, prefix="n"):
    """Finding a service without a QR code: direction → process → touchpoint."""

    lvl: NavLevel
    id: int
    pg: int = 0


class RateCb(CallbackData, prefix="r"):
    """An employee chose an internal service to rate."""

    p: int


class ForgetCb(CallbackData, prefix="f"):
    ok: bool


class InviteCb(CallbackData, prefix="iv"):
    """The officer's invite wizard: department, then uses, then days."""

    d: int
    u: int = 0
    days: int = 0


class MenuCb(CallbackData, prefix="m"):
    item: str


class StatsCb(CallbackData, prefix="st"):
    """Details of one process in /stats."""

    p: int


class ReportCb(CallbackData, prefix="rp"):
    """A report as an Excel document: kind code and process id (0 for all processes)."""

    k: str
    p: int


class AlertCb(CallbackData, prefix="fa"):
    """The owner's buttons under a low-score alert (intents alert.reply, alert.ack)."""

    a: int
    x: str


class RelayCb(CallbackData, prefix="fr"):
    """The respondent's «Ответить» under a relayed answer (intent feedback.reply)."""

    a: int


class CaseCb(CallbackData, prefix="cs"):
    """A button on a case card: case id, action code, step id, option or other id."""

    c: int
    a: CaseAction = "v"
    s: StepCode = ""
    x: OptionCode = ""


class SignCb(CallbackData, prefix="sg"):
    """The department head's «Подписать» / «Вернуть на доработку» (intents signature.*)."""

    g: int
    ok: bool


class CaseOpenCb(CallbackData, prefix="co"):
    """The officer opens a case by instruction: p=0 lists processes (page pg), ok confirms;
    g — the ground when the regulation words one the officer records (law_change)."""

    p: int = 0
    pg: int = 0
    ok: bool = False
    g: Literal["", "law_change"] = ""


class RegulationCb(CallbackData, prefix="rg"):
    """The officer chooses the organisation's regulation: t — a shipped template, ok confirms."""

    t: RegulationId = ""
    ok: bool = False


class ExtensionCb(CallbackData, prefix="cx"):
    """The officer's answer to an extension request: grant (then a date) or refuse."""

    e: int
    ok: bool


class ResearchCb(CallbackData, prefix="rs"):
    """«Пройти опрос» under a research invitation (intent research.take: case, token)."""

    c: int
    t: InviteToken


class ResearchConsentCb(CallbackData, prefix="rk"):
    """Consent asked before a research questionnaire, so the answer leads back to it."""

    c: int
    t: InviteToken
    ok: bool


class CampaignCb(CallbackData, prefix="cp"):
    """«Пройти опрос» under a campaign invitation (intent campaign.take)."""

    c: int


class CampaignWizardCb(CallbackData, prefix="cw"):
    """The officer's campaign wizard: audience (0 = all employees, else a department), days;
    ``go`` when the officer starts it although nobody would be invited."""

    d: int
    days: int = 0
    go: bool = False


class DayCb(CallbackData, prefix="wd"):
    """A date offered in place of a non-working one (``YYYYMMDD``); the FSM state says what
    the date is for, and that step checks the person and the case as a typed date would."""

    d: str


class RequestServiceCb(CallbackData, prefix="iq"):
    """An employee's request, step by step: the internal service, then the form (w/o)."""

    p: int
    f: Literal["", "w", "o"] = ""


class RequestCb(CallbackData, prefix="ir"):
    """The owner's buttons under an internal request (intents request.answer/done/refuse)."""

    r: int
    x: Literal["answer", "done", "refuse"]


class RegistryCb(CallbackData, prefix="rg"):
    """The officer published the registry (seed 002 §3.1): the change the reminder names."""

    c: int


# The long lists that page with handlers.keyboards.paged_list, beside the finder (NavCb) and
# the case opening (CaseOpenCb), whose own payloads carry a page: the officer's /stats
# processes, /rate's internal services, the invite and campaign wizards' departments, /cases,
# and a citizen's search results. Each page's handler checks the role the list is for.
PagedList = Literal["st", "rt", "iv", "cw", "cs", "sr"]


class PageCb(CallbackData, prefix="pg"):
    """Another page of a long list: which list, and the page (from 0)."""

    l: PagedList  # noqa: E741 (one letter: callback data is capped at 64 bytes)
    pg: int = 0
