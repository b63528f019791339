"""The one error of the case workflow, shared by the cases package, the plan and research."""

from __future__ import annotations

from core.wording import WordedError

__all__ = ["CaseError"]


class CaseError(WordedError):
    """A request the case cannot accept: a msgid and its parameters, translated when shown.

    ``str()`` gives the default locale's text (logs, the CLI); channels call :meth:`text`
    with their own translator. A message already translated by the caller passes as is.
    """
