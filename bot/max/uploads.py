"""Files to MAX under the name the bot gave them.

maxapi's `upload_media` appends the extension it guesses from the content, and an Excel
report (a zip inside) is guessed as ``.docx``: a person would get ``report.xlsx.docx``. This
is the same two steps through maxapi's public parts (`get_upload_url`, its HTTP session),
with the name kept: POST /uploads gives an address, the file goes there as the multipart
field ``data``, and the answer names the token to attach.
"""

from __future__ import annotations

import json
import mimetypes
from typing import Any

from aiohttp import FormData
from maxapi import Bot as MaxClient
from maxapi.enums.upload_type import UploadType
from maxapi.exceptions.max import MaxUploadFileFailed
from maxapi.types.attachments.upload import AttachmentPayload, AttachmentUpload


def _token(kind: UploadType, answer: dict[str, Any], upload_token: str | None) -> str:
    if kind is UploadType.IMAGE:
        photos = answer.get("photos") or {}
        for photo in photos.values():
            if isinstance(photo, dict) and photo.get("token"):
                return str(photo["token"])
    if answer.get("token"):
        return str(answer["token"])
    if upload_token:
        return upload_token
    raise MaxUploadFileFailed("the upload answer names no token")


async def upload(client: MaxClient, data: bytes, filename: str, kind: UploadType) -> Any:
    """The attachment of an uploaded file, named `filename`."""
    endpoint = await client.get_upload_url(kind)
    form = FormData(quote_fields=False)
    content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    form.add_field("data", data, filename=filename, content_type=content_type)
    session = await client.ensure_session()
    async with session.post(endpoint.url, data=form) as response:
        text = await response.text()
        if not 200 <= response.status < 300:
            raise MaxUploadFileFailed(f"upload answered HTTP {response.status}")
    try:
        answer = json.loads(text) if text.strip() else {}
    except ValueError as error:
        raise MaxUploadFileFailed("the upload answer is not JSON") from error
    token = _token(kind, answer if isinstance(answer, dict) else {}, endpoint.token)
    return AttachmentUpload(type=kind, payload=AttachmentPayload(token=token))
