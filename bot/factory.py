"""Composition root: the only place where settings, storage, Telegram and handlers meet."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseStorage
from aiogram.types import BotCommand
from aiogram.utils.i18n import ConstI18nMiddleware

from bot.fsm import HashedKeyBuilder, SqlFsmStorage
from bot.i18n import create_i18n
from bot.middlewares import ActorMiddleware, ThrottlingMiddleware, UnitOfWorkMiddleware
from bot.telegram_session import TolerantSession, build_hot_models
from bot.typography import typeset
from core.clock import Clock, utcnow
from core.heap import settle_heap
from core.i18n import translator
from core.settings import Settings
from handlers import build_root_router
from handlers.menus import CITIZEN, role_commands
from outreach.loop import LoopPolicy
from storage.database import SessionPool
from storage.fsm import STATE_RETENTION
from surveys.service import SurveyPolicy


def create_bot(settings: Settings, session: BaseSession | None = None) -> Bot:
    """A Bot talking to Telegram or to any Bot API server given by OTKLIK_TELEGRAM_API_URL."""
    if session is None:
        session = TolerantSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
    build_hot_models()  # at start-up, not in the first respondents' answers
    return Bot(
        settings.token(),
        session=typeset(session),
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )


def create_fsm_storage(settings: Settings, pool: SessionPool) -> BaseStorage:
    """Database FSM by default; Redis when OTKLIK_REDIS_URL is set (several replicas)."""
    if settings.redis_url:
        from aiogram.fsm.storage.redis import RedisStorage

        return RedisStorage.from_url(
            settings.redis_url,
            key_builder=HashedKeyBuilder(settings.secret()),
            state_ttl=STATE_RETENTION,
            data_ttl=STATE_RETENTION,
        )
    # SQLite means one bot process: its memory copy of the states is then the truth.
    return SqlFsmStorage(pool, settings.secret(), cache=settings.is_sqlite)


def survey_policy(settings: Settings) -> SurveyPolicy:
    """The knobs of asking, the same for every channel; the closed loop hears every response."""
    return SurveyPolicy(
        tz=settings.tz,
        daily_limit=settings.daily_response_limit,
        ttl=timedelta(hours=settings.survey_ttl_hours),
        after_client_response=LoopPolicy(
            threshold=settings.low_score_threshold,
            answer_days=settings.feedback_answer_days,
            translate=translator(settings.locale),
        ).after_response,
    )


def create_dispatcher(
    settings: Settings,
    pool: SessionPool,
    *,
    clock: Clock = utcnow,
    storage: BaseStorage | None = None,
    **extra: Any,
) -> Dispatcher:
    """Everything handlers need arrives as Dispatcher keyword arguments, injected by name."""
    dispatcher = Dispatcher(
        storage=storage or create_fsm_storage(settings, pool),
        settings=settings,
        session_pool=pool,
        clock=clock,
        policy=survey_policy(settings),
        **extra,
    )
    i18n = create_i18n(settings.locale)
    # The unit of work first: a duplicate is skipped before it counts against the sender,
    # and a throttled update is marked done in the inbox (with its reason), not left pending.
    dispatcher.update.outer_middleware(UnitOfWorkMiddleware(pool))
    dispatcher.update.outer_middleware(ThrottlingMiddleware(i18n=i18n, locale=settings.locale))
    ConstI18nMiddleware(locale=settings.locale, i18n=i18n).setup(dispatcher)
    dispatcher.update.outer_middleware(ActorMiddleware(pool, settings.secret()))
    dispatcher.include_router(build_root_router())
    settle_heap()  # what is imported by now lives as long as the process
    return dispatcher


def bot_commands(locale: str) -> list[BotCommand]:
    """The default scope's menu: the citizens' (handlers.menus gives staff their own)."""
    return role_commands(CITIZEN, translator(locale))
