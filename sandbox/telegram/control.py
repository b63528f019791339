"""The Telegram world's part of the ``/_sandbox`` control API: users, chats, input, waits."""

from __future__ import annotations

from aiohttp import web

from sandbox.control import body_of, flag, number, ok, routes_of, wait_timeout
from sandbox.telegram.sandbox import Sandbox
from sandbox.telegram.webhook import WebhookManager


def chat_id_of(request: web.Request) -> int:
    return int(request.match_info["chat_id"])


class WorldControl:
    """Control routes over one Telegram sandbox and its webhook."""

    def __init__(self, sandbox: Sandbox, webhook: WebhookManager) -> None:
        self.sb = sandbox
        self.webhook = webhook

    def routes(self) -> list[web.RouteDef]:
        return routes_of(
            [
                ("POST", "/users", self.register_user),
                ("POST", "/users/{user_id}/block", self.block_user),
                ("GET", "/chats", self.list_chats),
                ("POST", "/chats", self.create_chat),
                ("GET", "/chats/{chat_id}", self.get_chat),
                ("GET", "/chats/{chat_id}/messages", self.messages),
                ("GET", "/chats/{chat_id}/last", self.last),
                ("GET", "/chats/{chat_id}/button", self.button),
                ("GET", "/chats/{chat_id}/wait", self.wait),
                ("POST", "/messages", self.inject_message),
                ("POST", "/edited_messages", self.inject_edited),
                ("POST", "/callbacks", self.inject_callback),
                ("POST", "/press", self.press),
                ("POST", "/updates", self.inject_update),
                ("GET", "/updates", self.pending),
                ("GET", "/callbacks", self.callbacks),
                ("GET", "/callbacks/{query_id}", self.callback),
                ("GET", "/callbacks/{query_id}/wait", self.callback_wait),
                ("GET", "/webhook", self.webhook_info),
            ]
        )

    # ---------------------------------------------------------- users/chats
    async def register_user(self, request: web.Request) -> web.StreamResponse:
        return ok(self.sb.register_user(**await body_of(request)))

    async def block_user(self, request: web.Request) -> web.StreamResponse:
        body = await body_of(request)
        self.sb.block_user(int(request.match_info["user_id"]), **body)
        return ok(True)

    async def list_chats(self, request: web.Request) -> web.StreamResponse:
        return ok(self.sb.list_chats())

    async def create_chat(self, request: web.Request) -> web.StreamResponse:
        return ok(self.sb.create_chat(**await body_of(request)))

    # ---------------------------------------------------------------- reads
    async def get_chat(self, request: web.Request) -> web.StreamResponse:
        since = int(number(request, "since_message_id", 0))
        return ok(self.sb.chat(chat_id_of(request), since_message_id=since))

    async def messages(self, request: web.Request) -> web.StreamResponse:
        return ok(
            self.sb.messages(
                chat_id_of(request),
                include_deleted=flag(request, "include_deleted"),
                include_user=flag(request, "include_user"),
                since_message_id=int(number(request, "since_message_id", 0)),
            )
        )

    async def last(self, request: web.Request) -> web.StreamResponse:
        return ok(self.sb.last_message(chat_id_of(request)))

    async def button(self, request: web.Request) -> web.StreamResponse:
        message_id = request.query.get("message_id")
        return ok(
            self.sb.find_button(
                chat_id_of(request),
                request.query["text"],
                message_id=int(message_id) if message_id else None,
                callback_only=flag(request, "callback_only"),
            )
        )

    async def wait(self, request: web.Request) -> web.StreamResponse:
        """The long poll behind ``SandboxClient.watch_chat``: ``Sandbox.watch_chat`` itself."""
        return ok(
            await self.sb.watch_chat(
                chat_id_of(request),
                int(number(request, "after_version", -1)),
                wait_timeout(request),
                since_message_id=int(number(request, "since_message_id", 0)),
            )
        )

    # ---------------------------------------------------------------- input
    async def inject_message(self, request: web.Request) -> web.StreamResponse:
        return ok(self.sb.inject_message(**await body_of(request)))

    async def inject_edited(self, request: web.Request) -> web.StreamResponse:
        return ok(self.sb.inject_edited_message(**await body_of(request)))

    async def inject_callback(self, request: web.Request) -> web.StreamResponse:
        return ok(self.sb.inject_callback(**await body_of(request)))

    async def press(self, request: web.Request) -> web.StreamResponse:
        return ok(self.sb.press_button(**await body_of(request)))

    async def inject_update(self, request: web.Request) -> web.StreamResponse:
        body = await body_of(request)
        return ok(self.sb.inject_update(body.get("update", body)))

    async def pending(self, request: web.Request) -> web.StreamResponse:
        return ok(self.sb.pending_updates())

    # ------------------------------------------------------------ callbacks
    async def callbacks(self, request: web.Request) -> web.StreamResponse:
        return ok(self.sb.callback_answers())

    async def callback(self, request: web.Request) -> web.StreamResponse:
        return ok(self.sb.callback_answer(request.match_info["query_id"]))

    async def callback_wait(self, request: web.Request) -> web.StreamResponse:
        query_id = request.match_info["query_id"]
        return ok(await self.sb.watch_callback(query_id, wait_timeout(request)))

    async def webhook_info(self, request: web.Request) -> web.StreamResponse:
        return ok(self.webhook.info())
