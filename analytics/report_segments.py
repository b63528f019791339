"""The client segment profile of seed 003 §2.2 from the last two years of feedback, or a
template for hypotheses when there is no data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.indexes import IndexRow, latest_version, monthly_index, months_back
from analytics.report_common import (
    CellGuard,
    ReportSummary,
    cell_of,
    channel_labels,
    check_min_cell,
    client_labels,
    first_of_month,
    frame_of,
    info_sheet,
    option_labels,
    path_of,
    process_of,
    questionnaires_of,
    report_head,
    version_text,
    write_sheets,
)
from analytics.report_journey import process_touchpoints, profile_journey
from analytics.report_kinds import REPORT_KINDS
from analytics.report_xlsx import COUNT_FORMAT, MEAN_FORMAT, SHARE_FORMAT, Output, Sheet
from core.i18n import Translator
from core.periods import month_end
from core.russian import month_range_ru
from storage.models import ClientType, Process, Questionnaire, Response, Touchpoint

# The title is looked up by name: a literal inside `_()` is what gettext extracts.
_TITLE = REPORT_KINDS["segments"]

PROFILE_MONTHS = 24

# A group of the profile: its label, its rollup rows, its key among the distinct counts,
# and the kinds of those counts for all its answers and for the scored version's.
_Group = tuple[str, list[IndexRow], tuple[Any, ...], str, str]


async def _distinct(
    session: AsyncSession,
    columns: Sequence[Any],
    *conditions: sa.ColumnElement[bool],
) -> dict[tuple[Any, ...], int]:
    """COUNT(DISTINCT respondent_key) of internal rated responses per group of ``columns``."""
    result = await session.execute(
        sa.select(*columns, sa.func.count(sa.distinct(Response.respondent_key)))
        .where(
            Response.client_type == ClientType.INTERNAL, Response.rating.is_not(None), *conditions
        )
        .group_by(*columns)
    )
    return {tuple(row[:-1]): int(row[-1]) for row in result}


@dataclass
class _Profile:
    """What every row of the profile reads: the rows, the distinct respondents, the guard."""

    translate: Translator
    session: AsyncSession
    rows: list[IndexRow]
    version_id: int | None
    internal: bool
    people: Mapping[str, Mapping[tuple[Any, ...], int]]
    guard: CellGuard
    touchpoints: dict[int, str]

    def hide(self, kind: str, key: tuple[Any, ...]) -> bool:
        people = self.people.get(kind, {}).get(key, 0)
        return self.internal and self.guard.hides(True, people)

    @property
    def total(self) -> int:
        return sum(r.n for r in self.rows)

    @property
    def channels(self) -> dict[str, str]:
        return channel_labels(self.translate)

    def answered(self, channel: str) -> str:
        _ = self.translate
        return _("{channel}: responses").format(channel=channel)

    def share(self, channel: str) -> str:
        _ = self.translate
        return _("{channel}: share").format(channel=channel)


async def segment_profile(
    session: AsyncSession,
    out: Output,
    _: Translator,
    *,
    process_id: int,
    until: date,
    min_cell: int = 5,
) -> ReportSummary:
    """The client segment profile of a process from the feedback of the last 24 months.

    Seed 003 §2.2 asks for segmentation attributes, journey specifics and preferred channels
    from two years of data, or hypotheses when the process did not run. Counts and channel
    shares use every response of the period; the mean score and CSAT only the questionnaire
    version with the latest data, since versions are not averaged together.
    """
    check_min_cell(min_cell, _)
    process, direction = await process_of(session, process_id, _)
    window = months_back(first_of_month(until), PROFILE_MONTHS)
    until = month_end(until)
    rows = await monthly_index(
        session,
        by=("segment", "channel", "touchpoint", "client_type"),
        process_ids=[process_id],
        since=window[0],
        until=window[-1],
    )
    questionnaires = await questionnaires_of(session)
    version_id = latest_version(rows)
    questionnaire = questionnaires.get(version_id) if version_id is not None else None
    segment_labels = option_labels(
        [q for q in questionnaires.values() if q.audience == process.client_type]
        or questionnaires.values(),
        "segment",
    )
    internal = any(r.keys["client_type"] == ClientType.INTERNAL for r in rows)
    people = await _people(session, process_id, window, version_id) if internal else {}
    touchpoints = await _touchpoints(session, process_id, {r.keys["touchpoint"] for r in rows})
    found = _Profile(
        _, session, rows, version_id, internal, people, CellGuard(min_cell), touchpoints
    )
    profile, channels = _tables(found, _groups(found, segment_labels))
    period = month_range_ru(window[0], window[-1])
    source = _source(found, period)
    info = _info(found, process, direction, questionnaire, (window[0], until), period, source)
    journey = await _journey(found, process, info)
    sheets = [*_sheets(found, profile, channels), journey, info_sheet(info, _)]
    head = await report_head(session, _(_TITLE), (window[0], until), _, process=process.name)
    await write_sheets(out, sheets, head)
    return ReportSummary(
        kind="segments",
        title=REPORT_KINDS["segments"],
        path=path_of(out),
        sheets=tuple(s.name for s in sheets),
        rows=len(profile),
        responses=found.total,
        suppressed=found.guard.hidden,
        period=(window[0], until),
        notes=(source,),
    )


async def _journey(found: _Profile, process: Process, info: list[tuple[str, Any]]) -> Sheet:
    """§2.2: the journey's specifics and the preferred channels, from the registry and feedback."""
    touchpoints = await process_touchpoints(found.session, process.id)
    return profile_journey(
        process, touchpoints, found.rows, lambda t: found.hide("all_touchpoint", (t,)),
        found.guard, info, found.translate,
    )  # fmt: skip


async def _people(
    session: AsyncSession, process_id: int, window: Sequence[date], version_id: int | None
) -> dict[str, dict[tuple[Any, ...], int]]:
    """Distinct internal respondents of every group the profile shows, by kind of group."""
    scope = (
        Response.process_id == process_id,
        Response.month >= window[0],
        Response.month <= window[-1],
    )
    version = Response.questionnaire_id == version_id
    return {
        "segment": await _distinct(session, [Response.segment], *scope),
        "version": await _distinct(session, [Response.segment], version, *scope),
        "channel": await _distinct(session, [Response.segment, Response.channel], *scope),
        "touchpoint": await _distinct(session, [Response.segment, Response.touchpoint_id], *scope),
        "all": await _distinct(session, [], *scope),
        "all_version": await _distinct(session, [], version, *scope),
        "all_channel": await _distinct(session, [Response.channel], *scope),
        "all_touchpoint": await _distinct(session, [Response.touchpoint_id], *scope),
    }


def _groups(found: _Profile, segment_labels: Mapping[str, str]) -> list[_Group]:
    """The segments in questionnaire order, others after them, then everyone together."""
    _, rows = found.translate, found.rows
    seen = {r.keys["segment"] for r in rows}
    order: list[str | None] = [s for s in segment_labels if s in seen]
    order += sorted(str(s) for s in seen if s is not None and s not in segment_labels)
    if None in seen:
        order.append(None)
    if not rows:
        order = list(segment_labels)  # an empty template to fill with hypotheses
    groups: list[_Group] = [
        (
            segment_labels.get(s, s) if s is not None else _("Not specified (segment)"),
            [r for r in rows if r.keys["segment"] == s],
            (s,),
            "segment",
            "version",
        )
        for s in order
    ]
    if rows:
        groups.append((_("All segments"), list(rows), (), "all", "all_version"))
    return groups


def _tables(
    found: _Profile, groups: Sequence[_Group]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The profile rows (answers, share, mean, CSAT) and the channel rows of every group."""
    _, guard, total = found.translate, found.guard, found.total
    profile: list[dict[str, Any]] = []
    channels: list[dict[str, Any]] = []
    for label, group, key, kind, version_kind in groups:
        every = cell_of(group)
        scored = cell_of(r for r in group if r.questionnaire_id == found.version_id)
        hidden = found.hide(kind, key)
        hidden_score = hidden or found.hide(version_kind, key)
        profile.append(
            {
                _("Segment"): label,
                _("Number of responses"): guard.show(every.n, hidden),
                _("Share of responses"): guard.show(every.n / total if total else None, hidden),
                _("Mean score"): guard.show(scored.mean, hidden_score),
                "CSAT": guard.show(scored.csat, hidden_score),
            }
        )
        channels.append(_channel_row(found, label, group, key, key == ()))
    return profile, channels


def _source(found: _Profile, period: str) -> str:
    """What the profile rests on: two years of feedback, or hypotheses when there is none."""
    _ = found.translate
    if found.rows:
        return _(
            "The profile is built from the feedback of the process's clients (answers to the "
            "questionnaires at the touchpoints) over two years: {period} (clause 2.2 of the "
            "Procedure for reengineering)."
        ).format(period=period)
    return _(
        "There is no feedback on the process for two years ({period}). The profile of the client "
        "segment is built from hypotheses about the potential client in whose interest the "
        "process is run (clause 2.2 of the Procedure): state hypotheses about the features of the "
        "segments, the specifics of the client journey and the preferred channels of interaction."
    ).format(period=period)


def _info(
    found: _Profile,
    process: Process,
    direction: str,
    questionnaire: Questionnaire | None,
    span: tuple[date, date],
    period: str,
    source: str,
) -> list[tuple[str, Any]]:
    _ = found.translate
    info: list[tuple[str, Any]] = [
        (_("Report"), _(_TITLE)),
        (_("Process"), process.name),
        (_("Line of activity"), direction),
        (_("Clients"), client_labels(_)[process.client_type]),
        (_("Period"), period),
        (_("Start of the period"), span[0]),
        (_("End of the period"), span[1]),
        (_("Number of responses"), found.total),
        (_("Basis"), source),
        (
            _("Segmentation attribute"),
            _("Client category: the answer to the questionnaire's question «Who are you?»."),
        ),
        (
            _("Preferred channels"),
            _(
                "Shares of responses received at digital and offline touchpoints "
                "(the sheet «Channels»)."
            ),
        ),
        (
            _("Mean score and CSAT"),
            _(
                "By the questionnaire: {version}; CSAT is the share of scores in the two "
                "highest points of the scale."
            ).format(version=version_text(questionnaire, _)),
        ),
    ]
    if found.internal:
        info.append(
            (
                _("Data protection"),
                _(
                    "Values computed from fewer than {count} respondent employees are hidden "
                    "(«{marker}»)."
                ).format(count=found.guard.min_cell, marker=found.guard.marker),
            )
        )
    return info


def _sheets(
    found: _Profile, profile: list[dict[str, Any]], channels: list[dict[str, Any]]
) -> list[Sheet]:
    _ = found.translate
    profile_columns = [
        _("Segment"),
        _("Number of responses"),
        _("Share of responses"),
        _("Mean score"),
        "CSAT",
    ]
    names = list(found.channels.values())
    channel_columns = [
        _("Segment"),
        *(found.answered(name) for name in names),
        *(found.share(name) for name in names),
        _("Preferred channel"),
        *found.touchpoints.values(),
    ]
    channel_formats = (
        {found.answered(name): COUNT_FORMAT for name in names}
        | {found.share(name): SHARE_FORMAT for name in names}
        | {c: COUNT_FORMAT for c in found.touchpoints.values()}
    )
    return [
        Sheet(
            _("Profile of segments (sheet)"),
            frame_of(profile, profile_columns),
            {
                _("Number of responses"): COUNT_FORMAT,
                _("Share of responses"): SHARE_FORMAT,
                _("Mean score"): MEAN_FORMAT,
                "CSAT": SHARE_FORMAT,
            },
        ),
        Sheet(_("Channels"), frame_of(channels, channel_columns), channel_formats),
    ]


async def _touchpoints(session: AsyncSession, process_id: int, seen: set[Any]) -> dict[int, str]:
    """Column header per touchpoint: the process's active ones and any with answers."""
    found = await session.scalars(
        sa.select(Touchpoint)
        .where(
            sa.or_(
                sa.and_(Touchpoint.process_id == process_id, Touchpoint.active),
                Touchpoint.id.in_([t for t in seen if t is not None]),
            )
        )
        .order_by(Touchpoint.code)
    )
    return _headers({t.id: t.name for t in found})


def _headers(names: Mapping[int, str]) -> dict[int, str]:
    """Touchpoints by their names, as people know them (no registry codes in a header); a
    name met twice gets a number, so two touchpoints never share a column."""
    seen: dict[str, int] = {}
    headers: dict[int, str] = {}
    for touchpoint_id, name in names.items():
        seen[name] = seen.get(name, 0) + 1
        headers[touchpoint_id] = name if seen[name] == 1 else f"{name} ({seen[name]})"
    return headers


def _channel_row(
    found: _Profile,
    label: str,
    group: Sequence[IndexRow],
    key: tuple[Any, ...],
    everyone: bool,
) -> dict[str, Any]:
    """Preferred channels of one segment: digital vs offline counts, shares and touchpoints."""
    _, guard, labels = found.translate, found.guard, found.channels
    n = {channel: sum(r.n for r in group if r.keys["channel"] == channel) for channel in labels}
    both = sum(n.values())
    row: dict[str, Any] = {_("Segment"): label}
    hidden_any = False
    for channel, name in labels.items():
        hidden = found.hide("all_channel" if everyone else "channel", (*key, channel))
        hidden_any = hidden_any or hidden
        row[found.answered(name)] = guard.show(n[channel], hidden)
        row[found.share(name)] = guard.show(n[channel] / both if both else None, hidden)
    if both and not hidden_any:
        digital, offline = labels["digital"], labels["offline"]
        if n["digital"] == n["offline"]:
            row[_("Preferred channel")] = _("Equally")
        else:
            row[_("Preferred channel")] = digital if n["digital"] > n["offline"] else offline
    for touchpoint_id, name in found.touchpoints.items():
        count = sum(r.n for r in group if r.keys["touchpoint"] == touchpoint_id)
        kind = "all_touchpoint" if everyone else "touchpoint"
        row[name] = guard.show(count, found.hide(kind, (*key, touchpoint_id)))
    return row
