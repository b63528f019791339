"""Otklik sandbox: a local stand-in for the Telegram Bot API (server, control API, client).

Use ``SandboxServer`` in-process (it is also the control API) or run ``python -m sandbox``
and drive it with ``SandboxClient``; point aiogram at it with
``TelegramAPIServer.from_base(server.base_url)``.
"""

from sandbox.client import SandboxClient, SandboxError
from sandbox.core import Sandbox, SandboxConfig
from sandbox.errors import ApiError, ControlError
from sandbox.server import SandboxServer

__all__ = [
    "ApiError",
    "ControlError",
    "Sandbox",
    "SandboxClient",
    "SandboxConfig",
    "SandboxError",
    "SandboxServer",
]
