"""Printable QR cards for touchpoints: the link plus readable text around it.

A card is placed where clients meet the process (a counter, a web page, a letter), so it
says who asks, what to do and which touchpoint it is: a card on the wrong desk is easy to
spot. With a public address the code opens the touchpoint's landing page, which offers every
channel (registry.links.web_link), so a printed card outlives a change of messenger; without
one it is the Telegram deep link. Drawn for print: 300 dpi over 10 cm.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import textwrap
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path

import qrcode
import sqlalchemy as sa
from PIL import Image, ImageDraw, ImageFont

from core.i18n import Translator
from core.russian import TALL_AND_DEEP_GLYPHS
from registry.links import deep_link, web_link
from storage.database import SessionPool
from storage.models import OrganizationSettings, Process, Touchpoint

DPI = 300
CARD_CM = 10.16  # four inches: a 10 cm card at 300 dpi
CARD_WIDTH = round(CARD_CM / 2.54 * DPI)  # 1200 px
_SCALE = CARD_WIDTH / 600  # the layout was drawn for 600 px
_MARGIN = round(24 * _SCALE)
_QUIET_ZONE = 4  # modules; the minimum the QR standard asks for
_INK, _GREY, _PAPER = (0, 0, 0), (90, 90, 90), (255, 255, 255)
_UNSAFE_FILE_CHARS = re.compile(r"[^\w.-]+")

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@lru_cache(maxsize=16)
def _font(size: int, bold: bool = False) -> Font:
    """DejaVu Sans from matplotlib's bundle: always installed with us and has Cyrillic."""
    try:
        from matplotlib import font_manager

        properties = font_manager.FontProperties(
            family="DejaVu Sans", weight="bold" if bold else "normal"
        )
        return ImageFont.truetype(font_manager.findfont(properties), size)
    except (ImportError, OSError, ValueError):
        return ImageFont.load_default(size)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: Font, width: int) -> list[str]:
    """Greedy word wrap by rendered width; a word wider than the card is cut."""
    lines: list[str] = []
    for word in text.split():
        while len(word) > 1 and draw.textlength(word, font=font) > width:
            cut = len(word) - 1
            while cut > 1 and draw.textlength(word[:cut], font=font) > width:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        if lines and draw.textlength(f"{lines[-1]} {word}", font=font) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [""]


def _qr_image(link: str, width: int) -> Image.Image:
    code = qrcode.QRCode(error_correction=qrcode.ERROR_CORRECT_M, border=_QUIET_ZONE)
    code.add_data(link)
    code.make(fit=True)
    matrix = code.get_matrix()  # includes the quiet zone
    size = len(matrix)
    modules = Image.new("L", (size, size))
    modules.putdata([0 if dark else 255 for row in matrix for dark in row])
    box = max(1, width // size)
    return modules.resize((size * box, size * box), Image.Resampling.NEAREST).convert("RGB")


def render_touchpoint_card(
    link: str,
    code: str,
    touchpoint_name: str,
    process_name: str,
    _: Translator,
    organization: str = "",
) -> Image.Image:
    """The card: who asks, the call to action, the QR code, then the place, the process and
    the code in words."""
    text_width = CARD_WIDTH - 2 * _MARGIN
    measure = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    blocks: list[tuple[list[str], Font, tuple[int, int, int], int]] = []

    def block(text: str, font: Font, colour: tuple[int, int, int], gap: int) -> None:
        blocks.append((_wrap(measure, text, font, text_width), font, colour, round(gap * _SCALE)))

    def size(points: int) -> int:
        return round(points * _SCALE)

    if organization:
        block(organization, _font(size(18)), _GREY, 0)
    block(
        _("Rate the quality of service"), _font(size(30), bold=True), _INK, 6 if organization else 0
    )
    qr_index = len(blocks) - 1
    qr_image = _qr_image(link, CARD_WIDTH - 2 * _MARGIN)
    block(touchpoint_name, _font(size(24), bold=True), _INK, 4)
    block(process_name, _font(size(20)), _INK, 10)
    block(code, _font(size(16)), _GREY, 10)

    def line_height(font: Font) -> int:
        top, bottom = font.getbbox(TALL_AND_DEEP_GLYPHS)[1::2]
        return int(bottom - top) + 6

    heights = [len(lines) * line_height(font) + gap for lines, font, _, gap in blocks]
    height = _MARGIN + sum(heights) + qr_image.height + _MARGIN
    card = Image.new("RGB", (CARD_WIDTH, height), _PAPER)
    draw = ImageDraw.Draw(card)
    y = _MARGIN
    for index, (lines, font, colour, gap) in enumerate(blocks):
        y += gap
        for line in lines:
            x = (CARD_WIDTH - draw.textlength(line, font=font)) / 2
            draw.text((x, y), line, font=font, fill=colour)
            y += line_height(font)
        if index == qr_index:
            card.paste(qr_image, ((CARD_WIDTH - qr_image.width) // 2, y))
            y += qr_image.height
    return card


def qr_file_names(codes: Sequence[str]) -> dict[str, str]:
    """`<code>.png` per code; a code unsafe for a file name, or one that would clash on a
    case-insensitive disk, gets a short digest of the code appended."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for code in codes:
        stem = _UNSAFE_FILE_CHARS.sub("_", code).strip("._")[:80] or "touchpoint"
        if stem != code or stem.casefold() in taken:
            stem = f"{stem}-{hashlib.sha256(code.encode('utf-8')).hexdigest()[:8]}"
        taken.add(stem.casefold())
        names[code] = f"{stem}.png"
    return names


async def write_touchpoint_qr_codes(
    session_pool: SessionPool,
    out_dir: Path,
    bot_username: str,
    _: Translator,
    progress: Callable[[int, int], None] | None = None,
    public_url: str | None = None,
) -> list[Path]:
    """One printable PNG per active touchpoint of an active process; returns the files.

    With ``public_url`` each code opens the touchpoint's landing page (every channel), else
    the bot's deep link."""
    query = (
        sa.select(Touchpoint.code, Touchpoint.name, Touchpoint.payload, Process.name)
        .join(Process, Touchpoint.process_id == Process.id)
        .where(Touchpoint.active, Process.active)
        .order_by(Touchpoint.code)
    )
    async with session_pool() as session:
        rows = (await session.execute(query)).all()
        organization = await session.scalar(sa.select(OrganizationSettings.name).limit(1)) or ""
    await asyncio.to_thread(out_dir.mkdir, parents=True, exist_ok=True)
    names = qr_file_names([row[0] for row in rows])
    paths: list[Path] = []
    for done, (code, name, payload, process_name) in enumerate(rows, start=1):
        path = out_dir / names[code]
        link = web_link(public_url, code) if public_url else deep_link(bot_username, payload)
        await asyncio.to_thread(_save_card, path, link, code, name, process_name, organization, _)
        paths.append(path)
        if progress:
            progress(done, len(rows))
    return paths


def _save_card(
    path: Path,
    link: str,
    code: str,
    name: str,
    process_name: str,
    organization: str,
    _: Translator,
) -> None:
    short_name = textwrap.shorten(name, 200, placeholder="…")
    card = render_touchpoint_card(link, code, short_name, process_name, _, organization)
    card.save(path, format="PNG", dpi=(DPI, DPI))
