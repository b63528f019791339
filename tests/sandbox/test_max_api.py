"""The MAX stand-in over real HTTP: long polling, start payloads, keyboards, callbacks, edits."""

from __future__ import annotations

import asyncio

import aiohttp

from sandbox import MaxSandboxServer
from tests.sandbox.conftest import MaxHttp

KEYBOARD = {
    "type": "inline_keyboard",
    "payload": {
        "buttons": [
            [
                {"type": "callback", "text": "Да", "payload": "q:1:yes"},
                {"type": "callback", "text": "Нет", "payload": "q:1:no"},
            ],
            [{"type": "link", "text": "Сайт", "url": "https://example.org"}],
        ]
    },
}


async def test_me_answers_with_the_header_or_the_query_token(
    max_api: MaxHttp, http: aiohttp.ClientSession, max_server: MaxSandboxServer
) -> None:
    status, me = await max_api.call("GET", "/me")
    assert status == 200 and me["is_bot"] is True
    assert me["username"] == max_server.config.bot_username
    async with http.get(f"{max_server.base_url}/me", params={"access_token": "t"}) as resp:
        assert resp.status == 200
    status, error = await max_api.call("GET", "/me", token="")
    assert (status, error["code"]) == (401, "verify.token")
    max_server.update_config(token="right")
    status, error = await max_api.call("GET", "/me", token="wrong")
    assert (status, error) == (401, {"code": "verify.token", "message": "Invalid access_token"})


async def test_marker_confirms_what_came_before_it(
    max_api: MaxHttp, max_server: MaxSandboxServer
) -> None:
    max_server.inject_message(7, "один")
    max_server.inject_message(7, "два")
    status, first = await max_api.call("GET", "/updates", params={"timeout": 0, "marker": 0})
    assert status == 200
    assert [u["message"]["body"]["text"] for u in first["updates"]] == ["один", "два"]
    assert {u["update_type"] for u in first["updates"]} == {"message_created"}
    # Not confirmed yet: the same marker hands the same updates out again.
    _, again = await max_api.call("GET", "/updates", params={"timeout": 0, "marker": 0})
    assert again == first
    marker = first["marker"]
    _, empty = await max_api.call("GET", "/updates", params={"timeout": 0, "marker": marker})
    assert empty == {"updates": [], "marker": marker}
    # Confirmed updates are gone for good, even for an older marker.
    _, old = await max_api.call("GET", "/updates", params={"timeout": 0, "marker": 0})
    assert old["updates"] == []
    assert max_server.stats()["updates_confirmed"] == 2


async def test_without_a_marker_the_server_hands_each_update_out_once(
    max_api: MaxHttp, max_server: MaxSandboxServer
) -> None:
    max_server.inject_message(7, "раз")
    _, first = await max_api.call("GET", "/updates", params={"timeout": 0})
    assert len(first["updates"]) == 1
    _, second = await max_api.call("GET", "/updates", params={"timeout": 0})
    assert second["updates"] == [] and second["marker"] == first["marker"]


async def test_long_poll_wakes_on_a_new_update_and_filters_types(
    max_api: MaxHttp, max_server: MaxSandboxServer
) -> None:
    poll = asyncio.create_task(
        max_api.call("GET", "/updates", params={"timeout": 10, "types": "bot_started"})
    )
    await asyncio.sleep(0.05)
    max_server.inject_message(7, "не то")
    await asyncio.sleep(0.05)
    assert not poll.done()
    max_server.inject_start(7, "org42")
    async with asyncio.timeout(2):
        _, answer = await poll
    assert [u["update_type"] for u in answer["updates"]] == ["bot_started"]


async def test_bot_started_carries_the_deep_link_payload(
    max_api: MaxHttp, max_server: MaxSandboxServer
) -> None:
    assert max_server.deep_link("org42") == "https://max.ru/otklik_sandbox_bot?start=org42"
    max_server.inject_start(7, "org42", first_name="Анна")
    _, answer = await max_api.call("GET", "/updates", params={"timeout": 0})
    (update,) = answer["updates"]
    assert update["update_type"] == "bot_started" and update["payload"] == "org42"
    assert update["user"]["user_id"] == 7 and update["user"]["name"] == "Анна"
    assert update["chat_id"] == max_server.private_chat_id(7) != 7
    assert isinstance(update["timestamp"], int) and update["timestamp"] > 10**12


async def test_a_keyboard_message_is_stored_and_readable_via_control(
    max_api: MaxHttp, max_server: MaxSandboxServer
) -> None:
    max_server.register_user(7)
    status, sent = await max_api.call(
        "POST",
        "/messages",
        params={"user_id": 7},
        json={"text": "<b>Оцените</b> приём", "format": "html", "attachments": [KEYBOARD]},
    )
    assert status == 200
    message = sent["message"]
    assert message["body"]["text"] == "Оцените приём"
    assert message["body"]["markup"] == [{"type": "strong", "from": 0, "length": 7}]
    assert message["recipient"] == {
        "chat_id": max_server.private_chat_id(7),
        "chat_type": "dialog",
        "user_id": 7,
    }
    assert message["body"]["mid"].startswith("mid.")
    (view,) = max_server.messages(max_server.private_chat_id(7))
    assert view["text"] == "Оцените приём" and view["mid"] == message["body"]["mid"]
    assert [b["text"] for row in view["keyboard"] for b in row] == ["Да", "Нет", "Сайт"]
    button = max_server.find_button(max_server.private_chat_id(7), "нет")
    assert button is not None and button["payload"] == "q:1:no"
    chat_id = max_server.private_chat_id(7)
    status, _ = await max_api.call(
        "POST", "/messages", params={"chat_id": chat_id}, json={"text": "ещё"}
    )
    assert status == 200 and max_server.last_message(chat_id)["text"] == "ещё"  # type: ignore[index]


async def test_a_press_comes_as_message_callback_and_is_answered(
    max_api: MaxHttp, max_server: MaxSandboxServer
) -> None:
    max_server.register_user(7)
    _, sent = await max_api.call(
        "POST",
        "/messages",
        params={"user_id": 7},
        json={"text": "Вопрос", "attachments": [KEYBOARD]},
    )
    _, drained = await max_api.call("GET", "/updates", params={"timeout": 0})
    pressed = max_server.press_button(7, "Да")
    _, answer = await max_api.call(
        "GET", "/updates", params={"timeout": 1, "marker": drained["marker"]}
    )
    (update,) = answer["updates"]
    assert update["update_type"] == "message_callback"
    assert update["callback"]["payload"] == "q:1:yes"
    assert update["callback"]["callback_id"] == pressed["query_id"]
    assert update["message"]["body"]["mid"] == sent["message"]["body"]["mid"]
    status, ok = await max_api.call(
        "POST",
        "/answers",
        params={"callback_id": pressed["query_id"]},
        json={"notification": "Спасибо!", "message": {"text": "Ответ принят", "attachments": []}},
    )
    assert (status, ok) == (200, {"success": True})
    answered = await max_server.wait_for_callback_answer(pressed["query_id"], 1)
    assert answered["notification"] == "Спасибо!"
    view = max_server.last_message(max_server.private_chat_id(7))
    assert view is not None and view["text"] == "Ответ принят" and view["keyboard"] is None
    assert view["history"][0]["body"]["text"] == "Вопрос"
    status, error = await max_api.call(
        "POST", "/answers", params={"callback_id": "nope"}, json={"notification": "x"}
    )
    assert (status, error["code"]) == (404, "callback.not.found")
    status, error = await max_api.call(
        "POST", "/answers", params={"callback_id": pressed["query_id"]}, json={}
    )
    assert (status, error["code"]) == (400, "proto.payload")


async def test_an_old_callback_cannot_be_answered(
    max_api: MaxHttp, max_server: MaxSandboxServer
) -> None:
    max_server.register_user(7)
    await max_api.call(
        "POST", "/messages", params={"user_id": 7}, json={"text": "В", "attachments": [KEYBOARD]}
    )
    pressed = max_server.press_button(7, "Нет")
    max_server.update_config(callback_ttl=0.0)
    status, error = await max_api.call(
        "POST", "/answers", params={"callback_id": pressed["query_id"]}, json={"notification": "x"}
    )
    assert status == 400 and "too old" in str(error["message"])


async def test_edit_keeps_or_replaces_attachments_and_delete_hides(
    max_api: MaxHttp, max_server: MaxSandboxServer
) -> None:
    max_server.register_user(7)
    chat_id = max_server.private_chat_id(7)
    _, sent = await max_api.call(
        "POST", "/messages", params={"user_id": 7}, json={"text": "Было", "attachments": [KEYBOARD]}
    )
    mid = sent["message"]["body"]["mid"]
    status, ok = await max_api.call(
        "PUT", "/messages", params={"message_id": mid}, json={"text": "Стало"}
    )
    assert (status, ok) == (200, {"success": True})
    view = max_server.last_message(chat_id)
    assert view is not None and view["text"] == "Стало" and view["keyboard"] is not None
    await max_api.call("PUT", "/messages", params={"message_id": mid}, json={"attachments": []})
    view = max_server.last_message(chat_id)
    assert view is not None and view["text"] == "Стало" and view["keyboard"] is None
    assert [h["body"]["text"] for h in view["history"]] == ["Было", "Стало"]
    _, got = await max_api.call("GET", f"/messages/{mid}")
    assert got["body"]["text"] == "Стало"
    assert (await max_api.call("DELETE", "/messages", params={"message_id": mid}))[0] == 200
    assert max_server.last_message(chat_id) is None
    assert max_server.messages(chat_id, include_deleted=True)[0]["deleted"] is True
    status, error = await max_api.call(
        "PUT", "/messages", params={"message_id": mid}, json={"text": "x"}
    )
    assert (status, error["code"]) == (404, "message.not.found")
    user_mid = max_server.inject_message(7, "моё")["message"]["mid"]
    status, error = await max_api.call("DELETE", "/messages", params={"message_id": user_mid})
    assert status == 403


async def test_a_stopped_bot_gets_bot_stopped_and_403_on_send(
    max_api: MaxHttp, max_server: MaxSandboxServer
) -> None:
    max_server.register_user(7)
    max_server.block_user(7)
    _, answer = await max_api.call("GET", "/updates", params={"timeout": 0})
    assert [u["update_type"] for u in answer["updates"]] == ["bot_stopped"]
    status, error = await max_api.call(
        "POST", "/messages", params={"user_id": 7}, json={"text": "x"}
    )
    assert (status, error["code"]) == (403, "chat.denied")
    max_server.inject_start(7)
    status, _ = await max_api.call("POST", "/messages", params={"user_id": 7}, json={"text": "x"})
    assert status == 200


async def test_errors_have_max_shape(
    max_api: MaxHttp, http: aiohttp.ClientSession, max_server: MaxSandboxServer
) -> None:
    max_server.register_user(7)
    cases = [
        (
            ("POST", "/messages"),
            {"params": {"user_id": 7, "chat_id": 1}, "json": {"text": "x"}},
            400,
        ),
        (("POST", "/messages"), {"params": {"user_id": 99}, "json": {"text": "x"}}, 404),
        (("POST", "/messages"), {"params": {"user_id": 7}, "json": {"text": ""}}, 400),
        (("POST", "/messages"), {"params": {"user_id": 7}, "json": {"text": "x" * 4001}}, 400),
        (
            ("POST", "/messages"),
            {
                "params": {"user_id": 7},
                "json": {
                    "text": "x",
                    "attachments": [
                        {
                            "type": "inline_keyboard",
                            "payload": {
                                "buttons": [[{"type": "callback", "text": "", "payload": "p"}]]
                            },
                        }
                    ],
                },
            },
            400,
        ),
        (("GET", "/nowhere"), {}, 404),
        (("PATCH", "/me"), {}, 405),
        (("GET", "/updates"), {"params": {"limit": 5000}}, 400),
    ]
    for (method, path), kwargs, expected in cases:
        status, error = await max_api.call(method, path, **kwargs)  # type: ignore[arg-type]
        assert status == expected, (path, kwargs, error)
        assert set(error) == {"code", "message"} and isinstance(error["code"], str)
    headers = {"Authorization": "t", "Content-Type": "application/json"}
    async with http.post(
        f"{max_server.base_url}/messages",
        params={"user_id": "7"},
        data=b"{not json",
        headers=headers,
    ) as resp:
        assert resp.status == 400 and (await resp.json())["code"] == "proto.payload"
