"""The MAX stand-in: MAX Bot API (platform-api.max.ru) on the sandbox's shared parts.

Built like ``sandbox.telegram`` on the messenger-free modules (state, faults, limits,
waiting, control, http) and serving the same ``/_sandbox`` control API, so a test drives
either channel the same way.  ``MaxSandboxServer`` is the server and the in-process control.
"""

from sandbox.max.server import MaxSandboxServer

__all__ = ["MaxSandboxServer"]
