"""MAX's error answers: an HTTP status and ``{"code": "<key>", "message": "<text>"}``.

Keys follow what the MAX Bot API answers (``verify.token``, ``chat.denied``,
``too.many.requests``, ``attachment.not.ready`` ...); a shared :class:`ApiError` raised by
the shared parts (the rate limiter, fault rules) is translated by its status.
"""

from __future__ import annotations

from sandbox.errors import ApiError
from sandbox.jsontypes import JsonDict

KEYS_BY_STATUS = {
    400: "proto.payload",
    401: "verify.token",
    403: "chat.denied",
    404: "not.found",
    405: "method.not.allowed",
    429: "too.many.requests",
    500: "internal.error",
    502: "bad.gateway",
    503: "service.unavailable",
}


class MaxError(ApiError):
    """An error the MAX Bot API answers with; ``key`` is its ``code`` string."""

    def __init__(self, status: int, key: str, message: str) -> None:
        super().__init__(status, message)
        self.key = key

    def payload(self) -> JsonDict:
        return {"code": self.key, "message": self.description}


def as_max(error: ApiError) -> MaxError:
    """A shared error (429 from the limiter, an injected fault) in MAX's shape."""
    if isinstance(error, MaxError):
        return error
    status = error.error_code
    text = error.description
    for prefix in ("Bad Request: ", "Forbidden: ", "Too Many Requests: "):
        text = text.removeprefix(prefix)
    if status == 429:
        text = "Too many requests"
    return MaxError(status, KEYS_BY_STATUS.get(status, "internal.error"), text)


def bad_request(message: str) -> MaxError:
    return MaxError(400, "proto.payload", message)


def not_found(message: str, key: str = "not.found") -> MaxError:
    return MaxError(404, key, message)


def denied(message: str = "error.dialog.suspended") -> MaxError:
    """What sending to a user who stopped the bot answers."""
    return MaxError(403, "chat.denied", message)


def unauthorized() -> MaxError:
    return MaxError(401, "verify.token", "Invalid access_token")
