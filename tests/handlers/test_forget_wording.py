"""Issue #17 point 8: «the right message after a citizen withdrew with /forget».

After /forget the bot says plainly what happened and how to start again; an old button under
a questionnaire it unlinked says the same instead of «На этот вопрос уже дан ответ».
"""

from __future__ import annotations

from storage.database import SessionPool
from tests.handlers.helpers import count_responses
from tests.mocked_bot import Telegram

CITIZEN = 6201
START_AGAIN = "Чтобы снова оценить услугу, отправьте /start или отсканируйте QR-код."


async def test_forget_says_what_happened_and_how_to_start_again(
    telegram: Telegram, session_pool: SessionPool
) -> None:
    await telegram.send(CITIZEN, "/start t-SUP01-EPGU")
    await telegram.tap(CITIZEN, "Дать согласие")
    question = telegram.last(CITIZEN)
    rating = telegram.button(CITIZEN, "5")

    await telegram.send(CITIZEN, "/forget")
    await telegram.tap(CITIZEN, "Да, удалить")
    done = telegram.last(CITIZEN).text or ""
    assert done.startswith("Готово: ваши ответы больше не связаны с вами (ответов: 0).")
    assert "начатую анкету продолжить уже нельзя" in done and START_AGAIN in done

    await telegram.press(CITIZEN, rating, question)  # the old question's keyboard
    shown = telegram.session.chats[CITIZEN].messages[question.message_id]  # edited in place
    assert (shown.text or "").startswith("Ваши ответы больше не связаны с вами (команда /forget)")
    assert START_AGAIN in (shown.text or "")
    assert shown.reply_markup is None, "no live buttons are left under it"
    assert "уже дан ответ" not in str(list(telegram.session.callback_answers.values()))
    assert await count_responses(session_pool) == 0


async def test_an_opt_in_button_after_forget_explains_instead_of_going_dead(
    telegram: Telegram, session_pool: SessionPool
) -> None:
    await telegram.send(CITIZEN, "/start t-SUP01-EPGU")
    await telegram.tap(CITIZEN, "Дать согласие")
    await telegram.tap(CITIZEN, "5")
    await telegram.tap(CITIZEN, "Пропустить")
    await telegram.tap(CITIZEN, "Гражданин")
    thanks = telegram.last(CITIZEN)
    assert "Спасибо" in (thanks.text or "")
    recontact = telegram.button(CITIZEN, "Можно спросить")

    await telegram.send(CITIZEN, "/forget")
    await telegram.tap(CITIZEN, "Да, удалить")
    assert "(ответов: 1)" in (telegram.last(CITIZEN).text or "")

    await telegram.press(CITIZEN, recontact, thanks)
    shown = telegram.session.chats[CITIZEN].messages[thanks.message_id]
    assert (shown.text or "").startswith("Ваши ответы больше не связаны с вами")
    assert shown.reply_markup is None
    assert await count_responses(session_pool) == 1, "the answer stays in the statistics"
