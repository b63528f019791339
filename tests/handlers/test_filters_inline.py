"""No handler or router filter runs in aiogram's thread pool.

aiogram awaits async filters in place but sends every synchronous one, `F` expressions
included, to a thread: a hop per check on every update. handlers.filters.inline keeps magic
filters on the event loop; this guards that none slipped back.
"""

from __future__ import annotations

from collections.abc import Iterator

from aiogram import F, Router
from aiogram.dispatcher.event.handler import FilterObject
from aiogram.types import Chat, Message

from handlers import build_root_router
from handlers.filters import inline


def _filters(router: Router) -> Iterator[tuple[str, FilterObject]]:
    for name, observer in router.observers.items():
        for event_filter in observer._handler.filters or []:
            yield f"{router.name}.{name} (router)", event_filter
        for handler in observer.handlers:
            for event_filter in handler.filters or []:
                yield f"{router.name}.{name} {handler.callback.__name__}", event_filter
    for child in router.sub_routers:
        yield from _filters(child)


def test_every_filter_is_awaited_in_place() -> None:
    checked = list(_filters(build_root_router()))
    assert len(checked) > 30  # the walk reached the routers' handlers
    threaded = [where for where, event_filter in checked if not event_filter.awaitable]
    assert threaded == []


async def test_inline_filter_resolves_like_the_magic_one() -> None:
    private = Message.model_validate(
        {"message_id": 1, "date": 0, "chat": Chat(id=5, type="private"), "text": "/start x"}
    )
    group = private.model_copy(update={"chat": Chat(id=-5, type="group")})
    assert await inline(F.chat.type == "private")(private)
    assert not await inline(F.chat.type == "private")(group)
    assert not await inline(F.text & ~F.text.startswith("/"))(private)
    assert await inline(F.text.contains(" "))(private)
    # aiogram treats it as awaitable: no thread pool.
    assert FilterObject(inline(F.text)).awaitable
    assert not FilterObject(F.text).awaitable


async def test_private_chat_filter_takes_one_to_one_chats_only() -> None:
    from aiogram.types import CallbackQuery, InaccessibleMessage, User

    from handlers.filters import InPrivateChat

    private = Message.model_validate(
        {"message_id": 1, "date": 0, "chat": Chat(id=5, type="private"), "text": "x"}
    )
    group = private.model_copy(update={"chat": Chat(id=-5, type="group")})
    person = User(id=5, is_bot=False, first_name="Иван")

    def pressed(message: Message | InaccessibleMessage | None) -> CallbackQuery:
        return CallbackQuery(id="1", from_user=person, chat_instance="c", data="a", message=message)

    gone = InaccessibleMessage(chat=Chat(id=5, type="private"), message_id=1)
    check = InPrivateChat()
    assert [await check(private), await check(group)] == [True, False]
    assert [await check(pressed(private)), await check(pressed(group))] == [True, False]
    assert await check(pressed(gone))  # a button under a message no longer shown
    assert not await check(pressed(None))  # an inline-mode button: no chat
