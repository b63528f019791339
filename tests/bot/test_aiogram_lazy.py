"""The aiogram adapter fails here, loudly, when aiogram or pydantic changes under it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from aiogram.types.base import TelegramObject

from bot import aiogram_lazy


def test_pydantic_rebuild_signature_is_the_one_forwarded() -> None:
    assert aiogram_lazy.supported(), (
        "pydantic's BaseModel.model_rebuild changed its parameters: update bot/aiogram_lazy.py "
        f"(expects {aiogram_lazy.REBUILD_PARAMETERS})"
    )


def test_aiogram_still_rebuilds_every_type_at_import() -> None:
    assert aiogram_lazy.install(), "aiogram was imported before bot.aiogram_lazy.install()"
    # aiogram.types hands its namespace to model_rebuild() of every type; if it stops, the
    # adapter has nothing left to defer and should be deleted.
    assert aiogram_lazy.recorded_names() > 300
    assert TelegramObject.model_config.get("defer_build") is True


def test_types_are_built_on_first_use_and_response_types_stay() -> None:
    script = textwrap.dedent(
        """
        import gc, weakref
        from bot.aiogram_lazy import install
        assert install()
        from aiogram.methods import SendMessage
        from aiogram.methods.base import Response
        from aiogram.types import Message, PaidMediaInfo
        assert not Message.__pydantic_complete__, "built at import"
        assert not PaidMediaInfo.__pydantic_complete__, "built at import"
        message = Message.model_validate({
            "message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"}, "text": "hi",
            "entities": [{"type": "bold", "offset": 0, "length": 2}],
            "reply_markup": {"inline_keyboard": [[{"text": "a", "callback_data": "b"}]]},
        })
        assert message.entities[0].type == "bold" and Message.__pydantic_complete__
        assert message.reply_markup.inline_keyboard[0][0].callback_data == "b"
        # pydantic keeps each Response[T] alive: an API answer does not rebuild its model.
        first = weakref.ref(Response[SendMessage.__returning__])
        gc.collect()
        assert first() is not None and Response[SendMessage.__returning__] is first()
        """
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr
