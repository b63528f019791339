"""The R4 lists of a research round, as collected from the answers and written to the workbook.

Apart from `reengineering.research` so that the workbook writer needs nothing back from it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from core.i18n import Translator
from core.wording import Msgid, __
from storage.models import ClientType

__all__ = ["CRITICALITY_TITLES", "NO_STAGE", "WHO_TITLES", "ResearchLists", "stage_title"]

# The key of answers naming no stage; shown as `stage_title` says.
NO_STAGE = ""
CRITICALITY_TITLES: dict[str, Msgid] = {
    "low": __("low (criticality)"),
    "medium": __("medium (criticality)"),
    "high": __("high (criticality)"),
}
# Who named an answer, by the respondent's client type (the key the lists use).
WHO_TITLES: dict[str, Msgid] = {
    ClientType.EXTERNAL: __("client (named by)"),
    ClientType.INTERNAL: __("performer (named by)"),
}


def stage_title(stage: str, _: Translator) -> str:
    """A stage as written in the workbook: its name, or «not specified» for `NO_STAGE`."""
    return stage if stage != NO_STAGE else _("Stage not specified")


@dataclass
class ResearchLists:
    """What the R4 step needs from the survey answers."""

    stages: list[str]
    responses: Counter[str] = field(default_factory=Counter)
    rating_sum: Counter[str] = field(default_factory=Counter)
    rated: Counter[str] = field(default_factory=Counter)
    # stage -> criticality ("low"/"medium"/"high"/"") -> count
    criticality: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    # Keyed by who answered, the respondent's `ClientType` (`research.WHO_TITLES` names it).
    # (stage, criticality, who, text)
    difficulties: list[tuple[str, str, str, str]] = field(default_factory=list)
    # (stage, who, text)
    needs: list[tuple[str, str, str]] = field(default_factory=list)
    # (who, text)
    practices: list[tuple[str, str]] = field(default_factory=list)

    def ordered_stages(self, keys: Sequence[str]) -> list[str]:
        """Stages in process order, then stages no longer in the registry, then «не указан»."""
        known = [stage for stage in self.stages if stage in keys]
        other = sorted(stage for stage in keys if stage not in self.stages and stage != NO_STAGE)
        tail = [NO_STAGE] if NO_STAGE in keys else []
        return [*known, *other, *tail]
