"""The one error of the case workflow, shared by the cases package, the plan and research."""

from __future__ import annotations

from core.i18n import Translator
from reengineering.wording import Msgid, speaking

__all__ = ["CaseError"]


class CaseError(Exception):
    """A request the case cannot accept: a msgid and its parameters, translated when shown.

    ``str()`` gives the default locale's text (logs, the CLI); channels call :meth:`text`
    with their own translator. A message already translated by the caller passes as is.
    """

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message)
        self.message = message
        self.params = params

    def text(self, _: Translator) -> str:
        """The message in the translator's language, its parameters filled in."""
        translated = _(self.message)
        if not self.params:
            return translated
        params = {
            name: _(value) if isinstance(value, Msgid) else value
            for name, value in self.params.items()
        }
        return translated.format(**params)

    def __str__(self) -> str:
        return self.text(speaking(None))
