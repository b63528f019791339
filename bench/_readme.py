"""Writing a benchmark's figures into bench/README.md: only its own marked block changes."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

README = Path(__file__).with_name("README.md")


def write_figures(name: str, lines: Sequence[str], readme: Path = README) -> None:
    """Replace the `<!-- name:figures:... -->` block; without one, add section `## name`."""
    start, end = f"<!-- {name}:figures:start -->", f"<!-- {name}:figures:end -->"
    block = "\n".join([start, *lines, end])
    text = readme.read_text() if readme.exists() else "# Benchmarks\n"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        _, tail = rest.split(end, 1)
        text = head + block + tail
    else:
        text = text.rstrip("\n") + f"\n\n## {name}\n\n### Figures\n\n{block}\n"
    readme.write_text(text)
