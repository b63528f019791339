"""The one error of the case workflow, shared by the cases package, the plan and research."""

from __future__ import annotations

__all__ = ["CaseError"]


class CaseError(Exception):
    """A request the case cannot accept; the message is Russian, for the person."""
