"""The names of the reports, apart from their pandas code so that the CLI starts light.

The values are msgids: whoever shows a name translates it (`_(REPORT_KINDS[kind])`).
"""

from __future__ import annotations


def _(msgid: str) -> str:
    """Marks a msgid for the catalogue; translated where the name is shown."""
    return msgid


REPORT_KINDS: dict[str, str] = {
    "dynamics": _("Satisfaction dynamics"),
    "pain-map": _("Pain map"),
    "segments": _("Segment profile"),
    "internal": _("Comparison of internal client survey results"),
}

REPORT_CHOICES: dict[str, str] = {
    **REPORT_KINDS,
    "action-plan": _("Action plan for reengineering"),
}
