"""aiogram's built-in i18n, fed from the project's one catalogue (core.i18n)."""

from __future__ import annotations

from aiogram.utils.i18n import I18n

from core.i18n import DOMAIN, compiled_locales


def create_i18n(default_locale: str = "ru") -> I18n:
    return I18n(path=compiled_locales(), default_locale=default_locale, domain=DOMAIN)
