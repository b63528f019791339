"""One digest a working day per person: everything due or overdue, grouped by case.

A reminder per step per day, each copied to the officer, came to some 420 messages in the
demo's three weeks. The daily job now plans every reminder as before (which item, which
nominal date, who gets it: reengineering.reminders) and collects them here by recipient;
each person then gets one message: the most urgent first, each case under its title with a
button to open it. The officer's digest names each case's responsible person and sums up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from html import escape

from core.i18n import Translator
from core.speech import Action, Intent, Speech
from reengineering.reminders import Reminder, format_date
from storage.recipients import Recipient

__all__ = ["DigestBook", "DigestItem", "digest_speech"]

MAX_CASE_BUTTONS = 8


@dataclass(frozen=True)
class DigestItem:
    """One reminder as a digest line; ``text`` is the whole reminder, kept under ``key``."""

    key: str
    kind: str
    text: str
    line: str
    reminder: Reminder
    label: str = ""  # the step or measure, as the officer's summary names it
    case_id: int | None = None
    case_title: str = ""  # «№ 3 «Назначение…»», or empty for items outside a case
    responsible: str | None = None  # named in the officer's digest
    warning: str | None = None

    @property
    def urgency(self) -> tuple[int, int]:
        """Overdue first (the longest overdue first), then due today, then coming."""
        if self.reminder.kind == "overdue":
            return (0, -self.reminder.days)
        if self.reminder.kind == "due":
            return (1, 0)
        return (2, self.reminder.days)


@dataclass
class DigestBook:
    """Today's items by recipient, in the order they were planned."""

    items: dict[Recipient, list[DigestItem]] = field(default_factory=dict)

    def add(self, recipient: Recipient, item: DigestItem) -> None:
        self.items.setdefault(recipient, []).append(item)


def _counts(items: Sequence[DigestItem], _: Translator) -> str:
    overdue = sum(1 for item in items if item.reminder.kind == "overdue")
    due = sum(1 for item in items if item.reminder.kind == "due")
    return _("Overdue: {overdue}, due today: {due}, coming: {coming}.").format(
        overdue=overdue, due=due, coming=len(items) - overdue - due
    )


def _summary(group: Sequence[DigestItem], _: Translator) -> str:
    """A case in one line for the officer: what is overdue (by how much), due, coming."""
    overdue = [
        f"{item.label} ({item.reminder.days})" for item in group if item.reminder.kind == "overdue"
    ]
    due = [item.label for item in group if item.reminder.kind == "due"]
    coming = [item.label for item in group if item.reminder.kind == "before"]
    parts = []
    if overdue:
        parts.append("🔴 " + _("overdue, working days: {items}").format(items=", ".join(overdue)))
    if due:
        parts.append(_("due today: {items}").format(items=", ".join(due)))
    if coming:
        parts.append(_("coming: {items}").format(items=", ".join(coming)))
    return "; ".join(parts)


def digest_speech(
    items: Sequence[DigestItem], today: date, *, officer: bool, _: Translator
) -> Speech:
    """The day's digest: a summary line, then each case's items, most urgent case first."""
    by_case: dict[tuple[int | None, str], list[DigestItem]] = {}
    for item in sorted(items, key=lambda item: item.urgency):
        by_case.setdefault((item.case_id, item.case_title), []).append(item)
    title = (
        _("📋 Deadlines of the reengineering cases on {date}: a summary for the officer")
        if officer
        else _("📋 Your deadlines on {date}")
    )
    lines = [f"<b>{title.format(date=format_date(today))}</b>", _counts(items, _)]
    for (_case_id, case_title), group in by_case.items():
        lines.append("")
        heading = case_title or _("Reviews of processes")
        if officer and group[0].responsible:
            heading += " — " + _("responsible: {name}").format(name=escape(group[0].responsible))
        lines.append(f"<b>{heading}</b>")
        if officer and all(item.label for item in group):
            lines.append("• " + _summary(group, _))
        else:
            lines += [
                ("🔴 " if item.reminder.kind == "overdue" else "• ") + item.line for item in group
            ]
    warnings = dict.fromkeys(item.warning for item in items if item.warning)
    lines += ["", *warnings] if warnings else []
    buttons = [
        Action(Intent.CASE_OPEN, (case_id,), _("Case {number}").format(number=f"№ {case_id}"))
        for case_id, _title in by_case
        if case_id is not None
    ][:MAX_CASE_BUTTONS]
    rows = tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))
    return Speech("\n".join(lines), rows)
