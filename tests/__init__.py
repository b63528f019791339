"""The test suite; aiogram is imported as the bot imports it (see bot.aiogram_lazy)."""

from bot.aiogram_lazy import install

install()  # before any test module imports aiogram: validators are built on first use
