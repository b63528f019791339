"""Deep-link payloads and printable QR cards."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import cv2
import numpy as np
import pytest
import sqlalchemy as sa
from PIL import Image

from core.i18n import translator
from registry.example import build_example_workbook
from registry.importing import import_registry
from registry.links import deep_link, is_valid_payload, payload_for_code
from registry.qr import CARD_WIDTH, qr_file_names, render_touchpoint_card, write_touchpoint_qr_codes
from storage.database import SessionPool
from storage.models import Touchpoint

BOT = "otklik_test_bot"
RU = translator("ru")


def test_safe_short_code_is_readable_in_the_payload() -> None:
    assert payload_for_code("SUP01-EPGU") == "t-SUP01-EPGU"
    assert payload_for_code("a_1") == "t-a_1"
    longest = "A" * 62
    assert payload_for_code(longest) == "t-" + longest


@pytest.mark.parametrize(
    "code",
    ["Точка-1", "МФЦ Ленинский", "SUP01 EPGU", "Код/1", "A" * 63, "Ж" * 200, "_x", "-x", "ё"],
)
def test_any_code_gives_a_telegram_safe_payload(code: str) -> None:
    payload = payload_for_code(code)

    assert is_valid_payload(payload)
    assert len(payload) <= 64
    assert payload.startswith("t-_")  # digest form; never equal to a readable `t-<code>`
    assert payload_for_code(code) == payload


def test_payload_is_pinned_across_versions_and_installations() -> None:
    # Printed QR codes carry these; changing the derivation would break every printed card.
    assert payload_for_code("Точка-1") == "t-_rnc74kn4zdz4jgudibead2nsrrlqinoq"
    assert payload_for_code("SUP01 EPGU") == "t-_4gnuapr4j7szg73yfhzjdjgv57rfv2rr"


def test_distinct_codes_give_distinct_payloads() -> None:
    channels = ["EPGU", "MFC", "SITE", "ЕПГУ", "МФЦ", "сайт", "почта", "HOTL", "VK", "TG"]
    codes = [
        f"{prefix}{number:02d}{sep}{channel}"
        for prefix in ("SUP", "sup", "ИТ", "ACC", "Бух")
        for number in range(40)
        for sep in ("-", "_", " ", "")
        for channel in channels
    ]
    codes += ["X" * n for n in range(1, 90)] + [f"{'Y' * 62}{n}" for n in range(10)]

    payloads = {payload_for_code(code) for code in codes}

    assert len(payloads) == len(set(codes))
    assert all(is_valid_payload(p) and len(p) <= 64 for p in payloads)


def test_payload_validation_follows_telegram_rules() -> None:
    assert is_valid_payload("t-SUP01_x")
    assert is_valid_payload("a" * 64)
    for bad in ("", "a" * 65, "t SUP", "t-Точка", "t-a+b", "t-a/b"):
        assert not is_valid_payload(bad)
    with pytest.raises(ValueError):
        payload_for_code("")


def test_deep_link() -> None:
    assert deep_link("otklik_bot", "t-SUP01") == "https://t.me/otklik_bot?start=t-SUP01"
    assert deep_link("@Otklik_Bot", "t-SUP01") == "https://t.me/Otklik_Bot?start=t-SUP01"
    with pytest.raises(ValueError):
        deep_link("otklik_bot", "t SUP01")
    with pytest.raises(ValueError):
        deep_link("бот", "t-SUP01")


def test_file_names_are_safe_and_never_clash() -> None:
    names = qr_file_names(["SUP01-EPGU", "A/B", "A_B", "sup01-epgu", "Точка 1", "..", "CON.x"])

    assert names["SUP01-EPGU"] == "SUP01-EPGU.png"
    assert names["A_B"] == "A_B.png"
    assert names["A/B"].startswith("A_B-") and "/" not in names["A/B"]
    assert names["sup01-epgu"] != names["SUP01-EPGU"]  # a case-insensitive disk keeps both
    assert names["Точка 1"].startswith("Точка_1-")
    assert names[".."].startswith("touchpoint-")
    assert len({name.casefold() for name in names.values()}) == len(names)


def decode(path: Path) -> str:
    """What a camera reads, from afar (half size) or close up, held in any of four turns:
    OpenCV's classic detector misses a few valid codes in one size or orientation."""
    detector = cv2.QRCodeDetector()
    for mode in (cv2.IMREAD_REDUCED_GRAYSCALE_2, cv2.IMREAD_GRAYSCALE):
        image = cv2.imread(str(path), mode)
        for turn in range(4):
            text, _, _ = detector.detectAndDecode(np.ascontiguousarray(np.rot90(image, turn)))
            if text:
                return str(text)
    return ""


async def test_one_readable_card_per_active_touchpoint(
    session_pool: SessionPool, tmp_path: Path
) -> None:
    registry = tmp_path / "registry.xlsx"
    build_example_workbook(registry, RU)
    await import_registry(session_pool, registry, RU, today=date(2026, 1, 15))
    async with session_pool() as session:
        query = sa.select(Touchpoint.code, Touchpoint.payload).where(Touchpoint.active)
        active = {code: payload for code, payload in await session.execute(query)}
    calls: list[tuple[int, int]] = []

    paths = await write_touchpoint_qr_codes(
        session_pool, tmp_path / "qr", f"@{BOT}", RU, progress=lambda d, t: calls.append((d, t))
    )

    assert len(active) == 55 and "SUP02-POST" not in active
    assert sorted(p.name for p in paths) == sorted(f"{code}.png" for code in active)
    assert calls[-1] == (55, 55)
    for path in paths:
        assert decode(path) == deep_link(BOT, active[path.stem]), path.name
    with Image.open(paths[0]) as card:
        assert card.width == CARD_WIDTH
        assert card.info["dpi"] == pytest.approx((300, 300), abs=0.01)


def test_card_with_a_long_cyrillic_name_stays_readable(tmp_path: Path) -> None:
    link = deep_link(BOT, payload_for_code("Приёмная министерства, окно № 3"))
    name = "Очень длинное наименование точки взаимодействия " * 6 + "Сверхдлинноеслово" * 5
    card = render_touchpoint_card(link, "Приёмная министерства, окно № 3", name, "Процесс", RU)
    path = tmp_path / "card.png"
    card.save(path)

    assert card.width == CARD_WIDTH and card.height > CARD_WIDTH
    assert decode(path) == link


async def test_with_a_public_address_every_card_opens_the_landing_page(
    session_pool: SessionPool, tmp_path: Path
) -> None:
    """One code for every channel: `<public_url>/t/<code>`, the same whatever the messenger."""
    from registry.links import web_link
    from storage.models import OrganizationSettings

    registry = tmp_path / "registry.xlsx"
    build_example_workbook(registry, RU)
    await import_registry(session_pool, registry, RU, today=date(2026, 1, 15))
    async with session_pool() as session, session.begin():
        session.add(OrganizationSettings(name="Министерство социальной защиты", bot_username=BOT))
        codes = list(await session.scalars(sa.select(Touchpoint.code).where(Touchpoint.active)))

    paths = await write_touchpoint_qr_codes(
        session_pool, tmp_path / "qr", "", RU, public_url="https://otklik.example.ru"
    )

    assert len(paths) == len(codes)
    for path in paths[:5]:
        assert decode(path) == f"https://otklik.example.ru/t/{path.stem}"
    with Image.open(paths[0]) as card:
        # 10 cm at 300 dpi at least; the dpi is written for the printer
        assert card.width >= 1181 and card.info["dpi"] == pytest.approx((300, 300), abs=0.01)
    assert (
        web_link("https://x.ru/", "Точка 1") == "https://x.ru/t/%D0%A2%D0%BE%D1%87%D0%BA%D0%B0%201"
    )


def test_card_names_the_organization_process_and_place(tmp_path: Path) -> None:
    """The words are drawn: a card with them is taller than one without, by their lines."""
    from registry.links import web_link

    link = web_link("https://otklik.example.ru", "SUP01-MFC")
    bare = render_touchpoint_card(link, "SUP01-MFC", "МФЦ, окно 3", "Выплата", RU)
    named = render_touchpoint_card(
        link, "SUP01-MFC", "МФЦ, окно 3", "Выплата", RU, organization="Министерство труда"
    )
    assert named.height > bare.height and named.width == bare.width == CARD_WIDTH >= 1181
    path = tmp_path / "card.png"
    named.save(path)
    assert decode(path) == link
    # the organization's grey line above the call to action; the bare card starts with the
    # call to action's black
    band = slice(48, 78)  # the margin, then the first line of text
    assert 80 <= np.asarray(named.convert("L"))[band].min() < 128
    assert np.asarray(bare.convert("L"))[band].min() < 40
