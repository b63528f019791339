"""Settings: defaults, .env, and one clear line for every mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from core.settings import Settings, SettingsError, ensure_secret_key, load_settings


def test_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.database_url == "sqlite+aiosqlite:///./otklik.db"
    assert settings.telegram_api_url == "https://api.telegram.org"
    assert settings.timezone == "Europe/Moscow" and settings.locale == "ru"
    assert settings.officer_ids == [] and settings.decline_months == 3


def test_env_file_and_lists(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text(
        "OTKLIK_BOT_TOKEN=123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ_abc\n"
        "OTKLIK_OFFICER_IDS=111, 222\n"
        "OTKLIK_TELEGRAM_API_URL=http://127.0.0.1:8081\n"
        "OTKLIK_EXTRA_DAYS_OFF=2025-06-30\n",
        encoding="utf-8",
    )
    settings = load_settings()
    assert settings.token() == "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ_abc"
    assert settings.officer_ids == [111, 222]
    assert settings.telegram_api_url == "http://127.0.0.1:8081"
    assert str(settings.extra_days_off[0]) == "2025-06-30"


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        (None, "Не задан токен"),
        ("", "Не задан токен"),
        ("not-a-token", "неверный формат"),
        ("123:short", "неверный формат"),
    ],
)
def test_missing_or_malformed_token_is_one_clear_line(token: str | None, expected: str) -> None:
    settings = Settings(_env_file=None, bot_token=token)  # type: ignore[call-arg, arg-type]
    with pytest.raises(SettingsError) as error:
        settings.token()
    assert expected in str(error.value) and "\n" not in str(error.value)


def test_bad_values_are_reported_in_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OTKLIK_TIMEZONE", "Mars/Olympus")
    monkeypatch.setenv("OTKLIK_OFFICER_IDS", "12,abc")
    with pytest.raises(SettingsError) as error:
        load_settings()
    message = str(error.value)
    assert "OTKLIK_TIMEZONE" in message and "OTKLIK_OFFICER_IDS" in message and "\n" not in message


def test_cli_without_token_prints_one_line_and_no_traceback(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OTKLIK_BOT_TOKEN", raising=False)
    assert main(["run"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("Не задан токен бота") and "Traceback" not in err and "\n" not in err


def test_secret_key_is_created_once_in_env(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("OTKLIK_LOCALE=ru", encoding="utf-8")
    first = ensure_secret_key(Settings(_env_file=None), env)  # type: ignore[call-arg]
    assert first.secret_key is not None
    again = Settings(_env_file=env)  # type: ignore[call-arg]
    assert again.secret_key is not None
    assert again.secret_key.get_secret_value() == first.secret_key.get_secret_value()
    assert ensure_secret_key(again, env) is again
    assert env.read_text(encoding="utf-8").count("OTKLIK_SECRET_KEY") == 1
