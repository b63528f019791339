"""Callback payloads: short prefixes and ids only (Telegram caps callback data at 64 bytes)."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


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


class OptInCb(CallbackData, prefix="o"):
    s: int
    k: str


class NavCb(CallbackData, prefix="n"):
    """Finding a service without a QR code: direction → process → touchpoint."""

    lvl: str
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
    """The owner's buttons under a low-score alert (built in surveys.feedback too)."""

    a: int
    x: str


class RelayCb(CallbackData, prefix="fr"):
    """The respondent's «Ответить» under a relayed answer."""

    a: int
