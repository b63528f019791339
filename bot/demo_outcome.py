"""What `otklik demo` leaves and says: its narration, charts, reports and closing summary.

Apart from bot/demo.py, which plays the simulated people against the sandbox, so that the
part which only reads the database and prints stays small and knows no sandbox.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from analytics.chart_overview import OverviewRow, overview_chart
from analytics.chart_trend import trend_chart
from analytics.render import OUT, render
from analytics.scan import rules_from
from analytics.summary import summarize_processes
from analytics.wording import collection_labels, collection_order
from bot.reports import build_report
from core.i18n import Translator, translator
from core.russian import month_ru
from core.settings import Settings
from storage.database import SessionPool, read_only_of
from storage.models import ClientType, Process


@dataclass
class DemoLog:
    """The narration, in the locale of whoever runs the demo (`_`)."""

    _: Translator = field(default_factory=translator)
    lines: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    def seconds(self) -> str:
        """Time since the start, e.g. «  3.2 с»."""
        return self._("{seconds} s").format(seconds=f"{time.monotonic() - self.started:5.1f}")

    def say(self, text: str) -> None:
        line = f"[{self.seconds()}] {text}"
        self.lines.append(line)
        print(line, flush=True)


async def save_charts_and_reports(
    pool: SessionPool, settings: Settings, month: date, folder: Path, declining_code: str
) -> None:
    """The declining process's trend, the overview chart and four workbooks, into `folder`."""
    # Read-only, charts in the drawing worker: the bot's writers and the sandbox's loop go on.
    async with read_only_of(pool)() as session, session.begin():
        process_ids = list((await session.scalars(sa.select(Process.id))).all())
        summaries = await summarize_processes(
            session,
            process_ids,
            translator(settings.locale),
            month=month,
            rules=rules_from(settings),
            details=False,
        )
        declining = next(s for s in summaries if s.code == declining_code)
        assert declining.series is not None
        await render(
            trend_chart,
            declining.name,
            declining.series.points,
            declining.verdict,
            OUT,
            out=folder / f"trend-{declining_code}.png",
            locale=settings.locale,
            scale_max=declining.series.scale_max,
            min_responses=settings.decline_min_responses,
        )
        await render(
            overview_chart,
            [
                OverviewRow(
                    s.name,
                    s.last_mean,
                    s.last_csat,
                    s.last_n,
                    bool(s.verdict and s.verdict.triggered),
                    s.internal,
                )
                for s in summaries
            ],
            OUT,
            out=folder / "overview.png",
            locale=settings.locale,
            period=month_ru(month) if settings.locale == "ru" else f"{month:%B %Y}",
        )
        for kind, code in (
            ("dynamics", None),
            ("pain-map", declining_code),
            ("segments", declining_code),
            ("internal", None),
        ):
            name = f"{kind}-{code}.xlsx" if code else f"{kind}.xlsx"
            await build_report(
                session,
                kind,
                folder / name,
                translator(settings.locale),
                process_code=code,
                case_id=None,
                month=month,
                settings=settings,
            )


def print_outcome(
    live: dict[tuple[ClientType, str], int],
    total: int,
    *,
    citizens: dict[str, int],
    employees: int,
    messages: int,
    out: Path,
    database: Path,
    log: DemoLog,
) -> int:
    """Prints the summary; 0 when every answer this run's people gave was stored.

    `live` counts this run's answers by client type and collection channel; `citizens` says
    how many citizens answered in each channel (employees answer in Telegram).
    """
    _ = log._
    labels = collection_labels(_)
    internal = sum(n for (kind, _via), n in live.items() if kind == ClientType.INTERNAL)
    by_channel: dict[str, int] = {}
    for (_kind, via), count in live.items():
        by_channel[via] = by_channel.get(via, 0) + count
    of = _("{count} of {total}")
    rows: list[tuple[str, object]] = [
        (
            _("answers of citizens in this run, {channel}:").format(channel=labels.get(via, via)),
            of.format(count=live.get((ClientType.EXTERNAL, via), 0), total=played),
        )
        for via, played in citizens.items()
    ]
    rows += [
        (_("answers of employees in this run:"), of.format(count=internal, total=employees)),
        (
            _("answers of this run by collection channel:"),
            " · ".join(
                f"{labels.get(via, via)} {by_channel[via]}"
                for via in sorted(by_channel, key=collection_order)
            ),
        ),
        (_("answers in the database with the history:"), total),
        (_("messages sent by the bot:"), messages),
        (_("charts and reports:"), out / "reports"),
        (_("database:"), database),
        (_("time:"), _("{seconds} s").format(seconds=f"{time.monotonic() - log.started:.1f}")),
    ]
    width = max(len(label) for label, _value in rows) + 2
    print()
    print(_("Demo summary"))
    for label, value in rows:
        print(f"  {label.ljust(width)}{value}")
    stored = all(live.get((ClientType.EXTERNAL, via), 0) == n for via, n in citizens.items())
    return 0 if stored and internal == employees else 1
