"""The figures of bench/channel_throughput.py: Telegram and MAX side by side, and the cap.

MAX allows 30 requests a second and counts every one (the long poll too), so with the
stand-in's limits on the bot's MAX throughput cannot exceed 30 ÷ (requests per answered
update); the report does that arithmetic with the requests the stand-in actually served.
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from _survey_phases import MAX_REQUESTS_PER_S, Options, Phase

REQUEST_NAMES = {  # the stand-ins' operation names, as the README's arithmetic spells them
    "sendmessage": "sendMessage",
    "editmessage": "editMessage",
    "editmessagetext": "editMessageText",
    "answeroncallback": "answerOnCallback",
    "answercallbackquery": "answerCallbackQuery",
    "getupdates": "getUpdates",
}


@dataclass
class ChannelRound:
    respondents: int
    telegram: Phase
    max: Phase | None
    """MAX with the stand-in's 30 requests a second on (None with `--max-limits off`)."""
    unlimited: Phase | None
    """MAX with the stand-in's limits off (with `--max-limits off` or `both`)."""

    @property
    def phases(self) -> list[Phase]:
        return [p for p in (self.telegram, self.max, self.unlimited) if p is not None]

    def ratio(self, phase: Phase | None) -> float:
        """MAX real / Telegram real, in updates/s."""
        base = self.telegram.updates_per_s
        return phase.updates_per_s / base if phase is not None and base else 0.0

    def completed(self, phase: Phase) -> bool:
        return phase.completed == self.respondents and phase.responses_rows == self.respondents

    @property
    def all_completed(self) -> bool:
        return all(self.completed(phase) for phase in self.phases)


def latency(phase: Phase) -> str:
    return f"{phase.latency_median:.2f} / {phase.latency_p95:.2f} / {phase.latency_max:.2f}"


def header(phase: Phase) -> str:
    if phase.messenger == "telegram":
        return "Telegram"
    return "MAX, 30 req/s limit on" if phase.limits.get("enabled") else "MAX, limits off"


def table(result: ChannelRound) -> list[str]:
    """One column per phase; after each MAX column its ratio to Telegram where one means much."""
    base = result.telegram
    maxes = [p for p in (result.max, result.unlimited) if p is not None]

    def row(name: str, value: Callable[[Phase], str], ratio: Callable[[Phase], str]) -> str:
        cells = [value(base)]
        for phase in maxes:
            cells += [value(phase), ratio(phase)]
        return f"| {name} | " + " | ".join(cells) + " |"

    def times(attribute: str, fmt: str = ".1f") -> Callable[[Phase], str]:
        return lambda p: format(getattr(p, attribute), fmt)

    def over(attribute: str, fmt: str = ".2f", bold: bool = False) -> Callable[[Phase], str]:
        def ratio(p: Phase) -> str:
            mine, theirs = getattr(p, attribute), getattr(base, attribute)
            text = format(mine / theirs, fmt) if theirs else "—"
            return f"**{text}**" if bold else text

        return ratio

    def none(_p: Phase) -> str:
        return ""

    titles = [header(base)]
    for phase in maxes:
        titles += [header(phase), "MAX/Telegram"]
    return [
        "|  | " + " | ".join(titles) + " |",
        "|---|" + "---:|" * len(titles),
        row("updates/s", times("updates_per_s", ".0f"), over("updates_per_s", bold=True)),
        row("questionnaires/s", times("questionnaires_per_s"), over("questionnaires_per_s")),
        row("questionnaires completed", lambda p: f"{p.completed}/{p.respondents}", none),
        row("`responses` rows (collected via)", rows, none),
        row(
            "updates answered / sent / planned",
            lambda p: f"{p.answered} / {p.updates} / {p.planned}",
            none,
        ),
        row("time to the last answer, s", times("seconds"), none),
        row("wall time (incl. waiting for stuck respondents), s", times("wall"), none),
        row("answer latency median / p95 / max, s", latency, none),
        row("CPU of the bot process, s", times("bot_cpu"), none),
        row(
            "bot CPU per answered update, ms",
            times("cpu_ms_per_update"),
            over("cpu_ms_per_update", ".1f"),
        ),
        row("Bot API requests served per answered update", times("requests_per_update"), none),
        row("requests refused with 429", lambda p: str(p.rate_limited), none),
        row("bot peak memory (VmHWM), MB", times("peak_mb", ".0f"), over("peak_mb")),
    ]


def rows(phase: Phase) -> str:
    via = ", ".join(f"{channel} {n}" for channel, n in phase.collected_via.items())
    return f"{phase.responses_rows} ({via})" if via else str(phase.responses_rows)


def cap_lines(phase: Phase) -> list[str]:
    """What the 30 requests a second cap the phase at, with the requests actually served."""
    if not phase.answered or not phase.respondents:
        return []
    per_update = phase.requests_per_update
    per_questionnaire = phase.planned / phase.respondents
    cap = MAX_REQUESTS_PER_S / per_update if per_update else 0.0
    parts = ", ".join(
        f"{REQUEST_NAMES.get(k, k)} {n / phase.answered:.2f}" for k, n in phase.requests.items()
    )
    share = phase.updates_per_s / cap if cap else 0.0
    served = sum(phase.requests.values()) / phase.seconds if phase.seconds else 0.0
    allow = "allow" if phase.limits.get("enabled") else "would allow"
    return [
        f"Cap ({header(phase)}): the bot needed {per_update:.2f} served requests per answered "
        f"update ({parts}), so {MAX_REQUESTS_PER_S:g} requests/s {allow} at most "
        f"{MAX_REQUESTS_PER_S:g} ÷ {per_update:.2f} = {cap:.1f} updates/s = "
        f"{cap / per_questionnaire:.2f} questionnaires/s at {per_questionnaire:.2f} updates "
        f"per questionnaire; measured {phase.updates_per_s:.1f} updates/s ({share:.0%} of that "
        f"cap), {served:.1f} requests/s served, {phase.rate_limited} refused with 429."
    ]


def limits_line(result: ChannelRound) -> str:
    def state(phase: Phase) -> str:
        limits = phase.limits
        if not limits.get("enabled"):
            return f"{header(phase)}: stand-in limits off"
        return (
            f"{header(phase)}: stand-in limits on — {limits['global_rate']:g} requests/s, "
            f"burst {limits['global_burst']:g}, every request counted"
        )

    return "Limits — " + "; ".join(state(p) for p in result.phases) + "."


def report(rounds: Sequence[ChannelRound], options: Options) -> list[str]:
    lines = [
        f"Run {time.strftime('%Y-%m-%d %H:%M')} on {os.cpu_count()} cores "
        f"({platform.machine()}, Python {platform.python_version()}); 1-minute load average "
        f"{options.load_before:.1f} before the run and {os.getloadavg()[0]:.1f} after it (the "
        f"machine is shared). The driver (stand-in + simulated respondents) runs in the "
        f"benchmark process on the same cores. Callback answer deadline {options.ttl:g} s, "
        f"per-answer timeout {options.answer_timeout:g} s, phase deadline {options.deadline:g} s."
    ]
    for result in rounds:
        lines += ["", f"#### {result.respondents} concurrent respondents", "", *table(result)]
        lines += ["", limits_line(result)]
        for phase in (result.max, result.unlimited):
            if phase is not None:
                lines += ["", *cap_lines(phase)]
        done = ", ".join(
            f"{header(p)}: {'yes' if result.completed(p) else '**no**'}" for p in result.phases
        )
        lines += ["", f"Every questionnaire completed — {done}."]
        for phase in result.phases:
            problems = [*phase.failures]
            if phase.log_issues:
                problems.append(f"bot log: {phase.log_issues}")
            if phase.api_errors:
                problems.append(f"Bot API errors by code: {phase.api_errors}")
            if problems:
                lines += ["", f"Problems ({header(phase)}): " + "; ".join(problems) + "."]
    return lines
