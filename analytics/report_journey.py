"""The client journey of the segment profile: its stages, touchpoints, specifics, channels.

Seed 003 §2.2: «Профиль клиентского сегмента готовится в формате Excel и содержит сведения
об основных признаках для проведения сегментации, особенностях клиентского пути и
предпочтительных каналах взаимодействия с клиентами». The journey is the registry's: the
process's stages and its touchpoints with the needs served there, the channel and the
specifics of the interaction (seed 002 §2.2); the preferred channels are the channels the
feedback came through most.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.indexes import IndexRow
from analytics.report_common import CellGuard, channel_labels, frame_of
from analytics.report_xlsx import COUNT_FORMAT, SHARE_FORMAT, Sheet
from core.i18n import Translator
from registry.catalog import CLIENT_NEEDS
from storage.models import Process, Touchpoint

__all__ = ["journey_sheet", "preferred_channels", "process_touchpoints", "profile_journey"]


async def process_touchpoints(session: AsyncSession, process_id: int) -> list[Touchpoint]:
    """The process's active touchpoints, in the registry's order."""
    found = await session.scalars(
        sa.select(Touchpoint)
        .where(Touchpoint.process_id == process_id, Touchpoint.active)
        .order_by(Touchpoint.code)
    )
    return list(found)


def preferred_channels(
    touchpoints: Sequence[Touchpoint], responses: Mapping[int, int], _: Translator
) -> str:
    """The channels (ЕПГУ, МФЦ…) by the share of responses, most used first."""
    by_channel: dict[str, int] = {}
    for touchpoint in touchpoints:
        name = touchpoint.channel or touchpoint.name
        by_channel[name] = by_channel.get(name, 0) + responses.get(touchpoint.id, 0)
    total = sum(by_channel.values())
    if not total:
        return _("No responses yet: state the preferred channels as hypotheses.")
    ranked = sorted(by_channel.items(), key=lambda pair: (-pair[1], pair[0]))
    return "; ".join(f"{name} — {count / total:.0%}" for name, count in ranked if count)


def journey_sheet(
    process: Process,
    touchpoints: Sequence[Touchpoint],
    responses: Mapping[int, int],
    show: Callable[[int, float], Any],
    _: Translator,
) -> Sheet:
    """One row per stage of the journey, then one per touchpoint with its specifics.

    ``show(touchpoint_id, count)`` hides a count the privacy guard does not allow.
    """
    kinds = channel_labels(_)
    total = sum(responses.get(t.id, 0) for t in touchpoints)
    columns = [
        _("Journey step"),
        _("Touchpoint"),
        _("Channel"),
        _("Kind of channel"),
        _("Needs served"),
        _("Specifics of the interaction"),
        _("Number of responses"),
        _("Share of responses"),
    ]
    rows: list[dict[str, Any]] = [
        {columns[0]: f"{number}. {stage}"} for number, stage in enumerate(process.stages, 1)
    ]
    for touchpoint in touchpoints:
        count = responses.get(touchpoint.id, 0)
        needs = "; ".join(CLIENT_NEEDS.get(n, str(n)) for n in touchpoint.needs)
        rows.append(
            {
                columns[1]: touchpoint.name,
                columns[2]: touchpoint.channel,
                columns[3]: kinds.get(touchpoint.kind.value, touchpoint.kind.value),
                columns[4]: needs,
                columns[5]: touchpoint.specifics or kinds.get(touchpoint.kind.value, ""),
                columns[6]: show(touchpoint.id, count),
                columns[7]: show(touchpoint.id, count / total) if total else None,
            }
        )
    return Sheet(
        _("Client journey"),
        frame_of(rows, columns),
        {columns[6]: COUNT_FORMAT, columns[7]: SHARE_FORMAT},
        wrap=(columns[4], columns[5]),
    )


def profile_journey(
    process: Process,
    touchpoints: Sequence[Touchpoint],
    rows: Sequence[IndexRow],
    hidden: Callable[[int], bool],
    guard: CellGuard,
    info: list[tuple[str, Any]],
    _: Translator,
) -> Sheet:
    """The journey sheet of a profile; its stages and preferred channels join ``info``.

    ``hidden(touchpoint_id)`` says whether the privacy guard hides a touchpoint's counts.
    """
    responses = {t.id: sum(r.n for r in rows if r.keys["touchpoint"] == t.id) for t in touchpoints}

    def show(touchpoint_id: int, value: float) -> Any:
        return guard.show(value, hidden(touchpoint_id))

    concealed = any(hidden(t.id) for t in touchpoints)
    info.append((_("Stages of the client journey"), " → ".join(process.stages) or "—"))
    preferred = guard.marker if concealed else preferred_channels(touchpoints, responses, _)
    info.append((_("Preferred channels of interaction"), preferred))
    return journey_sheet(process, touchpoints, responses, show, _)
