"""The client segment profile of seed 003 §2.2 from the last two years of feedback, or a
template for hypotheses when there is no data."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.indexes import IndexRow, latest_version, monthly_index, months_back
from analytics.report_common import (
    ALL_SEGMENTS,
    CHANNEL_LABELS,
    CLIENT_LABELS,
    NO_SEGMENT,
    CellGuard,
    ReportSummary,
    cell_of,
    check_min_cell,
    first_of_month,
    frame_of,
    info_sheet,
    option_labels,
    path_of,
    process_of,
    questionnaires_of,
    version_text,
    write_sheets,
)
from analytics.report_kinds import REPORT_KINDS
from analytics.report_xlsx import (
    COUNT_FORMAT,
    MEAN_FORMAT,
    SHARE_FORMAT,
    Output,
    Sheet,
)
from core.periods import month_end
from core.russian import month_range_ru
from storage.models import (
    ClientType,
    Response,
    Touchpoint,
)

# ----------------------------------------------------------------------------- 3. segments


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


async def segment_profile(
    session: AsyncSession,
    out: Output,
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
    check_min_cell(min_cell)
    process, direction = await process_of(session, process_id)
    window = months_back(first_of_month(until), 24)
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
    people: dict[str, dict[tuple[Any, ...], int]] = {}
    if internal:
        scope = (
            Response.process_id == process_id,
            Response.month >= window[0],
            Response.month <= window[-1],
        )
        people = {
            "segment": await _distinct(session, [Response.segment], *scope),
            "version": await _distinct(
                session, [Response.segment], Response.questionnaire_id == version_id, *scope
            ),
            "channel": await _distinct(session, [Response.segment, Response.channel], *scope),
            "touchpoint": await _distinct(
                session, [Response.segment, Response.touchpoint_id], *scope
            ),
            "all": await _distinct(session, [], *scope),
            "all_version": await _distinct(
                session, [], Response.questionnaire_id == version_id, *scope
            ),
            "all_channel": await _distinct(session, [Response.channel], *scope),
            "all_touchpoint": await _distinct(session, [Response.touchpoint_id], *scope),
        }

    guard = CellGuard(min_cell)

    def hide(kind: str, key: tuple[Any, ...]) -> bool:
        return internal and guard.hides(True, people.get(kind, {}).get(key, 0))

    seen = {r.keys["segment"] for r in rows}
    order: list[str | None] = [s for s in segment_labels if s in seen]
    order += sorted(str(s) for s in seen if s is not None and s not in segment_labels)
    if None in seen:
        order.append(None)
    if not rows:
        order = list(segment_labels)  # an empty template to fill with hypotheses

    total = sum(r.n for r in rows)
    touchpoints = await _touchpoints(session, process_id, {r.keys["touchpoint"] for r in rows})
    profile: list[dict[str, Any]] = []
    channels: list[dict[str, Any]] = []
    groups: list[tuple[str, list[IndexRow], tuple[Any, ...], str, str]] = [
        (
            segment_labels.get(s, s) if s is not None else NO_SEGMENT,
            [r for r in rows if r.keys["segment"] == s],
            (s,),
            "segment",
            "version",
        )
        for s in order
    ]
    if rows:
        groups.append((ALL_SEGMENTS, list(rows), (), "all", "all_version"))
    for label, group, key, kind, version_kind in groups:
        every = cell_of(group)
        scored = cell_of(r for r in group if r.questionnaire_id == version_id)
        hidden = hide(kind, key)
        hidden_score = hidden or hide(version_kind, key)
        profile.append(
            {
                "Сегмент": label,
                "Число ответов": guard.show(every.n, hidden),
                "Доля ответов": guard.show(every.n / total if total else None, hidden),
                "Средняя оценка": guard.show(scored.mean, hidden_score),
                "CSAT": guard.show(scored.csat, hidden_score),
            }
        )
        channels.append(_channel_row(label, group, key, touchpoints, guard, hide, key == ()))

    profile_columns = ["Сегмент", "Число ответов", "Доля ответов", "Средняя оценка", "CSAT"]
    digital, offline = CHANNEL_LABELS["digital"], CHANNEL_LABELS["offline"]
    channel_columns = [
        "Сегмент",
        f"{digital}: ответов",
        f"{offline}: ответов",
        f"{digital}: доля",
        f"{offline}: доля",
        "Предпочтительный канал",
        *touchpoints.values(),
    ]
    period = month_range_ru(window[0], window[-1])
    if rows:
        source = (
            "Профиль сформирован по данным обратной связи клиентов процесса (ответы на анкеты "
            f"в точках взаимодействия) за два года: {period} (п. 2.2 Порядка проведения "
            "реинжиниринга)."
        )
    else:
        source = (
            f"За два года ({period}) данных обратной связи по процессу нет. Профиль клиентского "
            "сегмента формируется на основании гипотез о потенциальном клиенте, в интересах "
            "которого осуществляется процесс (п. 2.2 Порядка): сформулируйте гипотезы о "
            "признаках сегментов, особенностях клиентского пути и предпочтительных каналах "
            "взаимодействия."
        )
    info = [
        ("Отчёт", REPORT_KINDS["segments"]),
        ("Процесс", f"{process.code} — {process.name}"),
        ("Направление деятельности", direction),
        ("Клиенты", CLIENT_LABELS[process.client_type]),
        ("Период", period),
        ("Начало периода", window[0]),
        ("Конец периода", until),
        ("Число ответов", total),
        ("Основание", source),
        ("Признак сегментации", "Категория клиента: ответ на вопрос анкеты «Кем вы обратились?»."),
        (
            "Предпочтительные каналы",
            "Доли ответов, полученных в цифровых и офлайн-точках взаимодействия (лист «Каналы»).",
        ),
        (
            "Средняя оценка и CSAT",
            f"По анкете: {version_text(questionnaire)}; CSAT — доля "
            "оценок двух высших баллов шкалы.",
        ),
    ]
    if internal:
        info.append(
            (
                "Защита данных",
                f"Значения, рассчитанные менее чем по {min_cell} "
                f"респондентам-сотрудникам, скрыты («{guard.marker}»).",
            )
        )
    sheets = [
        Sheet(
            "Профиль сегментов",
            frame_of(profile, profile_columns),
            {
                "Число ответов": COUNT_FORMAT,
                "Доля ответов": SHARE_FORMAT,
                "Средняя оценка": MEAN_FORMAT,
                "CSAT": SHARE_FORMAT,
            },
        ),
        Sheet(
            "Каналы",
            frame_of(channels, channel_columns),
            {c: COUNT_FORMAT for c in channel_columns if c.endswith("ответов")}
            | {c: SHARE_FORMAT for c in channel_columns if c.endswith("доля")}
            | {c: COUNT_FORMAT for c in touchpoints.values()},
        ),
        info_sheet(info),
    ]
    await write_sheets(out, sheets)
    return ReportSummary(
        kind="segments",
        title=REPORT_KINDS["segments"],
        path=path_of(out),
        sheets=tuple(s.name for s in sheets),
        rows=len(profile),
        responses=total,
        suppressed=guard.hidden,
        period=(window[0], until),
        notes=(source,),
    )


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
    return {t.id: f"{t.name} ({t.code})" for t in found}


def _channel_row(
    label: str,
    group: Sequence[IndexRow],
    key: tuple[Any, ...],
    touchpoints: Mapping[int, str],
    guard: CellGuard,
    hide: Callable[[str, tuple[Any, ...]], bool],
    everyone: bool,
) -> dict[str, Any]:
    """Preferred channels of one segment: digital vs offline counts, shares and touchpoints."""
    digital, offline = CHANNEL_LABELS["digital"], CHANNEL_LABELS["offline"]
    n = {
        channel: sum(r.n for r in group if r.keys["channel"] == channel)
        for channel in CHANNEL_LABELS
    }
    both = sum(n.values())
    row: dict[str, Any] = {"Сегмент": label}
    hidden_any = False
    for channel, name in CHANNEL_LABELS.items():
        hidden = hide("all_channel" if everyone else "channel", (*key, channel))
        hidden_any = hidden_any or hidden
        row[f"{name}: ответов"] = guard.show(n[channel], hidden)
        row[f"{name}: доля"] = guard.show(n[channel] / both if both else None, hidden)
    if both and not hidden_any:
        if n["digital"] == n["offline"]:
            row["Предпочтительный канал"] = "Поровну"
        else:
            row["Предпочтительный канал"] = digital if n["digital"] > n["offline"] else offline
    for touchpoint_id, name in touchpoints.items():
        count = sum(r.n for r in group if r.keys["touchpoint"] == touchpoint_id)
        hidden = hide("all_touchpoint" if everyone else "touchpoint", (*key, touchpoint_id))
        row[name] = guard.show(count, hidden)
    return row
