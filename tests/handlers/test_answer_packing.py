"""A question's buttons are packed once per keyboard (`AnswerCb.packer`), exactly as
aiogram's `pack` packs each, errors included."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.callbacks import AnswerCb


@given(
    s=st.integers(min_value=0, max_value=10**12),
    v=st.integers(min_value=0, max_value=10**6),
    x=st.text(min_size=0, max_size=40),
)
def test_packer_gives_what_pack_gives(s: int, v: int, x: str) -> None:
    try:
        expected = AnswerCb(s=s, v=v, x=x).pack()
    except ValueError as error:
        with pytest.raises(ValueError, match=str(error).split("!")[0][:20]):
            AnswerCb.packer(s, v)(x)
    else:
        packed = AnswerCb.packer(s, v)(x)
        assert packed == expected
        assert AnswerCb.unpack(packed) == AnswerCb(s=s, v=v, x=x)


def test_a_separator_or_a_value_too_long_is_refused() -> None:
    pack = AnswerCb.packer(12, 3)
    with pytest.raises(ValueError, match="Separator"):
        pack("t:x")
    with pytest.raises(ValueError, match="too long"):
        pack("я" * 40)
    assert pack("t.opt") == "a:12:3:t.opt"
