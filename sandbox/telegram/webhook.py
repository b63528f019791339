"""Webhook delivery: POST queued updates to the bot until each one is acknowledged.

Like Telegram, updates of one chat are delivered strictly in order (the next one only after
the previous got a 2xx), different chats in parallel up to ``max_connections``; a failed
delivery pauses the whole pipe for an exponential backoff and is retried first.
Everything is driven by completions and ``call_later`` timers, no polling loops.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from sandbox.jsontypes import JsonDict
from sandbox.telegram.params import Params, Upload
from sandbox.telegram.updates import update_chat_id
from sandbox.telegram.world import TelegramWorld

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
Executor = Callable[[str, Params], Awaitable[Any]]


class WebhookManager:
    """Owns the webhook settings and the in-flight deliveries of one sandbox."""

    def __init__(self, sandbox: TelegramWorld, execute: Executor | None = None) -> None:
        self.sb = sandbox
        self.execute = execute
        self.url = ""
        self.secret_token: str | None = None
        self.max_connections = 40
        self.ip_address: str | None = None
        self.last_error_date: int | None = None
        self.last_error_message: str | None = None
        self._session: aiohttp.ClientSession | None = None
        self._queues: dict[int | tuple[str, int], deque[int]] = {}
        self._ready: deque[int | tuple[str, int]] = deque()
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._failures = 0
        self._paused_until = 0.0
        self._resume: asyncio.TimerHandle | None = None
        self._generation = 0

    @property
    def active(self) -> bool:
        return bool(self.url)

    # ------------------------------------------------------------ settings
    def set(
        self,
        url: str,
        *,
        secret_token: str | None = None,
        max_connections: int = 40,
        drop_pending: bool = False,
        ip_address: str | None = None,
    ) -> None:
        """Start (or re-target) delivery of the whole pending queue to ``url``."""
        self._drop_state()
        self.url = url
        self.secret_token = secret_token
        self.max_connections = max_connections
        self.ip_address = ip_address
        self.last_error_date = None
        self.last_error_message = None
        if drop_pending:
            self.sb.updates.clear()
        for update_id, update in self.sb.updates.items():
            self._add(update_id, update)
        self._pump()
        self.sb.wake_pollers()

    def delete(self, *, drop_pending: bool = False) -> None:
        """Stop delivering; unacknowledged updates stay queued for getUpdates."""
        self._drop_state()
        self.url = ""
        self.secret_token = None
        if drop_pending:
            self.sb.updates.clear()

    def reset(self) -> None:
        """Forget the webhook entirely (``TelegramWorld.reset(full=True)``)."""
        self.delete()
        self.last_error_date = None
        self.last_error_message = None

    def restart(self) -> None:
        """Keep the settings but abandon in-flight deliveries (``TelegramWorld.reset()``)."""
        self._drop_state()
        self.last_error_date = None
        self.last_error_message = None

    def info(self) -> JsonDict:
        """The WebhookInfo object of getWebhookInfo."""
        info: JsonDict = {
            "url": self.url,
            "has_custom_certificate": False,
            "pending_update_count": len(self.sb.updates),
        }
        if self.url:
            info["max_connections"] = self.max_connections
            info["ip_address"] = self.ip_address or "127.0.0.1"
            info["allowed_updates"] = sorted(self.sb.allowed_updates)
        if self.last_error_date is not None:
            info["last_error_date"] = self.last_error_date
            info["last_error_message"] = self.last_error_message
        return info

    async def close(self) -> None:
        """Cancel deliveries (also those orphaned by earlier set/delete) and the session."""
        tasks = list(self._tasks)
        self._drop_state()
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None

    # ------------------------------------------------------------ pipeline
    def notify(self, update_id: int, update: JsonDict) -> None:
        """A new update was queued while the webhook is active."""
        self._add(update_id, update)
        self._pump()

    def _drop_state(self) -> None:
        self._generation += 1
        for task in self._in_flight.values():
            task.cancel()
        self._in_flight.clear()
        self._queues.clear()
        self._ready.clear()
        self._failures = 0
        self._paused_until = 0.0
        if self._resume is not None:
            self._resume.cancel()
            self._resume = None

    def _add(self, update_id: int, update: JsonDict) -> None:
        chat_id = update_chat_id(update)
        key: int | tuple[str, int] = chat_id if chat_id is not None else ("update", update_id)
        queue = self._queues.get(key)
        if queue is None:
            queue = self._queues[key] = deque()
            self._ready.append(key)
        queue.append(update_id)

    def _pump(self) -> None:
        """Start as many deliveries as capacity, ordering and backoff allow."""
        if not self.url or self.sb.closing:
            return
        loop = asyncio.get_running_loop()
        wait = self._paused_until - loop.time()
        if wait > 0:
            if self._resume is None:
                self._resume = loop.call_later(wait, self._on_resume)
            return
        while self._ready and len(self._in_flight) < self.max_connections:
            key = self._ready.popleft()
            queue = self._queues[key]
            update_id = queue[0]
            update = self.sb.updates.get(update_id)
            if update is None:  # dropped meanwhile
                queue.popleft()
                if queue:
                    self._ready.append(key)
                else:
                    del self._queues[key]
                continue
            task = loop.create_task(self._deliver(self._generation, key, update_id, update))
            self._in_flight[update_id] = task
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _on_resume(self) -> None:
        self._resume = None
        self._pump()

    async def _deliver(
        self, generation: int, key: int | tuple[str, int], update_id: int, update: JsonDict
    ) -> None:
        error = await self._post(update)
        if generation != self._generation:
            return
        self._in_flight.pop(update_id, None)
        queue = self._queues[key]
        if error is None:
            self._failures = 0
            queue.popleft()
            self.sb.updates.pop(update_id, None)
            self.sb.counters["webhook_delivered"] += 1
            if queue:
                self._ready.append(key)
            else:
                del self._queues[key]
        else:
            self._failures += 1
            self.sb.counters["webhook_failed"] += 1
            self.last_error_date = int(time.time())
            self.last_error_message = error
            cfg = self.sb.config
            delay = min(cfg.webhook_retry_max, cfg.webhook_retry_base * 2 ** (self._failures - 1))
            self._paused_until = asyncio.get_running_loop().time() + delay
            self._ready.appendleft(key)
        self._pump()

    async def _post(self, update: JsonDict) -> str | None:
        """POST one update; None on a 2xx answer, else Telegram's last_error_message."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        headers = {"Content-Type": "application/json"}
        if self.secret_token:
            headers[SECRET_HEADER] = self.secret_token
        timeout = aiohttp.ClientTimeout(total=self.sb.config.webhook_timeout)
        try:
            async with self._session.post(
                self.url,
                data=json.dumps(update, ensure_ascii=False),
                headers=headers,
                timeout=timeout,
            ) as resp:
                if not 200 <= resp.status < 300:
                    return f"Wrong response from the webhook: {resp.status} {resp.reason}"
                reply = await _read_reply(resp)
        except TimeoutError:
            return "Connection timed out"
        except (aiohttp.ClientError, OSError) as exc:
            return f"Connection failed: {exc.__class__.__name__}"
        if reply is not None and self.execute is not None:
            method, params = reply
            try:
                await self.execute(method, params)
            except Exception:  # the bot never learns the outcome of a webhook reply
                self.sb.counters["webhook_reply_errors"] += 1
        return None


async def _read_reply(resp: aiohttp.ClientResponse) -> tuple[str, Params] | None:
    """A Bot API call the bot returned in the webhook answer (JSON or aiogram's multipart)."""
    values: JsonDict = {}
    uploads: dict[str, Upload] = {}
    if resp.content_type == "multipart/form-data":
        reader = aiohttp.MultipartReader.from_response(resp)
        while True:
            part = await reader.next()
            if part is None:
                break
            if not isinstance(part, aiohttp.BodyPartReader) or not part.name:
                continue
            data = bytes(await part.read(decode=True))
            if part.filename:
                ctype = part.headers.get(aiohttp.hdrs.CONTENT_TYPE)
                uploads[part.name] = Upload(data, part.filename, ctype)
            else:
                values[part.name] = data.decode("utf-8", "replace")
    else:
        body = await resp.read()
        if not body.strip():
            return None
        try:
            payload = json.loads(body)
        except ValueError:
            return None
        if not isinstance(payload, dict):
            return None
        values = payload
    method = values.pop("method", None)
    if not isinstance(method, str) or not method:
        return None
    return method, Params(values, uploads)
