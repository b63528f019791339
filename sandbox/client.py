"""Async client for the ``/_sandbox`` control API, for tests and benchmarks in other processes.

Method names and arguments mirror the in-process methods of either stand-in (Telegram's
``SandboxServer`` and MAX's ``MaxSandboxServer`` serve the same control API); the waits are
:class:`sandbox.waiting.Waits`, shared with the stand-ins, over the server's long polls
(``/chats/{id}/wait``, ``/callbacks/{id}/wait``), never by sleeping in a loop.
"""

from __future__ import annotations

import base64
from types import TracebackType
from typing import Any, Self

import aiohttp

from sandbox.jsontypes import JsonDict
from sandbox.waiting import Waits


class SandboxError(Exception):
    """The control API refused a request (e.g. pressing a button that is not there)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


def _encode_file(value: Any) -> Any:
    """Bytes travel as base64 inside the JSON body."""
    if isinstance(value, bytes | bytearray):
        return {"base64": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, dict) and isinstance(value.get("data"), bytes | bytearray):
        out = {k: v for k, v in value.items() if k != "data"}
        out["base64"] = base64.b64encode(bytes(value["data"])).decode()
        return out
    return value


def _drop_none(values: dict[str, Any]) -> JsonDict:
    return {k: v for k, v in values.items() if v is not None}


class SandboxClient(Waits):
    """Drive a running sandbox over HTTP: ``async with SandboxClient(base_url) as sb: ...``."""

    def __init__(self, base_url: str, *, session: aiohttp.ClientSession | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._session = session
        self._own_session = session is None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        if self._own_session and self._session is not None:
            await self._session.close()
        self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
            self._own_session = True
        return self._session

    async def _call(
        self,
        method: str,
        path: str,
        *,
        json: JsonDict | None = None,
        params: dict[str, Any] | None = None,
        timeout: float = 30.0,  # noqa: ASYNC109
    ) -> Any:
        query = {
            k: str(v).lower() if isinstance(v, bool) else str(v)
            for k, v in (params or {}).items()
            if v is not None
        }
        async with self._http().request(
            method,
            f"{self.base_url}/_sandbox{path}",
            json=json,
            params=query,
            timeout=aiohttp.ClientTimeout(total=timeout),
        ) as resp:
            data = await resp.json(content_type=None)
        if not isinstance(data, dict) or not data.get("ok"):
            message = data.get("error", data) if isinstance(data, dict) else data
            raise SandboxError(resp.status, str(message))
        return data.get("result")

    # --------------------------------------------------------------- admin
    async def health(self) -> JsonDict:
        result: JsonDict = await self._call("GET", "/health")
        return result

    async def reset(self, *, full: bool = False) -> None:
        """Forget the simulated world; ``full`` also forgets webhook/commands/menu."""
        await self._call("POST", "/reset", json={"full": full})

    async def stats(self) -> JsonDict:
        """Counters; ``messages_per_chat`` keys are converted back to int."""
        result: JsonDict = await self._call("GET", "/stats")
        result["messages_per_chat"] = {int(k): v for k, v in result["messages_per_chat"].items()}
        return result

    async def get_config(self) -> JsonDict:
        result: JsonDict = await self._call("GET", "/config")
        return result

    async def update_config(self, **changes: Any) -> JsonDict:
        result: JsonDict = await self._call("PATCH", "/config", json=changes)
        return result

    async def get_rate_limits(self) -> JsonDict:
        result: JsonDict = await self._call("GET", "/rate_limits")
        return result

    async def set_rate_limits(
        self,
        enabled: bool | None = None,
        *,
        global_rate: float | None = None,
        global_burst: float | None = None,
        per_chat_rate: float | None = None,
        per_chat_burst: float | None = None,
        group_per_minute: float | None = None,
    ) -> JsonDict:
        body = _drop_none(
            {
                "enabled": enabled,
                "global_rate": global_rate,
                "global_burst": global_burst,
                "per_chat_rate": per_chat_rate,
                "per_chat_burst": per_chat_burst,
                "group_per_minute": group_per_minute,
            }
        )
        result: JsonDict = await self._call("POST", "/rate_limits", json=body)
        return result

    async def add_fault(
        self,
        kind: str,
        *,
        count: int | None = None,
        probability: float | None = None,
        method: str | None = None,
        chat_id: int | None = None,
        status: int = 500,
        description: str | None = None,
        retry_after: int = 5,
        hold: float = 5.0,
        deliver: bool = False,
    ) -> JsonDict:
        body = _drop_none(
            {
                "kind": kind,
                "count": count,
                "probability": probability,
                "method": method,
                "chat_id": chat_id,
                "status": status,
                "description": description,
                "retry_after": retry_after,
                "hold": hold,
                "deliver": deliver,
            }
        )
        result: JsonDict = await self._call("POST", "/faults", json=body)
        return result

    async def list_faults(self) -> list[JsonDict]:
        result: list[JsonDict] = await self._call("GET", "/faults")
        return result

    async def remove_fault(self, fault_id: int) -> bool:
        return bool(await self._call("DELETE", f"/faults/{fault_id}"))

    async def clear_faults(self) -> None:
        await self._call("DELETE", "/faults")

    async def webhook_info(self) -> JsonDict:
        result: JsonDict = await self._call("GET", "/webhook")
        return result

    async def chat_commands(self, chat_id: int | None = None, language_code: str = "") -> JsonDict:
        """The command menu a chat shows: ``{"scope", "commands"}``.

        Telegram resolves it per private chat (its scope, all private chats, the default); MAX
        has one list for the bot, so there ``chat_id`` is not needed.
        """
        params = {"chat_id": chat_id, "language_code": language_code or None}
        result: JsonDict = await self._call("GET", "/commands", params=params)
        return result

    async def pending_updates(self) -> list[JsonDict]:
        result: list[JsonDict] = await self._call("GET", "/updates")
        return result

    # ------------------------------------------------------- users / input
    async def register_user(
        self,
        user_id: int,
        *,
        username: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        language_code: str | None = None,
    ) -> JsonDict:
        body = _drop_none(
            {
                "user_id": user_id,
                "username": username,
                "first_name": first_name,
                "last_name": last_name,
                "language_code": language_code,
            }
        )
        result: JsonDict = await self._call("POST", "/users", json=body)
        return result

    async def create_chat(
        self,
        chat_id: int,
        chat_type: str = "group",
        *,
        title: str | None = None,
        username: str | None = None,
    ) -> JsonDict:
        body = _drop_none(
            {"chat_id": chat_id, "chat_type": chat_type, "title": title, "username": username}
        )
        result: JsonDict = await self._call("POST", "/chats", json=body)
        return result

    async def block_user(
        self, user_id: int, blocked: bool = True, *, emit_update: bool = True
    ) -> None:
        await self._call(
            "POST",
            f"/users/{user_id}/block",
            json={"blocked": blocked, "emit_update": emit_update},
        )

    async def inject_message(
        self, user_id: int, text: str | None = None, **kwargs: Any
    ) -> JsonDict:
        """Same keywords as ``Sandbox.inject_message``; bytes for photo/document are fine."""
        body = _drop_none({"user_id": user_id, "text": text, **kwargs})
        for key in ("photo", "document"):
            if key in body:
                body[key] = _encode_file(body[key])
        result: JsonDict = await self._call("POST", "/messages", json=body)
        return result

    async def inject_edited_message(
        self,
        user_id: int,
        message_id: int,
        text: str | None = None,
        *,
        caption: str | None = None,
        chat_id: int | None = None,
    ) -> JsonDict:
        body = _drop_none(
            {
                "user_id": user_id,
                "message_id": message_id,
                "text": text,
                "caption": caption,
                "chat_id": chat_id,
            }
        )
        result: JsonDict = await self._call("POST", "/edited_messages", json=body)
        return result

    async def inject_callback(
        self,
        user_id: int,
        message_id: int,
        data: str,
        *,
        chat_id: int | None = None,
        force: bool = False,
    ) -> JsonDict:
        body = _drop_none(
            {
                "user_id": user_id,
                "message_id": message_id,
                "data": data,
                "chat_id": chat_id,
                "force": force,
            }
        )
        result: JsonDict = await self._call("POST", "/callbacks", json=body)
        return result

    async def press_button(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        message_id: int | None = None,
    ) -> JsonDict:
        body = _drop_none(
            {"user_id": user_id, "text": text, "chat_id": chat_id, "message_id": message_id}
        )
        result: JsonDict = await self._call("POST", "/press", json=body)
        return result

    async def inject_start(
        self,
        user_id: int,
        payload: str | None = None,
        *,
        username: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        language_code: str | None = None,
    ) -> JsonDict:
        """The user opens the deep link and presses Start (Telegram: ``/start <payload>``,
        MAX: ``bot_started`` with ``payload``)."""
        body = _drop_none(
            {
                "user_id": user_id,
                "payload": payload,
                "username": username,
                "first_name": first_name,
                "last_name": last_name,
                "language_code": language_code,
            }
        )
        result: JsonDict = await self._call("POST", "/start", json=body)
        return result

    async def private_chat_id(self, user_id: int) -> int:
        """The chat id of the user's private chat (Telegram: the user id; MAX: the dialog)."""
        return int(await self._call("GET", f"/users/{user_id}/chat"))

    async def deep_link(self, payload: str | None = None) -> str:
        return str(await self._call("GET", "/deep_link", params={"payload": payload}))

    async def file(self, token: str) -> JsonDict:
        """A file the bot uploaded to the MAX stand-in, ``base64`` of its bytes included."""
        result: JsonDict = await self._call("GET", f"/files/{token}")
        return result

    async def inject_update(self, update: JsonDict) -> JsonDict:
        result: JsonDict = await self._call("POST", "/updates", json={"update": update})
        return result

    # --------------------------------------------------------------- reads
    async def list_chats(self) -> list[JsonDict]:
        result: list[JsonDict] = await self._call("GET", "/chats")
        return result

    async def chat(self, chat_id: int, *, since_message_id: int = 0) -> JsonDict | None:
        result: JsonDict | None = await self._call(
            "GET", f"/chats/{chat_id}", params={"since_message_id": since_message_id}
        )
        return result

    async def messages(
        self,
        chat_id: int,
        *,
        include_deleted: bool = False,
        include_user: bool = False,
        since_message_id: int = 0,
    ) -> list[JsonDict]:
        result: list[JsonDict] = await self._call(
            "GET",
            f"/chats/{chat_id}/messages",
            params={
                "include_deleted": include_deleted,
                "include_user": include_user,
                "since_message_id": since_message_id,
            },
        )
        return result

    async def last_message(self, chat_id: int) -> JsonDict | None:
        result: JsonDict | None = await self._call("GET", f"/chats/{chat_id}/last")
        return result

    async def find_button(
        self,
        chat_id: int,
        text: str,
        *,
        message_id: int | None = None,
        callback_only: bool = False,
    ) -> JsonDict | None:
        result: JsonDict | None = await self._call(
            "GET",
            f"/chats/{chat_id}/button",
            params={"text": text, "message_id": message_id, "callback_only": callback_only},
        )
        return result

    async def callback_answer(self, query_id: str) -> JsonDict | None:
        result: JsonDict | None = await self._call("GET", f"/callbacks/{query_id}")
        return result

    async def callback_answers(self) -> dict[str, JsonDict | None]:
        result: dict[str, JsonDict | None] = await self._call("GET", "/callbacks")
        return result

    # ---------------------------------------------------------------- waits
    async def watch_chat(
        self,
        chat_id: int,
        after_version: int,
        timeout: float,  # noqa: ASYNC109 - server-side long-poll duration
        *,
        since_message_id: int = 0,
    ) -> JsonDict:
        """One long poll (:class:`sandbox.waiting.ChatWatch`), served by ``Sandbox.watch_chat``."""
        result: JsonDict = await self._call(
            "GET",
            f"/chats/{chat_id}/wait",
            params={
                "after_version": after_version,
                "timeout": max(0.0, timeout),
                "since_message_id": since_message_id,
            },
            timeout=max(0.0, timeout) + 10.0,
        )
        return result

    async def watch_callback(
        self,
        query_id: str,
        timeout: float,  # noqa: ASYNC109 - server-side long-poll duration
    ) -> JsonDict | None:
        """One long poll for a callback's answer, served by the stand-in's ``watch_callback``."""
        result: JsonDict | None = await self._call(
            "GET",
            f"/callbacks/{query_id}/wait",
            params={"timeout": max(0.0, timeout)},
            timeout=max(0.0, timeout) + 10.0,
        )
        return result
