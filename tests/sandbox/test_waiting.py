"""The one waiting API: keyed signals, and ``wait_for`` over any ChatWatch."""

from __future__ import annotations

import asyncio

import pytest

from sandbox import SandboxClient, SandboxServer
from sandbox.waiting import Signals, wait_for


async def test_signal_wakes_only_its_key_and_times_out() -> None:
    signals = Signals()
    waiter = asyncio.create_task(signals.wait("a", 5.0))
    await asyncio.sleep(0)
    signals.fire("b")
    await asyncio.sleep(0)
    assert not waiter.done()
    signals.fire("a")
    assert await waiter is True
    assert await signals.wait("a", 0.01) is False


async def test_in_process_and_client_share_wait_for(server: SandboxServer) -> None:
    server.register_user(7)
    async with SandboxClient(server.base_url) as client:
        for watch, text in ((server, "in process"), (client, "over HTTP")):

            def shown(messages: list[dict[str, object]], text: str = text) -> bool:
                return any(m.get("text") == text for m in messages)

            task = asyncio.create_task(wait_for(watch, 7, shown))
            await asyncio.sleep(0.05)
            assert not task.done()
            server.add_bot_message(server.chats[7], {"text": text})
            found = await task
            assert found[-1]["text"] == text
            with pytest.raises(TimeoutError):
                await watch.wait_for(7, lambda _messages: False, 0.05)
