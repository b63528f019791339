"""The decline alert speaks the settings' language: Russian by default, English msgids in en."""

from __future__ import annotations

from core.i18n import translator
from jobs.scan import _alert_text
from storage.models import DeclineDetection, Process, Touchpoint


def test_the_alert_in_russian_and_in_english() -> None:
    process = Process(name="Выдача <справок>", code="P-1")
    detection = DeclineDetection(level="process", reason="CSI 3.1 < 4.0")
    ru = _alert_text(process, detection, translator("ru"))
    assert ru.startswith(
        "<b>🔻 Снижение удовлетворённости</b> по процессу «Выдача &lt;справок&gt;» (P-1)."
    )
    assert "CSI 3.1 &lt; 4.0" in ru
    assert ru.endswith("устойчивое снижение удовлетворённости.")
    touchpoint = DeclineDetection(level="touchpoint", reason="r")
    assert _alert_text(process, touchpoint, translator("ru")).startswith(
        "<b>⚠️ Предупреждение</b> по одной из точек взаимодействия процесса «Выдача &lt;справок&gt;»"
    )
    # Issue #17 point 8: the warning names the touchpoint, and its own «…» do not nest.
    place = Touchpoint(name="Официальный сайт, раздел «Социальный контракт»", code="T-1")
    assert _alert_text(process, touchpoint, translator("ru"), touchpoint=place).startswith(
        "<b>⚠️ Предупреждение</b> по точке взаимодействия «Официальный сайт, раздел „Социальный "
        "контракт“» (T-1) процесса «Выдача &lt;справок&gt;»."
    )
    en = _alert_text(process, detection, translator("en"))
    assert en.startswith("<b>🔻 Satisfaction decline</b> for the process")
