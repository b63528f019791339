"""Tests of the Telegram Bot API sandbox."""
