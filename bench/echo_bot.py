"""A bare aiogram echo bot: the baseline of `survey_throughput.py`.

One Router, no database, no middlewares: a message is answered with its own text and a
button under it; pressing the button answers the callback and edits the message (the text
changes with each press, as Telegram refuses an edit that changes nothing).

Started like the real bot, as a process, with the same environment:

    OTKLIK_BOT_TOKEN=123:abc OTKLIK_TELEGRAM_API_URL=http://127.0.0.1:8081 \\
        python bench/echo_bot.py
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys

from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

TAP_PREFIX = "tap:"

router = Router(name="echo")


def tap_keyboard(presses: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text="tap", callback_data=f"{TAP_PREFIX}{presses + 1}")]
        ]
    )


@router.message(F.text)
async def echo(message: Message) -> None:
    await message.answer(message.text or "", reply_markup=tap_keyboard(0))


@router.callback_query(F.data.startswith(TAP_PREFIX))
async def tapped(query: CallbackQuery) -> None:
    presses = int((query.data or TAP_PREFIX + "0").removeprefix(TAP_PREFIX))
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_text(f"tapped {presses}", reply_markup=tap_keyboard(presses))


async def main() -> int:
    token = os.environ["OTKLIK_BOT_TOKEN"]
    api_url = os.environ.get("OTKLIK_TELEGRAM_API_URL", "https://api.telegram.org")
    bot = Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(api_url)))
    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    await dispatcher.start_polling(
        bot, allowed_updates=dispatcher.resolve_used_update_types(), handle_signals=True
    )
    return 0


if __name__ == "__main__":
    # The same logging as `otklik run`, so the comparison is like for like.
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("aiogram.event").setLevel(logging.WARNING)  # as `otklik run` does
    if os.environ.get("ECHO_EVENT_LOOP") == "uvloop":  # a side measurement (bench/README.md)
        import uvloop

        sys.exit(uvloop.run(main()))
    sys.exit(asyncio.run(main()))
