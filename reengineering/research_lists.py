"""The R4 lists of a research round, as collected from the answers and written to the workbook.

Apart from `reengineering.research` so that the workbook writer needs nothing back from it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = ["CRITICALITY_TITLES", "NO_STAGE", "ResearchLists"]

NO_STAGE = "Этап не указан"
CRITICALITY_TITLES: dict[str, str] = {"low": "низкая", "medium": "средняя", "high": "высокая"}


@dataclass
class ResearchLists:
    """What the R4 step needs from the survey answers."""

    stages: list[str]
    responses: Counter[str] = field(default_factory=Counter)
    rating_sum: Counter[str] = field(default_factory=Counter)
    rated: Counter[str] = field(default_factory=Counter)
    # stage -> criticality ("low"/"medium"/"high"/"") -> count
    criticality: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
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
