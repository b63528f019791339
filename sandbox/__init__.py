"""Otklik sandbox: a local stand-in for the Telegram Bot API (server, control API, client).

Use ``SandboxServer`` in-process (it is also the control API) or run ``python -m sandbox``
and drive it with ``SandboxClient``; point aiogram at it with
``TelegramAPIServer.from_base(server.base_url)``.

Layers, one way: the shared modules (``jsontypes``, ``errors``, ``waiting``, ``limits``,
``faults``, ``state``, ``http``, ``control``, ``client``) know no messenger;
``sandbox.telegram`` builds the Telegram stand-in on them; this package re-exports it.
"""

from sandbox.client import SandboxClient, SandboxError
from sandbox.errors import ApiError, ControlError
from sandbox.state import SandboxConfig
from sandbox.telegram.sandbox import Sandbox
from sandbox.telegram.server import SandboxServer

__all__ = [
    "ApiError",
    "ControlError",
    "Sandbox",
    "SandboxClient",
    "SandboxConfig",
    "SandboxError",
    "SandboxServer",
]
