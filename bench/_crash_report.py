"""The crash test's figures: a summary per scenario and the README's table."""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Sequence

from _crash_crowd import Config
from _crash_results import Result


def summary(result: Result) -> list[str]:
    goal = "met" if result.goal_met else "NOT met"
    lines = [
        f"== {result.scenario}: {result.answers} answers, {result.concurrency} at a time",
        f"   answers acknowledged: {result.acknowledged}",
        f"   answers stored:       {result.stored}",
        f"   duplicates:           {result.duplicates} people ({result.extra_rows} extra rows)",
        f"   kills:                {len(result.kills)}",
        f"   elapsed:              {result.elapsed:.1f} s",
        f"   stored, not acknowledged: {len(result.stored_not_acknowledged)}"
        f" {result.stored_not_acknowledged[:10]}",
        f"   acknowledged, not stored: {len(result.acknowledged_not_stored)}"
        f" {result.acknowledged_not_stored[:10]}",
        f"   told 'already rated today': {result.told_limit}; gave up: {result.gave_up}; "
        f"thanks shown twice: {result.thanks_twice}",
        *(f"   cause: {n} × {why}" for why, n in result.unacknowledged_causes.items()),
        *(f"   trace: {line}" for line in result.traces),
        f"   messages after the thanks: {sum(result.after_thanks.values())} {result.after_thanks}",
        f"   people with more than one attempt opened: {result.people_with_two_sessions}; "
        f"attempts still open at the end: {result.open_sessions_left}",
        f"   respondents' retries {result.retries}, 'already answered' {result.stale}, "
        f"/start again {result.resumes}, 'something went wrong' {result.errors}; "
        f"time per respondent median {result.latency_median:.1f} s, max "
        f"{result.latency_max:.1f} s",
        f"   CPU: bot processes {result.bot_cpu:.0f} s, driver {result.driver_cpu:.0f} s; "
        f"{result.updates_created / result.elapsed if result.elapsed else 0:.1f} updates/s",
        f"   updates {result.updates_created}; inbox {result.inbox}; Bot API errors "
        f"{result.sandbox_errors}; bot logs {result.log_issues}",
    ]
    if result.scenario == "replicas":
        lines += [
            f"   outbox: expected {result.outbox_expected}, delivered {result.outbox_delivered},"
            f" duplicated {result.outbox_duplicated}, missing {result.outbox_missing};"
            f" senders {result.outbox_senders}, concurrent {result.concurrent_senders}",
            *(f"     {line}" for line in result.outbox_duplicates_detail[:10]),
            *(f"     row: {line}" for line in result.outbox_rows[:10]),
            f"   lease: {result.lease_samples} samples, holders {len(result.lease_holders)}"
            f" ({', '.join(h.split(':')[1] for h in result.lease_holders)}), at most "
            f"{result.lease_max_holders} at once, vacant {result.lease_vacant_samples},"
            f" held by a dead process {result.lease_dead_holder_samples}",
            f"   webhook deliveries failed (retried) {result.webhook_failed}; balancer "
            f"{result.balancer}",
        ]
    if result.scenario == "replicas":
        jobs = "yes" if result.jobs_once else "NO"
        lines.append(f"   jobs ran in one replica at a time, all outbox delivered: {jobs}")
    lines.append(f"   goal (stored = acknowledged, 0 duplicates): {goal}")
    return lines


def table(results: Sequence[Result]) -> list[str]:
    names = {"polling": "1 process, polling, SQLite", "replicas": "3 webhook replicas, PostgreSQL"}
    rows = [
        ("answers (people)", lambda r: str(r.answers)),
        ("**answers acknowledged**", lambda r: f"**{r.acknowledged}**"),
        ("**answers stored**", lambda r: f"**{r.stored}**"),
        ("**duplicates** (people with > 1 response)", lambda r: f"**{r.duplicates}**"),
        ("stored, not acknowledged", lambda r: str(len(r.stored_not_acknowledged))),
        ("acknowledged, not stored", lambda r: str(len(r.acknowledged_not_stored))),
        ("told «already rated today» instead of the thanks", lambda r: str(r.told_limit)),
        ("gave up (no thanks within the deadline)", lambda r: str(r.gave_up)),
        (
            "messages after the thanks (late handling of older updates)",
            lambda r: str(sum(r.after_thanks.values())),
        ),
        (
            "people with 2 attempts opened / attempts left open",
            lambda r: f"{r.people_with_two_sessions} / {r.open_sessions_left}",
        ),
        ("kills (SIGKILL)", lambda r: str(len(r.kills))),
        ("elapsed", lambda r: f"{r.elapsed:.0f} s"),
        (
            "updates/s; CPU of the bot processes / of the driver",
            lambda r: (
                f"{r.updates_created / r.elapsed if r.elapsed else 0:.1f};"
                f" {r.bot_cpu:.0f} s / {r.driver_cpu:.0f} s"
            ),
        ),
        (
            "taps answered too late («query is too old»)",
            lambda r: str(sum(n for k, n in r.sandbox_errors.items() if "too old" in k)),
        ),
        ("updates sent by respondents", lambda r: str(r.updates_created)),
        ("retries after a timed-out wait", lambda r: str(r.retries)),
        ("«already answered» popups / /start sent again", lambda r: f"{r.stale} / {r.resumes}"),
        (
            "outbox: expected / delivered / duplicated",
            lambda r: (
                f"{r.outbox_expected} / {r.outbox_delivered} / {r.outbox_duplicated}"
                if r.scenario == "replicas"
                else "—"
            ),
        ),
        (
            "lease holders observed (at most at once)",
            lambda r: (
                f"{len(r.lease_holders)} ({r.lease_max_holders})"
                if r.scenario == "replicas"
                else "—"
            ),
        ),
        (
            "outbox sender in one replica at a time; every message delivered",
            lambda r: ("yes" if r.jobs_once else "**no**") if r.scenario == "replicas" else "—",
        ),
        (
            "**goal met** (stored = acknowledged, 0 duplicates)",
            lambda r: "yes" if r.goal_met else "**no**",
        ),
    ]
    head = "| | " + " | ".join(names.get(r.scenario, r.scenario) for r in results) + " |"
    lines = [head, "|---|" + "---:|" * len(results)]
    for name, value in rows:
        lines.append(f"| {name} | " + " | ".join(value(r) for r in results) + " |")
    return lines


def report(results: Sequence[Result], config: Config, started: float, load: float) -> list[str]:
    lines = [
        f"Run {time.strftime('%Y-%m-%d %H:%M')}: {config.answers} answers per scenario, "
        f"{config.concurrency} respondents at a time, {config.kills} kills per scenario; "
        f"whole run {(time.monotonic() - started) / 60:.1f} min.",
        "",
        f"Machine: {os.cpu_count()} cores, {platform.machine()}, Python "
        f"{platform.python_version()}; load average {load:.1f} at the start (shared machine). "
        f"Respondent's wait before retrying {config.answer_timeout:g} s; callback answer "
        f"deadline {config.callback_ttl:g} s (Telegram's is about 15 s). Bots' time zone "
        f"{config.timezone} (about noon at the start: no local midnight during the run).",
        "",
        *table(results),
    ]
    for result in results:
        extra = [
            "kills at " + ", ".join(f"{k.at:.0f} s ({k.in_flight} in flight)" for k in result.kills)
        ]
        extra += [f"{n} not thanked: {why}" for why, n in result.unacknowledged_causes.items()]
        extra += [f"trace of {line}" for line in result.traces[:2]]
        if result.after_thanks:
            extra.append(f"messages after the thanks: {result.after_thanks}")
        if result.log_issues:
            extra.append(f"bot logs: {result.log_issues}")
        if result.inbox:
            extra.append(f"inbox rows by status: {result.inbox}")
        if result.scenario == "replicas":
            extra.append(
                f"outbox senders in order {result.outbox_senders} (r = replica, i = restart "
                f"number), {result.concurrent_senders} overlaps; {result.lease_samples} lease "
                f"samples, vacant {result.lease_vacant_samples}, held by a dead process "
                f"{result.lease_dead_holder_samples}; webhook deliveries retried "
                f"{result.webhook_failed}; balancer {result.balancer}"
            )
            extra += result.outbox_duplicates_detail[:5]
        if extra:
            lines += ["", f"{result.scenario}: " + "; ".join(extra) + "."]
    return lines
