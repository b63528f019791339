"""In-memory file storage behind file_id / getFile / file downloads."""

from __future__ import annotations

import io
import mimetypes
import secrets
import struct
import zlib
from dataclasses import dataclass
from typing import Any

_PREFIX = {"photo": "AgAC", "document": "BQAC", "sticker": "CAAC", "thumbnail": "AAMC"}
_DIRS = {
    "photo": "photos",
    "document": "documents",
    "sticker": "stickers",
    "thumbnail": "thumbnails",
}
TYPE_NAMES = {"photo": "Photo", "document": "Document", "sticker": "Sticker", "thumbnail": "Photo"}
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024


def _png(width: int, height: int) -> bytes:
    """A valid tiny grey PNG, used as the default bytes of injected photos."""

    def chunk(tag: bytes, payload: bytes) -> bytes:
        return (
            struct.pack(">I", len(payload))
            + tag
            + payload
            + struct.pack(">I", zlib.crc32(tag + payload) & 0xFFFFFFFF)
        )

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


STUB_PNG = _png(4, 4)


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of an image, or None when Telegram would fail to process it."""
    try:
        from PIL import Image  # Pillow comes with qrcode[pil]/matplotlib in this project.
    except ImportError:  # pragma: no cover - fallback without Pillow
        if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
            width, height = struct.unpack(">II", data[16:24])
            return int(width), int(height)
        return None
    try:
        with Image.open(io.BytesIO(data)) as img:
            width, height = img.size
            return int(width), int(height)
    except Exception:
        return None


@dataclass
class StoredFile:
    """One stored upload; photos and thumbnails carry their pixel size."""

    file_id: str
    file_unique_id: str
    kind: str
    data: bytes
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None
    width: int | None = None
    height: int | None = None

    @property
    def size(self) -> int:
        return len(self.data)

    def photo_size(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
            "width": self.width or 0,
            "height": self.height or 0,
        }

    def document(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
        }
        if self.file_name:
            doc["file_name"] = self.file_name
        if self.mime_type:
            doc["mime_type"] = self.mime_type
        return doc

    def file(self) -> dict[str, Any]:
        """The ``File`` object returned by getFile."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
            "file_path": self.file_path,
        }


class FileStore:
    """file_id and file_path indexes over stored bytes."""

    def __init__(self) -> None:
        self.by_id: dict[str, StoredFile] = {}
        self.by_path: dict[str, StoredFile] = {}
        self._counter = 0

    def add(
        self,
        kind: str,
        data: bytes,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        width: int | None = None,
        height: int | None = None,
    ) -> StoredFile:
        self._counter += 1
        n = self._counter
        file_id = f"{_PREFIX.get(kind, 'BQAC')}AgIAAxkBSBX{n:07d}{secrets.token_urlsafe(9)}"
        unique = f"AQAD{n:07d}{secrets.token_urlsafe(3)}"
        ext = ""
        if file_name and "." in file_name:
            ext = "." + file_name.rsplit(".", 1)[1][:10]
        elif kind in ("photo", "thumbnail"):
            ext = ".jpg"
        elif mime_type:
            ext = mimetypes.guess_extension(mime_type) or ""
        path = f"{_DIRS.get(kind, 'documents')}/file_{n}{ext}"
        if kind == "document" and mime_type is None and file_name:
            mime_type = mimetypes.guess_type(file_name)[0]
        stored = StoredFile(file_id, unique, kind, data, path, file_name, mime_type, width, height)
        self.by_id[file_id] = stored
        self.by_path[path] = stored
        return stored

    def get(self, file_id: str) -> StoredFile | None:
        return self.by_id.get(file_id)

    def clear(self) -> None:
        self.by_id.clear()
        self.by_path.clear()
