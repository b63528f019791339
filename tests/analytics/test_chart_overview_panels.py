"""The overview chart says its month and ranks citizens' and employees' services apart (#17.3:
«the overview chart's title names the month, its labels are not cut where it matters, and
citizens' and employees' services are ranked apart»)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from matplotlib.figure import Figure

from analytics import chart_overview
from analytics.chart_overview import OverviewRow, overview_chart

LONG = "Выплата компенсации расходов на оплату жилого помещения и коммунальных услуг"


def drawn(monkeypatch: pytest.MonkeyPatch, rows: list[OverviewRow], **options: Any) -> Figure:
    """The figure as drawn, taken at the moment it is saved (the PNG is still written)."""
    figures: list[Figure] = []
    real_save = chart_overview.save

    def keep(fig: Figure, out: Any) -> None:
        figures.append(fig)
        real_save(fig, out)

    monkeypatch.setattr(chart_overview, "save", keep)
    buffer = io.BytesIO()
    overview_chart(rows, buffer, locale="ru", **options)
    assert buffer.getvalue().startswith(b"\x89PNG")
    [figure] = figures
    return figure


def test_two_panels_a_month_and_labels_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [
        OverviewRow(f"{LONG} — категория {n}", 3.0 + n / 10, 0.5, 20, n == 1) for n in range(4)
    ] + [
        OverviewRow("Техническая поддержка рабочих мест", 3.2, 0.6, 12, False, internal=True),
        OverviewRow("Бухгалтерия", 4.6, 0.9, 9, False, internal=True),
    ]
    figure = drawn(monkeypatch, rows, period="февраль 2025")
    assert (
        figure.get_suptitle()
        == "Удовлетворённость по процессам за февраль 2025: от худших к лучшим"
    )
    citizens, employees = figure.axes
    assert citizens.get_title(loc="left") == "Услуги для граждан"
    assert employees.get_title(loc="left") == "Внутренние сервисы для сотрудников"
    services = [label.get_text() for label in citizens.get_yticklabels()]
    assert len(services) == 4 and len(set(services)) == 4
    assert all("…" in label and label[-1].isdigit() for label in services)
    assert [label.get_text() for label in employees.get_yticklabels()] == [
        "Техническая поддержка рабочих мест",
        "Бухгалтерия",
    ], "ranked worst first within the employees' panel"


def test_one_kind_of_service_draws_one_panel_without_a_panel_title(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    figure = drawn(monkeypatch, [OverviewRow("Один процесс", 4.1, None, 12, True)])
    [axes] = figure.axes
    assert axes.get_title(loc="left") == ""
    assert figure.get_suptitle() == "Удовлетворённость по процессам: от худших к лучшим"
