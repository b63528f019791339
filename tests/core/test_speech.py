"""The channel-neutral message: JSON for the outbox, and every intent rendered for Telegram."""

from __future__ import annotations

import json

import pytest

from core.speech import Action, Intent, Speech, actions_from_json, actions_to_json
from handlers.callbacks import AlertCb, CampaignCb, RelayCb, ResearchCb, SignCb
from handlers.speech import CALLBACKS, callback_data, inline_keyboard

TOKEN = "A" * 22  # secrets.token_urlsafe(16)
SAMPLES = {
    Intent.ALERT_REPLY: (2**53,),
    Intent.ALERT_ACK: (2**53,),
    Intent.FEEDBACK_REPLY: (2**53,),
    Intent.CAMPAIGN_TAKE: (2**53,),
    Intent.RESEARCH_TAKE: (2**53, "x" * 43),
    Intent.REQUEST_ANSWER: (2**53,),
    Intent.REQUEST_DONE: (2**53,),
    Intent.REQUEST_REFUSE: (2**53,),
    Intent.REGISTRY_PUBLISHED: (2**53,),
    Intent.CASE_OPEN: (2**53,),
    Intent.SIGNATURE_SIGN: (2**53,),
    Intent.SIGNATURE_RETURN: (2**53,),
}


def test_speech_survives_json() -> None:
    speech = Speech(
        "<b>Ответ</b> &lt;тег&gt;",
        (
            (Action(Intent.ALERT_REPLY, (17,), "Ответить"), Action(Intent.ALERT_ACK, (17,), "Ок")),
            (Action(Intent.RESEARCH_TAKE, (4, TOKEN), "Пройти опрос"),),
        ),
    )
    assert Speech.from_json(json.loads(json.dumps(speech.to_json()))) == speech
    assert actions_from_json(json.loads(json.dumps(actions_to_json(speech.actions)))) == (
        speech.actions
    )
    assert actions_to_json(()) is None and actions_from_json(None) == ()


def test_an_unknown_intent_is_refused() -> None:
    with pytest.raises(ValueError):
        Action.from_json({"intent": "nobody.knows", "ids": [1], "label": "?"})


def test_every_intent_has_a_telegram_button_within_64_bytes() -> None:
    assert set(CALLBACKS) == set(Intent) == set(SAMPLES)
    for intent, ids in SAMPLES.items():
        assert len(callback_data(Action(intent, ids, "label")).encode()) <= 64


def test_telegram_buttons_are_what_the_handlers_parse() -> None:
    actions = (
        (Action(Intent.ALERT_REPLY, (17,), "Ответить"), Action(Intent.ALERT_ACK, (17,), "Ок")),
        (Action(Intent.FEEDBACK_REPLY, (17,), "Ответить"),),
        (Action(Intent.CAMPAIGN_TAKE, (3,), "Пройти опрос"),),
        (Action(Intent.RESEARCH_TAKE, (4, TOKEN), "Пройти опрос"),),
    )
    keyboard = inline_keyboard(actions)
    assert keyboard is not None
    datas = [[b.callback_data for b in row] for row in keyboard.inline_keyboard]
    assert datas == [["fa:17:reply", "fa:17:ack"], ["fr:17"], ["cp:3"], [f"rs:4:{TOKEN}"]]
    assert AlertCb.unpack("fa:17:ack") == AlertCb(a=17, x="ack")
    assert RelayCb.unpack("fr:17").a == 17 and CampaignCb.unpack("cp:3").c == 3
    assert ResearchCb.unpack(f"rs:4:{TOKEN}") == ResearchCb(c=4, t=TOKEN)
    assert keyboard.inline_keyboard[3][0].text == "Пройти опрос"
    assert inline_keyboard(()) is None
    sign_it = Action(Intent.SIGNATURE_SIGN, (5,), "Подписать")
    return_it = Action(Intent.SIGNATURE_RETURN, (5,), "Вернуть на доработку")
    signing = inline_keyboard(((sign_it, return_it),))
    assert signing is not None
    sign, back = signing.inline_keyboard[0]
    assert SignCb.unpack(sign.callback_data or "") == SignCb(g=5, ok=True)
    assert SignCb.unpack(back.callback_data or "") == SignCb(g=5, ok=False)
