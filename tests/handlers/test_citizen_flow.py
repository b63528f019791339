"""The citizen's questionnaire through the real dispatcher, handlers and database."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from storage.database import SessionPool
from storage.models import SessionStatus, SurveySession
from tests.conftest import SmallRegistry
from tests.handlers.helpers import count_responses, responses, session_statuses
from tests.mocked_bot import Telegram

CITIZEN = 5001


async def consent_and_rate(
    telegram: Telegram, user: int, score: str, payload: str = "t-SUP01-EPGU"
) -> None:
    await telegram.send(user, f"/start {payload}")
    if "Прежде чем начать" in (telegram.last(user).text or ""):
        await telegram.tap(user, "Дать согласие")
    await telegram.tap(user, score)


async def test_high_rating_skips_the_conditional_questions(
    telegram: Telegram, session_pool: SessionPool
) -> None:
    await telegram.send(CITIZEN, "/start t-SUP01-EPGU")
    consent = telegram.last(CITIZEN)
    assert "Прежде чем начать" in (consent.text or "") and "/forget" in (consent.text or "")
    await telegram.tap(CITIZEN, "Дать согласие")
    question = telegram.last(CITIZEN)
    assert question.message_id == consent.message_id, "questions edit the same message"
    assert "Назначение ежемесячной денежной выплаты" in (question.text or "")
    labels = [b.text for b in question.reply_markup.inline_keyboard[0]]  # type: ignore[union-attr]
    assert labels == ["1", "2", "3", "4", "5 ⭐"]
    await telegram.tap(CITIZEN, "5")
    assert "комментарий" in (telegram.last(CITIZEN).text or "")
    await telegram.tap(CITIZEN, "Пропустить")
    assert "в каком качестве вы обращались" in (telegram.last(CITIZEN).text or "")
    await telegram.tap(CITIZEN, "Гражданин")
    assert "Спасибо" in (telegram.last(CITIZEN).text or "")
    [response] = await responses(session_pool)
    assert response.rating == 5 and response.channel == "digital" and response.segment == "citizen"
    assert response.collected_via == "telegram"
    assert {a.question for a in response.answers} == {"satisfaction", "segment"}
    assert await session_statuses(session_pool) == [SessionStatus.COMPLETED]


async def test_low_rating_asks_what_went_wrong_and_at_which_stage(
    telegram: Telegram, session_pool: SessionPool
) -> None:
    await consent_and_rate(telegram, CITIZEN, "2", payload="t-SUP01-MFC")
    assert "Что пошло не так" in (telegram.last(CITIZEN).text or "")
    await telegram.tap(CITIZEN, "Очередь")
    await telegram.tap(CITIZEN, "Вежливость")
    marks = [b.text for r in telegram.last(CITIZEN).reply_markup.inline_keyboard for b in r]  # type: ignore[union-attr]
    assert "✅ Очередь" in marks and "✅ Вежливость сотрудников" in marks
    await telegram.tap(CITIZEN, "Готово")
    assert "На каком этапе" in (telegram.last(CITIZEN).text or "")
    await telegram.tap(CITIZEN, "рассмотрение")
    await telegram.tap(CITIZEN, "Высокая")
    await telegram.send(CITIZEN, "Очень долго ждал в очереди")
    await telegram.tap(CITIZEN, "Пенсионер")
    assert "Спасибо" in (telegram.last(CITIZEN).text or "")
    [response] = await responses(session_pool)
    answers = {a.question: a for a in response.answers}
    assert response.rating == 2 and response.channel == "offline"
    assert answers["problems"].choices == ["queue", "politeness"]
    assert answers["stage"].value_text == "рассмотрение"
    assert answers["criticality"].value_text == "high"
    assert answers["comment"].value_text == "Очень долго ждал в очереди"


async def test_back_button_returns_to_the_previous_question(
    telegram: Telegram, session_pool: SessionPool
) -> None:
    await consent_and_rate(telegram, CITIZEN, "3")
    await telegram.tap(CITIZEN, "Назад")
    assert "Оцените, насколько" in (telegram.last(CITIZEN).text or "")
    await telegram.tap(CITIZEN, "5")
    assert "комментарий" in (telegram.last(CITIZEN).text or "")


async def test_segment_question_is_asked_once_per_respondent(
    telegram: Telegram, session_pool: SessionPool, clock: object
) -> None:
    await consent_and_rate(telegram, CITIZEN, "4")
    await telegram.tap(CITIZEN, "Пропустить")
    await telegram.tap(CITIZEN, "Пропустить")  # segment skipped: still never asked again
    assert "Спасибо" in (telegram.last(CITIZEN).text or "")
    await consent_and_rate(telegram, CITIZEN, "4", payload="t-SUP01-MFC")
    await telegram.tap(CITIZEN, "Пропустить")
    assert "Спасибо" in (telegram.last(CITIZEN).text or "")
    assert await count_responses(session_pool) == 2


async def test_opt_in_is_kept_with_the_respondent_key(
    telegram: Telegram, session_pool: SessionPool
) -> None:
    from storage.models import Respondent, RespondentContact

    await consent_and_rate(telegram, CITIZEN, "5")
    await telegram.send(CITIZEN, "Спасибо, всё понятно объяснили")
    await telegram.tap(CITIZEN, "Пропустить")
    await telegram.tap(CITIZEN, "ответ на свой отзыв")
    async with session_pool() as session:
        [respondent] = (await session.scalars(sa.select(Respondent))).all()
        contact = await session.get(RespondentContact, respondent.key)
    assert respondent.answer_ok and not respondent.recontact_ok
    assert contact is not None and contact.chat_id == CITIZEN


async def test_start_without_payload_finds_the_service_by_menu_and_by_text(
    telegram: Telegram, session_pool: SessionPool
) -> None:
    await telegram.send(CITIZEN, "/start")
    assert "Здравствуйте" in (telegram.last(CITIZEN).text or "")
    await telegram.tap(CITIZEN, "Оценить услугу")
    await telegram.tap(CITIZEN, "Меры государственной поддержки")
    await telegram.tap(CITIZEN, "Назначение ежемесячной")
    await telegram.tap(CITIZEN, "МФЦ")
    await telegram.tap(CITIZEN, "Дать согласие")
    assert "Оцените, насколько" in (telegram.last(CITIZEN).text or "")

    other = 5002
    await telegram.send(other, "госуслуг")
    assert "Вот что нашлось" in (telegram.last(other).text or "")
    await telegram.tap(other, "Портал Госуслуг")
    await telegram.tap(other, "Дать согласие")
    await telegram.tap(other, "5")
    assert "комментарий" in (telegram.last(other).text or "")


async def test_the_service_finder_never_offers_a_citizen_an_internal_service(
    telegram: Telegram, session_pool: SessionPool, registry: SmallRegistry
) -> None:
    """Issue #13, point 14: forged finder buttons (any level, paging or not) lead nowhere."""
    from aiogram.types import Chat, Message

    from storage.models import Touchpoint, TouchpointKind

    async with session_pool() as session, session.begin():
        portal = Touchpoint(
            code="IT01-PORTAL", process_id=registry.internal_process_id, name="Портал заявок ИТ",
            kind=TouchpointKind.DIGITAL, channel="Портал", needs=[4], payload="t-IT01-PORTAL",
        )  # fmt: skip
        session.add(portal)
        await session.flush()
        portal_id = portal.id
    await telegram.send(CITIZEN, "/start")
    menu = Message(message_id=1, date=datetime.now(UTC), chat=Chat(id=CITIZEN, type="private"))
    internal = registry.internal_process_id
    for data in (f"n:t:{portal_id}:0", f"n:p:{internal}:0", f"n:t*:{internal}:0",
                 f"n:x*:{internal}:0", f"n:x:{internal}:0"):  # fmt: skip
        await telegram.press(CITIZEN, data, menu)
        await telegram.send(CITIZEN, "/start t-IT01-PORTAL")
    shown = [m for m in telegram.session.sent_to(CITIZEN)]
    labels = [
        b.text for m in shown if m.reply_markup for r in m.reply_markup.inline_keyboard for b in r
    ]  # type: ignore[union-attr]
    assert not any("Портал заявок ИТ" in label for label in labels), labels
    assert all("Прежде чем начать" not in (m.text or "") for m in shown)
    assert "только сотрудникам" in (telegram.last(CITIZEN).text or "")
    async with session_pool() as session:
        assert await session.scalar(sa.select(sa.func.count(SurveySession.id))) == 0


async def test_an_answer_is_offered_only_to_someone_who_left_a_comment(
    telegram: Telegram, session_pool: SessionPool
) -> None:
    """No comment, nothing to answer: the thanks offers only «ask me again», and a forged
    «answer» press changes nothing; a typed comment's question keeps no live «Пропустить»."""
    from handlers.callbacks import OptInCb
    from storage.models import Respondent

    await consent_and_rate(telegram, CITIZEN, "5")
    await telegram.tap(CITIZEN, "Пропустить")
    await telegram.tap(CITIZEN, "Пенсионер")
    thanks = telegram.last(CITIZEN)
    labels = [b.text for r in thanks.reply_markup.inline_keyboard for b in r]  # type: ignore[union-attr]
    assert labels == ["Можно спросить меня позже ещё раз"]
    assert "ответ на ваш отзыв" not in (thanks.text or "")
    async with session_pool() as session:
        survey_id = await session.scalar(sa.select(SurveySession.id))
    assert survey_id is not None
    update = await telegram.press(CITIZEN, OptInCb(s=survey_id, k="answer").pack())
    assert update.callback_query is not None
    assert telegram.session.callback_answers[update.callback_query.id].text == (
        "Эта кнопка больше не действует."
    )
    async with session_pool() as session:
        assert (await session.scalars(sa.select(Respondent.answer_ok))).one() is False

    second = CITIZEN + 1
    await consent_and_rate(telegram, second, "5")
    comment_question = telegram.last(second)
    assert comment_question.reply_markup is not None
    await telegram.send(second, "Всё объяснили понятно")
    answered = telegram.session.chats[second].messages[comment_question.message_id]
    assert answered.reply_markup is None, "the answered question keeps no live buttons"
    await telegram.tap(second, "Пенсионер")
    labels = [b.text for r in telegram.last(second).reply_markup.inline_keyboard for b in r]  # type: ignore[union-attr]
    assert labels == ["Можно спросить меня позже ещё раз", "Хочу получить ответ на свой отзыв"]


async def test_the_stage_question_can_be_skipped_and_says_so(
    telegram: Telegram, session_pool: SessionPool
) -> None:
    await consent_and_rate(telegram, CITIZEN, "2")
    await telegram.tap(CITIZEN, "Очередь")
    await telegram.tap(CITIZEN, "Готово")
    stage = telegram.last(CITIZEN).text or ""
    assert "На каком этапе" in stage and "Этот вопрос можно пропустить." in stage
    await telegram.tap(CITIZEN, "Пропустить")
    assert "Насколько серьёзной" in (telegram.last(CITIZEN).text or "")
    await telegram.tap(CITIZEN, "Высокая")
    assert "можно пропустить" not in (telegram.last(CITIZEN).text or ""), (
        "the comment question says «нажмите «Пропустить»» itself"
    )


async def test_the_segment_told_once_goes_on_every_later_response(
    telegram: Telegram, session_pool: SessionPool
) -> None:
    """Told in the first questionnaire, kept for the next, which does not ask it again."""
    from storage.models import Respondent

    await consent_and_rate(telegram, CITIZEN, "5")
    await telegram.tap(CITIZEN, "Пропустить")  # the comment
    await telegram.tap(CITIZEN, "Гражданин")
    await consent_and_rate(telegram, CITIZEN, "5", payload="t-SUP01-MFC")
    await telegram.tap(CITIZEN, "Пропустить")
    assert "Спасибо" in (telegram.last(CITIZEN).text or "")
    stored = await responses(session_pool)
    assert [r.segment for r in stored] == ["citizen", "citizen"]
    async with session_pool() as session:
        [respondent] = (await session.scalars(sa.select(Respondent))).all()
    assert (respondent.segment, respondent.segment_asked) == ("citizen", True)
