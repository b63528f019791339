"""The form in a real headless Chromium at a phone's 320 px: every tap a person makes, the
thanks page, the stored row, and a screenshot looked at for overflow and touch targets."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestServer

from storage.database import SessionPool
from storage.models import Response

CHROMIUM = Path("/usr/bin/chromium")
PHONE = {"width": 320, "height": 640}


def _browser_or_reason() -> str | None:
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[test]')"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    return None


@pytest.fixture
async def page(web_server: TestServer) -> AsyncIterator[Any]:
    reason = _browser_or_reason()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"the browser test must run in CI: {reason}")
        pytest.skip(reason)
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        context = await browser.new_context(
            viewport=PHONE, locale="ru-RU", java_script_enabled=False
        )
        yield await context.new_page()
        await context.close()
        await browser.close()


async def fits_the_phone(page: Any) -> None:
    """No sideways scrolling at 320 px, and every button at least 44 px tall (a fingertip)."""
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width} px wide"
    for box in [await b.bounding_box() for b in await page.locator("button, a.button").all()]:
        if box is not None:
            assert box["height"] >= 44, box


async def test_a_person_answers_on_a_phone(
    page: Any, web_server: TestServer, session_pool: SessionPool, tmp_path: Path
) -> None:
    await page.goto(str(web_server.make_url("/t/SUP01-EPGU")))
    await fits_the_phone(page)
    await page.screenshot(path=str(tmp_path / "landing.png"), full_page=True)
    await page.get_by_role("link", name="Ответить на сайте").click()
    await page.get_by_role("button", name="Дать согласие и начать").click()
    await fits_the_phone(page)
    shot = tmp_path / "rating.png"
    await page.screenshot(path=str(shot), full_page=True)
    await page.get_by_role("button", name="2 из 5").click()
    await page.get_by_label("Время ожидания").check()
    await page.get_by_label("Очередь").check()
    await fits_the_phone(page)
    await page.screenshot(path=str(tmp_path / "choices.png"), full_page=True)
    await page.get_by_role("button", name="Готово ✔").click()
    await page.get_by_role("button", name="подача заявления").click()
    await page.get_by_role("button", name="Средняя").click()
    await page.get_by_label("Напишите комментарий").fill("Долго ждали у окна")
    await page.get_by_role("button", name="Далее").click()
    await page.get_by_role("button", name="Индивидуальный предприниматель").click()

    assert await page.get_by_role("heading").inner_text() == "Спасибо! Ваш ответ сохранён."
    await fits_the_phone(page)
    async with session_pool() as session:
        row = (
            await session.execute(
                sa.select(Response.rating, Response.segment, Response.collected_via)
            )
        ).one()
    assert tuple(row) == (2, "entrepreneur", "web")
    from PIL import Image

    with Image.open(shot) as image:
        assert image.width == PHONE["width"]
        ink = image.convert("L").point(lambda v: 255 if v < 200 else 0).getbbox()
        assert ink is not None and ink[2] <= PHONE["width"]  # drawn, and inside the screen
