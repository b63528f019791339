"""The MAX channel: aiogram's handlers over MAX, with maxapi as the MAX client.

MAX updates become aiogram updates (bot.max.updates) that go through the same durable
inbox, unit of work and dispatcher as Telegram's; the handlers' Bot API calls go to MAX
through a session of their own (bot.max.session). Everything a person does in Telegram
then works in MAX by construction. Chats and users are written in the MAX part of the one
address space (core.channels), so the domain keeps one integer per chat.
"""
