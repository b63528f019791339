"""Otklik sandbox: local stand-ins for the Telegram and MAX Bot APIs, one control API.

Use ``SandboxServer`` (Telegram) or ``MaxSandboxServer`` (MAX) in-process (each is also
its control API) or run ``python -m sandbox [--messenger max]`` and drive it with
``SandboxClient``; point aiogram at Telegram's with
``TelegramAPIServer.from_base(server.base_url)`` and maxapi at MAX's with
``bot.set_api_url(server.base_url)``.

Layers, one way: the shared modules (``jsontypes``, ``errors``, ``waiting``, ``limits``,
``faults``, ``state``, ``http``, ``control``, ``client``) know no messenger;
``sandbox.telegram`` and ``sandbox.max`` build the stand-ins on them; this package
re-exports both.
"""

from sandbox.client import SandboxClient, SandboxError
from sandbox.errors import ApiError, ControlError
from sandbox.max.server import MaxSandboxServer
from sandbox.state import SandboxConfig
from sandbox.telegram.sandbox import Sandbox
from sandbox.telegram.server import SandboxServer

__all__ = [
    "ApiError",
    "ControlError",
    "MaxSandboxServer",
    "Sandbox",
    "SandboxClient",
    "SandboxConfig",
    "SandboxError",
    "SandboxServer",
]
