"""The figures of bench/survey_throughput.py: the README's table and the report around it."""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Sequence

from _survey_phases import Options, Phase, Round


def table(result: Round) -> list[str]:
    real, echo = result.otklik, result.echo

    def row(name: str, otklik: str, baseline: str, ratio: str = "") -> str:
        return f"| {name} | {otklik} | {baseline} | {ratio} |"

    def both(name: str, fmt: str, attribute: str) -> str:
        return row(
            name, format(getattr(real, attribute), fmt), format(getattr(echo, attribute), fmt)
        )

    def latency(phase: Phase) -> str:
        return f"{phase.latency_median:.2f} / {phase.latency_p95:.2f} / {phase.latency_max:.2f}"

    return [
        row("", "Otklik (real bot)", "echo bot", "real/echo"),
        "|---|---:|---:|---:|",
        row(
            "updates/s",
            f"{real.updates_per_s:.0f}",
            f"{echo.updates_per_s:.0f}",
            f"**{result.ratio:.2f}**",
        ),
        both("questionnaires/s", ".1f", "questionnaires_per_s"),
        row(
            "questionnaires completed",
            f"{real.completed}/{real.respondents}",
            f"{echo.completed}/{echo.respondents}",
        ),
        row("`responses` rows", str(real.responses_rows), "—"),
        row(
            "updates answered / sent / planned",
            f"{real.answered} / {real.updates} / {real.planned}",
            f"{echo.answered} / {echo.updates} / {echo.planned}",
        ),
        both("time to the last answer, s", ".1f", "seconds"),
        both("wall time (incl. waiting for stuck respondents), s", ".1f", "wall"),
        row("answer latency median / p95 / max, s", latency(real), latency(echo)),
        both("CPU of the bot process, s", ".1f", "bot_cpu"),
        row(
            "bot CPU per answered update, ms",
            f"{real.cpu_ms_per_update:.1f}",
            f"{echo.cpu_ms_per_update:.1f}",
            f"{real.cpu_ms_per_update / echo.cpu_ms_per_update:.1f}×"
            if echo.cpu_ms_per_update
            else "",
        ),
        both("CPU of the driver (sandbox + respondents), s", ".1f", "driver_cpu"),
        both("bot peak memory (VmHWM), MB", ".0f", "peak_mb"),
    ]


def report(rounds: Sequence[Round], options: Options) -> list[str]:
    lines = [
        f"Run {time.strftime('%Y-%m-%d %H:%M')} on {os.cpu_count()} cores "
        f"({platform.machine()}, Python {platform.python_version()}); 1-minute load average "
        f"{options.load_before:.1f} before the run and {os.getloadavg()[0]:.1f} after it (the "
        f"machine is shared). The driver (sandbox + simulated respondents) runs in the benchmark "
        f"process on the same cores. Callback answer deadline {options.ttl:g} s, per-answer "
        f"timeout {options.answer_timeout:g} s, phase deadline {options.deadline:g} s."
    ]
    for result in rounds:
        lines += ["", f"#### {result.respondents} concurrent respondents", "", *table(result)]
        goals = ", ".join(
            f"{name}: {'met' if ok else '**not met**'}" for name, ok in result.goals.items()
        )
        lines += ["", f"Goals — {goals}."]
        for phase in (result.otklik, result.echo):
            problems = [*phase.failures]
            if phase.log_issues:
                problems.append(f"bot log: {phase.log_issues}")
            if phase.api_errors:
                problems.append(f"Bot API errors by code: {phase.api_errors}")
            if problems:
                lines += ["", f"Problems ({phase.bot}): " + "; ".join(problems) + "."]
    return lines


def print_report(lines: Sequence[str]) -> None:
    print()
    for line in lines:
        print(line)
