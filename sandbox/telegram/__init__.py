"""The Telegram Bot API stand-in: its world, methods, formats, webhook and HTTP routes.

Shared machinery (state, waiting, control, limits, faults, the HTTP host) lives one level
up in ``sandbox``; this package adds only what is Telegram's.
"""
