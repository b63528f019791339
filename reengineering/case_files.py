"""Where a case's files go on disk: only under the data directory, under names made here.

Nothing that came from a person (callback data, an uploaded file's name, Telegram's ids)
becomes part of a path: a stored document is ``<step>_<random hex><suffix>``, the step
checked against the case's template first, and the final path is resolved and checked to
be inside the data directory before anything is created.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from reengineering.cases import template_of
from storage.cases_models import ReengineeringCase

__all__ = [
    "MAX_UPLOAD_BYTES",
    "UnsafePath",
    "case_dir",
    "case_step",
    "document_path",
    "inside",
]

# The Bot API's getFile serves files up to 20 MB; a bigger upload cannot be downloaded.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
_SUFFIX_RE = re.compile(r"^\.[A-Za-z0-9]{1,8}$")


class UnsafePath(ValueError):
    """A path that would leave the data directory; never created."""


def inside(root: Path, path: Path) -> Path:
    """``path`` resolved, if it lies under ``root`` (resolved too); UnsafePath otherwise."""
    base, resolved = root.resolve(), path.resolve()
    if not resolved.is_relative_to(base):
        raise UnsafePath(str(path))
    return resolved


def case_dir(data_dir: Path, case_id: int) -> Path:
    """Where a case's files live: ``data_dir / "cases" / case_id`` (an id the database made)."""
    return inside(data_dir, Path(data_dir) / "cases" / str(int(case_id)))


def document_path(data_dir: Path, case_id: int, step_id: str, original_name: str) -> Path:
    """A fresh path for an uploaded document of a step; the original name gives only a suffix
    of letters and digits (so the file still opens by its type)."""
    suffix = Path(original_name.replace("\\", "/")).suffix
    suffix = suffix.lower() if _SUFFIX_RE.match(suffix) else ""
    name = f"{step_id}_{secrets.token_hex(8)}{suffix}"
    if Path(name).name != name:
        raise UnsafePath(name)
    folder = case_dir(data_dir, case_id)
    return inside(folder, folder / name)


async def case_step(session: AsyncSession, case_id: int, step_id: str) -> str | None:
    """The step code if the case's template has that step (callback data is checked with it)."""
    case = await session.get(ReengineeringCase, case_id)
    if case is None:
        return None
    try:
        return template_of(case.template_id, case.template_version).step(step_id).id
    except KeyError:
        return None
