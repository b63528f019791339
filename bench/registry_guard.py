"""Benchmark: the registry import's time and peak memory on hostile workbooks.

Each workbook is read by `registry.reading.read_registry` (what `otklik registry import`
runs before it writes) in a child process of its own, so its peak resident memory (VmHWM) is
its own, under an address-space cap so a regression fails instead of eating the machine. The
baseline is the committed example registry (23 processes, 56 touchpoints), measured in the
same run; every other figure is a ratio to it:

* a large honest registry (2 000 processes, 4 870 touchpoints: the example's rows copied);
* one cell at XFD1048576 (before the guard: > 4 GB and minutes);
* a `<dimension>` that says A1:J24 while a cell sits at XFD1048576;
* a merged range and a hyperlink over K30:XFD1048576.

    python bench/registry_guard.py              # figures written to bench/README.md
    python bench/registry_guard.py --no-readme
"""

from __future__ import annotations

import argparse
import multiprocessing
import re
import resource
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _readme import write_figures
from openpyxl import load_workbook

from registry.example import DEFAULT_PATH

CAP = 2 * 1024**3  # address space of each child: a regression shows as "out of memory"
SHEET = "xl/worksheets/sheet1.xml"  # «Процессы»


def _rewrite(source: Path, target: Path, change: Callable[[str], str]) -> Path:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            content = old.read(info.filename)
            if info.filename == SHEET:
                content = change(content.decode("utf-8")).encode("utf-8")
            new.writestr(info, content)
    return target


def _far_cell(target: Path) -> Path:
    book = load_workbook(DEFAULT_PATH)
    book["Процессы"].cell(row=1_048_576, column=16_384, value="x")
    book.save(target)
    return target


def _large(target: Path) -> Path:
    """2 000 processes and their touchpoints, copied from the example's rows."""
    book = load_workbook(DEFAULT_PATH)
    processes, touchpoints = book["Процессы"], book["Точки взаимодействия"]
    process_rows = [[c.value for c in row] for row in processes.iter_rows(min_row=2)]
    touchpoint_rows = [[c.value for c in row] for row in touchpoints.iter_rows(min_row=2)]
    processes.delete_rows(2, processes.max_row)
    touchpoints.delete_rows(2, touchpoints.max_row)
    made = 0
    for copy in range(2_000 // len(process_rows) + 1):
        for row in process_rows:
            if made == 2_000:
                break
            name = f"{row[2]} ({copy})"
            processes.append([f"{row[0]}-{copy}", *row[1:2], name, *row[3:]])
            for tp in touchpoint_rows:
                if tp[2] == row[2]:
                    touchpoints.append([*tp[:2], name, *tp[3:6], f"{tp[6]}-{copy}", *tp[7:]])
            made += 1
    book.save(target)
    return target


def _cases(folder: Path) -> dict[str, Path]:
    far = _far_cell(folder / "far.xlsx")
    return {
        "example (baseline)": DEFAULT_PATH,
        "2 000 processes, 4 870 touchpoints": _large(folder / "large.xlsx"),
        "one cell at XFD1048576": far,
        "dimension says A1:J24, cell at XFD1048576": _rewrite(
            far,
            folder / "lying.xlsx",
            lambda xml: re.sub(r'<dimension ref="[^"]*"', '<dimension ref="A1:J24"', xml),
        ),
        "merged range K30:XFD1048576": _rewrite(
            DEFAULT_PATH,
            folder / "merged.xlsx",
            lambda xml: xml.replace(
                "</sheetData>",
                '</sheetData><mergeCells count="1"><mergeCell ref="K30:XFD1048576"/></mergeCells>',
            ),
        ),
        "hyperlink over K30:XFD1048576": _rewrite(
            DEFAULT_PATH,
            folder / "link.xlsx",
            lambda xml: xml.replace(
                "</sheetData>",
                '</sheetData><hyperlinks><hyperlink ref="K30:XFD1048576" location="A1"/>'
                "</hyperlinks>",
            ),
        ),
    }


def _child(path: str, results: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    resource.setrlimit(resource.RLIMIT_AS, (CAP, CAP))
    from core.i18n import translator
    from registry.entries import RegistryImportError
    from registry.reading import read_registry

    _ = translator("ru")  # the outcome below cuts the Russian message
    started = time.perf_counter()
    try:
        data = read_registry(Path(path), _)
        outcome = f"read: {len(data.processes)} processes, {len(data.touchpoints)} touchpoints"
    except RegistryImportError as error:
        outcome = "refused: " + str(error).split(": ", 1)[-1].split(", а ")[0]
    except MemoryError:
        outcome = "out of memory"
    seconds = time.perf_counter() - started
    peak = 0
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            peak = int(line.split()[1]) // 1024
    results.put((seconds, peak, outcome))


def measure(path: Path) -> tuple[float, int, str]:
    """Seconds, peak resident MB and outcome of reading ``path`` in a fresh process."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    process = context.Process(target=_child, args=(str(path), results))
    process.start()
    outcome = results.get()
    process.join()
    return outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-readme", action="store_true", help="do not write bench/README.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        cases = _cases(Path(folder))
        rows = {name: measure(path) for name, path in cases.items()}
    base_seconds, base_peak, _ = rows["example (baseline)"]
    lines = [
        "| workbook | outcome | time | × baseline | peak RSS | × baseline |",
        "|---|---|---|---|---|---|",
    ]
    for name, (seconds, peak, outcome) in rows.items():
        lines.append(
            f"| {name} | {outcome} | {seconds * 1000:.0f} ms | {seconds / base_seconds:.2f} | "
            f"{peak} MB | {peak / base_peak:.2f} |"
        )
    print("\n".join(lines))
    if not args.no_readme:
        write_figures("registry_guard", lines)


if __name__ == "__main__":
    main()
