"""The names of the reports, apart from their pandas code so that the CLI starts light."""

from __future__ import annotations

REPORT_KINDS: dict[str, str] = {
    "dynamics": "Динамика удовлетворённости",
    "pain-map": "Карта болей",
    "segments": "Профиль клиентских сегментов",
    "internal": "Сравнение результатов опросов внутренних клиентов",
}

REPORT_CHOICES: dict[str, str] = {
    **REPORT_KINDS,
    "action-plan": "План мероприятий по реинжинирингу",
}
