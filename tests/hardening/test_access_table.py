"""Access control as a table: every command and button × every role, with the expected answer.

Roles: a citizen (no registry entry), an employee of SOC, the owner of SUP01 (owner A), who is
not the owner of SUP02 (owner B) nor of IT01, and the client-centricity officer. Callback data
is crafted to point at objects the role must not touch: owner B's process, its low-score alert
and its case, another respondent's questionnaire, the officer's wizards; and, where it makes
sense, at the role's own objects. A refusal must change nothing: every table (except the
inbox of handled updates) is compared before and after, and no FSM state is left behind.

One database and one bot are prepared once per module and channel; every cell starts from
that database (restored in place with SQLite's backup API), so no cell sees what another one
did. The whole table runs twice: in Telegram, and in MAX, where every person of the world is
known by a MAX user id only and writes from MAX (core.channels), so roles, keys and chats are
MAX's.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import AsyncIterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import sqlalchemy as sa
from aiogram import Dispatcher
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.storage.base import StorageKey
from aiogram.methods import AnswerCallbackQuery, EditMessageReplyMarkup, SendDocument, SendPhoto
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.fsm import SqlFsmStorage
from bot.middlewares import ThrottlingMiddleware
from core.channels import Channel, address
from core.i18n import translator
from core.settings import Settings
from handlers.callbacks import (
    AlertCb,
    AnswerCb,
    CampaignCb,
    CampaignWizardCb,
    CaseCb,
    CaseOpenCb,
    ConsentCb,
    DayCb,
    ExtensionCb,
    ForgetCb,
    InviteCb,
    MenuCb,
    NavCb,
    OptInCb,
    PageCb,
    RateCb,
    RegistryCb,
    RegulationCb,
    RelayCb,
    ReportCb,
    RequestCb,
    RequestServiceCb,
    ResearchCb,
    ResearchConsentCb,
    SignCb,
    StatsCb,
)
from storage.database import create_engine, create_session_pool
from storage.inquiries_models import InternalRequest, RequestForm
from storage.migrate import upgrade_database
from storage.models import (
    ActivityDirection,
    ClientType,
    Department,
    FeedbackAlert,
    Person,
    Process,
    SessionStatus,
    SurveySession,
    Touchpoint,
    TouchpointKind,
)
from surveys.actors import roles_changed
from surveys.catalogue import sync_questionnaires
from surveys.respondents import address_key
from tests.conftest import TEST_TOKEN, build_small_registry
from tests.handlers.conftest import MovableClock
from tests.mocked_bot import Telegram, make_bot

CITIZEN, EMPLOYEE, OWNER_A, OWNER_B, OFFICER = 5001, 600001, 700001, 700002, 900001
OTHER_RESPONDENT, OWN_ALERT_AUTHOR = 5002, 5003
SECRET = "test-secret-key"
NOW = datetime(2025, 3, 12, 9, 30, tzinfo=UTC)
TODAY = date(2025, 3, 12)
pytestmark = pytest.mark.sqlite_only  # the cells restore a SQLite file between them
ROLES = {"citizen": CITIZEN, "employee": EMPLOYEE, "owner-A": OWNER_A, "officer": OFFICER}

try:  # the cases UI may be in progress; handlers/__init__.py includes its router
    import handlers.cases  # noqa: F401

    CASES_ERROR: str | None = None
except Exception as error:  # pragma: no cover - depends on the state of handlers/cases.py
    CASES_ERROR = (
        f"handlers/cases.py does not import cleanly ({type(error).__name__}: {error}); "
        "the root router includes it, so no row of the table can run"
    )


# ------------------------------------------------------------------------------- the world


@dataclass(frozen=True)
class World:
    """Ids of everything the table points at; `template` is the prepared database file."""

    template: Path
    snapshot: dict[str, list[str]]
    soc: int
    process_a: int
    process_b: int
    it01: int
    tp_a: int
    tp_b: int
    tp_it: int
    other_open_session: int
    other_done_session: int
    alert_a: int
    alert_b: int
    case_a: int
    case_b: int
    extension_b: int
    campaign_closed: int
    campaign_running: int
    request_it: int  # an employee's written request to IT01, whose owner is none of the roles


def _settings(database: Path, data_dir: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token=SecretStr(TEST_TOKEN),
        database_url=f"sqlite+aiosqlite:///{database}",
        secret_key=SecretStr(SECRET),
        officer_ids=[OFFICER],
        data_dir=data_dir,
    )


async def _low_score(telegram: Telegram, user: int, payload: str, comment: str) -> None:
    """Consent, a score of 1 with a comment, and the wish to get an answer."""
    await telegram.send(user, f"/start {payload}")
    if "Прежде чем начать" in (telegram.last(user).text or ""):
        await telegram.tap(user, "Дать согласие")
    await telegram.tap(user, "1")
    await telegram.tap(user, "Очередь")
    await telegram.tap(user, "Готово")
    await telegram.tap(user, "рассмотрение")
    await telegram.tap(user, "Высокая")
    await telegram.send(user, comment)
    await telegram.tap(user, "Пенсионер")
    await telegram.tap(user, "ответ на свой отзыв")


def _id(channel: str, number: int) -> int:
    """The person's chat address in the channel the table runs in."""
    return address(Channel(channel), number)


def _who(channel: str, number: int) -> dict[str, int]:
    return {"max_id": number} if channel == "max" else {"telegram_id": number}


async def _build(database: Path, data_dir: Path, channel: str = "telegram") -> World:
    from bot.factory import create_dispatcher
    from outreach.campaigns import run_campaigns, start_campaign
    from reengineering.cases import open_case, request_extension
    from storage.cases_models import Ground, ResearchCampaign

    settings = _settings(database, data_dir)
    engine = create_engine(settings.database_url)
    try:
        await upgrade_database(engine)
        pool = create_session_pool(engine)
        registry = await build_small_registry(pool)
        await sync_questionnaires(pool)
        if channel == "max":  # owner A is known by a MAX user id only
            async with pool() as session, session.begin():
                await session.execute(
                    sa.update(Person)
                    .where(Person.telegram_id == OWNER_A)
                    .values(telegram_id=None, max_id=OWNER_A)
                )
        async with pool() as session, session.begin():
            support = await session.scalar(
                sa.select(ActivityDirection).where(ActivityDirection.code == "support")
            )
            soc = await session.get(Department, registry.department_id)
            owner_b = Person(**_who(channel, OWNER_B), is_employee=True, department=soc)
            process_b = Process(
                code="SUP02",
                name="Выдача справки о составе семьи",
                direction=support,
                department=soc,
                owner=owner_b,
                client_type=ClientType.EXTERNAL,
                stages=["информирование", "подача заявления", "рассмотрение", "получение"],
            )
            tp_b = Touchpoint(
                code="SUP02-MFC",
                process=process_b,
                name="МФЦ, окно выдачи справок",
                kind=TouchpointKind.OFFLINE,
                channel="МФЦ",
                needs=[2],
                payload="t-SUP02-MFC",
            )
            tp_it = Touchpoint(
                code="IT01-PORTAL",
                process_id=registry.internal_process_id,
                name="Портал заявок в техподдержку",
                kind=TouchpointKind.DIGITAL,
                channel="Портал",
                needs=[4],
                payload="t-IT01-PORTAL",
            )
            employee = Person(**_who(channel, EMPLOYEE), is_employee=True, department=soc)
            officer = Person(**_who(channel, OFFICER), is_officer=True)
            session.add_all([owner_b, process_b, tp_b, tp_it, employee, officer])
            await session.flush()
            process_b_id, tp_b_id, tp_it_id = process_b.id, tp_b.id, tp_it.id
            owner_b_id, officer_id = owner_b.id, officer.id
            request_it = InternalRequest(
                process_id=registry.internal_process_id, author_id=employee.id,
                form=RequestForm.WRITTEN, text="Не работает сканер", received_at=NOW,
                received_on=TODAY, due_on=TODAY + timedelta(days=30), acknowledged_at=NOW,
            )  # fmt: skip
            session.add(request_it)
            await session.flush()
            request_it_id = request_it.id

        clock = MovableClock(NOW)
        bot, recording = make_bot()
        telegram = Telegram(bot, create_dispatcher(settings, pool, clock=clock), recording)
        other_respondent = _id(channel, OTHER_RESPONDENT)
        await _low_score(telegram, other_respondent, "t-SUP02-MFC", "Справку ждал две недели")
        author = _id(channel, OWN_ALERT_AUTHOR)
        await _low_score(telegram, author, "t-SUP01-EPGU", "Портал завис на оплате")
        await telegram.send(other_respondent, "/start t-SUP01-MFC")  # left open at question 1
        await bot.session.close()

        other = address_key(SECRET.encode(), other_respondent)
        async with pool() as session, session.begin():
            sessions = {
                status: survey_id
                for survey_id, status in await session.execute(
                    sa.select(SurveySession.id, SurveySession.status).where(
                        SurveySession.respondent_key == other
                    )
                )
            }
            alerts = {
                process_id: alert_id
                for alert_id, process_id in await session.execute(
                    sa.select(FeedbackAlert.id, FeedbackAlert.process_id)
                )
            }
            case_a = await open_case(
                session, registry.process_id, Ground.INSTRUCTION, arose_on=TODAY,
                actor_id=officer_id, at=NOW,
            )  # fmt: skip
            case_b = await open_case(
                session, process_b_id, Ground.INSTRUCTION, arose_on=TODAY,
                actor_id=officer_id, at=NOW,
            )  # fmt: skip
            extension_b = await request_extension(
                session, case_b.case_id, "R1", owner_b_id, reason="Нет данных за два года",
                on=TODAY, at=NOW,
            )  # fmt: skip
            session.add(  # case A's R3 survey runs; nobody in this world is invited to it
                ResearchCampaign(case_id=case_a.case_id, launched_at=NOW, department_ids=[])
            )
            campaigns = []
            for _ in range(2):
                campaign = await start_campaign(
                    session, questionnaire_code="internal_service", audience="employees",
                    starts_on=TODAY, ends_on=TODAY + timedelta(days=7), now=NOW, _=translator(),
                )  # fmt: skip
                campaigns.append(campaign)
            await run_campaigns(session, TODAY, NOW, SECRET.encode(), _=translator())
            campaigns[0].status = "closed"
            campaigns[0].closed_at = NOW
            assert campaigns[1].status == "running"
        await engine.dispose()
        return World(
            template=database,
            snapshot=_snapshot(database),
            soc=registry.department_id,
            process_a=registry.process_id,
            process_b=process_b_id,
            it01=registry.internal_process_id,
            tp_a=registry.touchpoint_id,
            tp_b=tp_b_id,
            tp_it=tp_it_id,
            other_open_session=sessions[SessionStatus.OPEN],
            other_done_session=sessions[SessionStatus.COMPLETED],
            alert_a=alerts[registry.process_id],
            alert_b=alerts[process_b_id],
            case_a=case_a.case_id,
            case_b=case_b.case_id,
            extension_b=extension_b,
            campaign_closed=campaigns[0].id,
            campaign_running=campaigns[1].id,
            request_it=request_it_id,
        )
    finally:
        await engine.dispose()


# ------------------------------------------------------------------------------ the actions


@dataclass(frozen=True)
class Ref:
    """A name of an object of the world, resolved to its id when the cell runs."""

    name: str

    def __repr__(self) -> str:
        return LABELS.get(self.name, self.name)


A, B, IT01, SOC = Ref("process_a"), Ref("process_b"), Ref("it01"), Ref("soc")
TP_B, TP_IT = Ref("tp_b"), Ref("tp_it")
OTHER_OPEN, OTHER_DONE = Ref("other_open_session"), Ref("other_done_session")
ALERT_A, ALERT_B = Ref("alert_a"), Ref("alert_b")
CASE_A, CASE_B, EXT_B = Ref("case_a"), Ref("case_b"), Ref("extension_b")
CAMPAIGN_CLOSED, CAMPAIGN_RUNNING = Ref("campaign_closed"), Ref("campaign_running")
REQUEST_IT = Ref("request_it")
LABELS = {
    "process_a": "A",
    "process_b": "B",
    "it01": "IT01",
    "soc": "SOC",
    "tp_b": "tp-B",
    "tp_it": "tp-IT01",
    "other_open_session": "another-respondents-open-survey",
    "other_done_session": "another-respondents-finished-survey",
    "alert_a": "alert-A",
    "alert_b": "alert-B",
    "case_a": "case-A",
    "case_b": "case-B",
    "extension_b": "extension-B",
    "campaign_closed": "closed-campaign",
    "campaign_running": "running-campaign",
    "request_it": "request-IT01",
}


def _resolve(value: Any, world: World) -> Any:
    return getattr(world, value.name) if isinstance(value, Ref) else value


@dataclass(frozen=True)
class Send:
    text: str

    @property
    def label(self) -> str:
        return self.text


@dataclass(frozen=True)
class Press:
    """A crafted button press; `then` is typed afterwards (a reply the button asked for)."""

    cls: type[CallbackData] | None
    fields: dict[str, Any] = field(default_factory=dict)
    raw: str = ""
    then: str | None = None

    def data(self, world: World) -> str:
        if self.cls is None:
            return self.raw
        return self.cls(**{k: _resolve(v, world) for k, v in self.fields.items()}).pack()

    @property
    def label(self) -> str:
        if self.cls is None:
            return f"raw({self.raw})"
        inner = ",".join(f"{k}={v!r}" if isinstance(v, Ref | str) else f"{k}={v}"
                         for k, v in self.fields.items())  # fmt: skip
        inner = inner.replace("'", "")
        text = f"{self.cls.__name__}({inner})"
        return text + (" + typed reply" if self.then else "")


def press(cls: type[CallbackData], then: str | None = None, **fields: Any) -> Press:
    return Press(cls, fields, then=then)


# ---------------------------------------------------------------------------- the answers


@dataclass(frozen=True)
class Expect:
    """What the person sees; `refusal` adds: no other message, nothing stored, no FSM state."""

    answer: str | None = None  # the exact callback answer text
    says: str | None = None  # a fragment of some message sent, edited or answered
    absent: tuple[str, ...] = ()  # fragments no message may contain
    refusal: bool = False
    document: bool = False
    markup: bool = False  # the keyboard under the pressed message was redrawn
    untouched: tuple[str, ...] = ()  # tables that must not change even if others may
    own_rows: tuple[str, ...] = ()  # the only tables that may lose rows, the sender's alone
    outcome: str = "allowed"
    finding: str | None = None  # a known hole: the cell is an xfail (strict) until it is fixed


def own_data_only(fragment: str) -> Expect:
    """Allowed, and acts on the sender alone: nobody else's data changes (nothing does here)."""
    return Expect(says=fragment, refusal=True, outcome="changes-nothing")


def own_rows_only(fragment: str) -> Expect:
    """Allowed, and acts on the sender alone: only rows addressed to them go (/forget drops
    the invitations a campaign sent them), nothing else changes, nobody else's row."""
    return Expect(says=fragment, outcome="own-rows-only", own_rows=("campaign_invites", "outbox"))


def refused(text: str) -> Expect:
    """A button refused with exactly this answer (an alert or a toast)."""
    return Expect(answer=text, refusal=True, outcome="refused")


def denied(fragment: str, *absent: str) -> Expect:
    """A command or a button answered with a message that refuses; nothing changes."""
    return Expect(says=fragment, absent=absent, refusal=True, outcome="refused")


def ok(fragment: str | None = None, *absent: str, answer: str | None = None) -> Expect:
    return Expect(answer=answer, says=fragment, absent=absent)


def report(answer: str = "Готовлю отчёт…") -> Expect:
    return Expect(answer=answer, document=True, outcome="allowed")


def hole(fragment: str, finding: str) -> Expect:
    """Refused, and no questionnaire opens: a hole this table found, closed since (`finding`)."""
    return Expect(says=fragment, untouched=("survey_sessions",), outcome="refused")


CONSENT_HOLE = (
    "was: a crafted ConsentCb(tp=0, pr=<any process>) opened the internal-service "
    "questionnaire for anyone and for any process; consent() now checks as RateCb does"
)


NO_PROCESS = "У вас нет доступа к этому процессу."
QUIET_STAFF_ONLY = "Тихие часы — для сотрудников"
NO_CASE = "У вас нет доступа к этому делу."
HEAD_ONLY = (
    "Заключение подписывает руководитель структурного подразделения, в состав которого входит "
    "ответственный за процесс."
)
NOT_WAITING = "Это заключение больше не ожидает подписи."
STALE = refused("Эта кнопка больше не действует.")
EMPLOYEES_ONLY = "Оценка внутренних сервисов доступна только сотрудникам."
EMPLOYEES_ONLY_MENU = "Оценка внутренних сервисов доступна сотрудникам. Откройте ссылку"
STATS_ONLY = "Статистика доступна ответственным за процессы"
CASES_ONLY = "Дела по реинжинирингу доступны ответственным за процессы"
UNKNOWN = "Неизвестная команда"
ANSWERED = "На этот вопрос уже дан ответ."
CLOSED_SURVEY = "Этот опрос уже завершён. Спасибо!"
NOT_INVITED = (
    "Этот опрос проводится только среди приглашённых. Если вы получили приглашение, "
    "пожалуйста, воспользуйтесь кнопкой под ним."
)
GUESSED_TOKEN = "AAAAAAAAAAAAAAAAAAAAAA"
NO_CONVERSATION = "Эта переписка больше недоступна."
CONSENT = "Прежде чем начать"
B_NAME, A_NAME = "Выдача справки о составе семьи", "Назначение ежемесячной денежной выплаты"
CHOOSE_DEPARTMENTS = "Выберите хотя бы одно подразделение исполнителей."
MEETING_OFFICER_ONLY = "Дату заседания рабочей группы вносит ответственный по клиентоцентричности."
PLAN_NOT_YET = (
    "План мероприятий формируется на шаге D4, после одобрения целевого процесса рабочей "
    "группой (п. 3.4)."
)
CHOOSE_SERVICE = "Какой сервис вы хотите оценить?"
NOT_RATED = "Эта услуга сейчас не оценивается."
REQUESTS_ONLY = (
    "Обращения во внутренние сервисы доступны для сотрудников. "
    "Откройте ссылку-приглашение вашего подразделения."
)
CHOOSE_REQUEST_SERVICE = "В какой внутренний сервис ваше обращение?"
SERVICE_OWNER_ONLY = "На обращения отвечает только владелец сервиса."
NONE_LATE = "Ни одно внутреннее обращение не просрочено."

# One row per command or button: the expected answer for the citizen, the employee,
# owner A (SUP01; acting on owner B's SUP02, on IT01 or on their own objects) and the officer.
TABLE: list[tuple[Send | Press, Expect, Expect, Expect, Expect]] = [
    # ---- commands
    (
        Send("/start"),
        ok("Здравствуйте"),
        ok("Здравствуйте"),
        ok("Здравствуйте"),
        ok("Здравствуйте"),
    ),
    (Send("/start t-SUP02-MFC"), ok(CONSENT), ok(CONSENT), ok(CONSENT), ok(CONSENT)),
    (
        # An internal service's own link (its QR code): employees only.
        Send("/start t-IT01-PORTAL"),
        denied(EMPLOYEES_ONLY),
        ok(CONSENT),
        ok(CONSENT),
        denied(EMPLOYEES_ONLY),
    ),
    (
        Send("/start inv-forged-token"),
        denied("Ссылка-приглашение недействительна"),
        denied("Ссылка-приглашение недействительна"),
        denied("Ссылка-приглашение недействительна"),
        denied("Ссылка-приглашение недействительна"),
    ),
    (
        Send("/help"),
        ok("/forget", "/stats", "/cases", "/invite", "/rate"),
        ok("/rate", "/stats", "/cases", "/invite"),
        ok("/stats", "/invite"),
        ok("/invite"),
    ),
    (
        Send("/quiet"),
        denied(QUIET_STAFF_ONLY),
        ok("Тихие часы: нет"),
        ok("Тихие часы: нет"),
        ok("Тихие часы: нет"),
    ),
    (
        Send("/quiet 22-7"),
        denied(QUIET_STAFF_ONLY),
        ok("Сохранено. Тихие часы: с 22:00 до 07:00"),
        ok("Сохранено. Тихие часы: с 22:00 до 07:00"),
        ok("Сохранено. Тихие часы: с 22:00 до 07:00"),
    ),
    (
        Send("/forget"),
        ok("Удалить связь"),
        ok("Удалить связь"),
        ok("Удалить связь"),
        ok("Удалить связь"),
    ),
    (
        Send("/rate"),
        denied(EMPLOYEES_ONLY_MENU),
        ok(CHOOSE_SERVICE),
        ok(CHOOSE_SERVICE),
        denied(EMPLOYEES_ONLY_MENU),
    ),
    (
        Send("/stats"),
        denied(STATS_ONLY),
        denied(STATS_ONLY),
        ok(A_NAME, B_NAME, "SUP02", "IT01"),
        ok("Выберите процесс"),
    ),
    (
        Send("/invite"),
        denied(UNKNOWN),
        denied(UNKNOWN),
        denied(UNKNOWN),
        ok("Приглашение для какого подразделения?"),
    ),
    (
        Send("/campaign"),
        denied(UNKNOWN),
        denied(UNKNOWN),
        denied(UNKNOWN),
        ok("Опрос сотрудников о внутренних сервисах"),
    ),
    (
        Send("/regulation"),
        denied(UNKNOWN),
        denied(UNKNOWN),
        denied(UNKNOWN),
        ok("Порядок реинжиниринга организации"),
    ),
    (
        Send("/cases"),
        denied(CASES_ONLY),
        denied(CASES_ONLY),
        ok(A_NAME, B_NAME),
        ok(B_NAME),
    ),
    (Send("/cancel"), ok("Отменено."), ok("Отменено."), ok("Отменено."), ok("Отменено.")),
    # ---- a questionnaire: consent, answers, opt-ins, finding a service
    (
        press(ConsentCb, tp=TP_B, pr=B, ok=True),
        ok("Вопрос 1"),
        ok("Вопрос 1"),
        ok("Вопрос 1"),
        ok("Вопрос 1"),
    ),
    (
        # An internal service rated through a crafted consent button (no touchpoint):
        # only employees may rate internal services, as RateCb checks.
        press(ConsentCb, tp=0, pr=IT01, ok=True),
        hole(EMPLOYEES_ONLY, CONSENT_HOLE),
        ok("Вопрос 1"),
        ok("Вопрос 1"),
        hole(EMPLOYEES_ONLY, CONSENT_HOLE),
    ),
    (
        # The same hole with an external process: the internal questionnaire about SUP02.
        press(ConsentCb, tp=0, pr=B, ok=True),
        hole(EMPLOYEES_ONLY, CONSENT_HOLE),
        hole(NOT_RATED, CONSENT_HOLE),
        hole(NOT_RATED, CONSENT_HOLE),
        hole(EMPLOYEES_ONLY, CONSENT_HOLE),
    ),
    (
        press(AnswerCb, s=OTHER_OPEN, v=0, x="5"),
        refused(ANSWERED),
        refused(ANSWERED),
        refused(ANSWERED),
        refused(ANSWERED),
    ),
    (
        press(OptInCb, s=OTHER_DONE, k="answer"),
        STALE,
        STALE,
        STALE,
        STALE,
    ),
    (
        press(NavCb, lvl="t", id=TP_B),
        ok(CONSENT),
        ok(CONSENT),
        ok(CONSENT),
        ok(CONSENT),
    ),
    (
        # The service finder never leads a citizen to an internal service, forged or not.
        press(NavCb, lvl="t", id=TP_IT),
        refused(EMPLOYEES_ONLY),
        ok(CONSENT),
        ok(CONSENT),
        refused(EMPLOYEES_ONLY),
    ),
    (
        press(NavCb, lvl="p", id=IT01),
        refused(EMPLOYEES_ONLY),
        ok("Где вас обслуживали?"),
        ok("Где вас обслуживали?"),
        refused(EMPLOYEES_ONLY),
    ),
    (
        press(ConsentCb, tp=TP_IT, pr=IT01, ok=True),
        refused(EMPLOYEES_ONLY),
        ok("Вопрос 1"),
        ok("Вопрос 1"),
        refused(EMPLOYEES_ONLY),
    ),
    (
        press(RateCb, p=IT01),
        refused(EMPLOYEES_ONLY),
        ok(CONSENT),
        ok(CONSENT),
        refused(EMPLOYEES_ONLY),
    ),
    (
        press(RateCb, p=B),
        refused(EMPLOYEES_ONLY),
        refused(NOT_RATED),
        refused(NOT_RATED),
        refused(EMPLOYEES_ONLY),
    ),
    (
        press(ForgetCb, ok=True),
        # The actor has no answers of their own: forgetting touches nobody else's. Staff
        # invited by a campaign lose those invitations (issue #13, point 10).
        own_data_only("Готово: ваши ответы больше не связаны с вами (ответов: 0)."),
        own_rows_only("Готово: ваши ответы больше не связаны с вами (ответов: 0)."),
        own_rows_only("Готово: ваши ответы больше не связаны с вами (ответов: 0)."),
        own_data_only("Готово: ваши ответы больше не связаны с вами (ответов: 0)."),
    ),
    # ---- the menu
    (
        press(MenuCb, item="rate"),
        denied(EMPLOYEES_ONLY_MENU),
        ok(CHOOSE_SERVICE),
        ok(CHOOSE_SERVICE),
        denied(EMPLOYEES_ONLY_MENU),
    ),
    (
        press(MenuCb, item="invite"),
        STALE,
        STALE,
        STALE,
        ok("Приглашение для какого подразделения?"),
    ),
    (
        press(MenuCb, item="regulation"),
        STALE,
        STALE,
        STALE,
        ok("Порядок реинжиниринга организации"),
    ),
    (
        # The organisation's regulation is the officer's to choose; a forged button is stale.
        press(RegulationCb, t="seed000", ok=True),
        STALE,
        STALE,
        STALE,
        ok(answer="Порядок выбран."),
    ),
    # ---- the officer's wizards
    (
        press(InviteCb, d=SOC, u=200, days=30),
        STALE,
        STALE,
        STALE,
        ok("Ссылка-приглашение создана"),
    ),
    (press(CampaignWizardCb, d=0, days=7), STALE, STALE, STALE, ok("Опрос запущен")),
    # the publication reminder's button (seed 002 §3.1): no change waits, nothing is recorded
    (press(RegistryCb, c=1), STALE, STALE, STALE, ok("уже отмечено")),
    # ---- campaigns
    (
        press(CampaignCb, c=CAMPAIGN_CLOSED),
        refused(CLOSED_SURVEY),
        refused(CLOSED_SURVEY),
        refused(CLOSED_SURVEY),
        refused(CLOSED_SURVEY),
    ),
    (
        press(CampaignCb, c=CAMPAIGN_RUNNING),
        denied(EMPLOYEES_ONLY_MENU),
        ok(CHOOSE_SERVICE),
        ok(CHOOSE_SERVICE),
        denied(EMPLOYEES_ONLY_MENU),
    ),
    # ---- /stats and reports
    (
        press(StatsCb, p=B),
        refused(NO_PROCESS),
        refused(NO_PROCESS),
        refused(NO_PROCESS),
        ok(B_NAME),
    ),
    (
        press(StatsCb, p=IT01),
        refused(NO_PROCESS),
        refused(NO_PROCESS),
        refused(NO_PROCESS),
        ok("Техническая поддержка рабочих мест"),
    ),
    (
        press(StatsCb, p=A),
        refused(NO_PROCESS),
        refused(NO_PROCESS),
        ok(A_NAME, B_NAME),
        ok(A_NAME),
    ),
    # ---- the pages of long lists (handlers.keyboards.paged_list, issue #17 point 1)
    (
        press(PageCb, l="st", pg=1),
        refused(NO_PROCESS),
        refused(NO_PROCESS),
        refused(NO_PROCESS),
        Expect(markup=True),
    ),
    (
        press(PageCb, l="rt", pg=1),
        refused(EMPLOYEES_ONLY),
        ok(CHOOSE_SERVICE),
        ok(CHOOSE_SERVICE),
        refused(EMPLOYEES_ONLY),
    ),
    (press(PageCb, l="iv", pg=1), STALE, STALE, STALE, ok("Приглашение для какого подразделения?")),
    (press(PageCb, l="cw", pg=1), STALE, STALE, STALE, ok("Кого опрашиваем?")),
    (
        press(PageCb, l="cs", pg=1),
        denied(CASES_ONLY),
        denied(CASES_ONLY),
        ok(None, B_NAME),
        ok(),
    ),
    (press(PageCb, l="sr", pg=1), STALE, STALE, STALE, STALE),  # no search of theirs to page
    (
        press(ReportCb, k="p", p=B),
        refused(NO_PROCESS),
        refused(NO_PROCESS),
        refused(NO_PROCESS),
        report(),
    ),
    (
        press(ReportCb, k="d", p=0),
        refused(NO_PROCESS),
        refused(NO_PROCESS),
        refused(NO_PROCESS),
        report(),
    ),
    (
        press(ReportCb, k="s", p=A),
        refused(NO_PROCESS),
        refused(NO_PROCESS),
        report(),
        report(),
    ),
    # ---- the closed loop
    (
        press(AlertCb, a=ALERT_B, x="ack"),
        refused(NO_PROCESS),
        refused(NO_PROCESS),
        refused(NO_PROCESS),
        ok(answer="Отмечено: принято в работу."),
    ),
    (
        press(AlertCb, a=ALERT_B, x="reply", then="Вот вам ответ"),
        refused(NO_PROCESS),
        refused(NO_PROCESS),
        refused(NO_PROCESS),
        ok("Ответ отправлен заявителю"),
    ),
    (
        press(AlertCb, a=ALERT_A, x="ack"),
        refused(NO_PROCESS),
        refused(NO_PROCESS),
        ok(answer="Отмечено: принято в работу."),
        ok(answer="Отмечено: принято в работу."),
    ),
    (
        # Only the author of the feedback may write back: refused before the prompt (the
        # text typed after it then reaches no conversation).
        press(RelayCb, a=ALERT_B, then="Пишу от чужого имени"),
        refused(NO_CONVERSATION),
        refused(NO_CONVERSATION),
        refused(NO_CONVERSATION),
        refused(NO_CONVERSATION),
    ),
    # ---- internal requests (seed 004): employees ask; only the service's owner answers
    (
        Send("/request"),
        denied(REQUESTS_ONLY),
        ok(CHOOSE_REQUEST_SERVICE),
        ok(CHOOSE_REQUEST_SERVICE),
        denied(REQUESTS_ONLY),
    ),
    (
        # the author's own requests only: owner A has sent none, the employee's one is theirs
        Send("/myrequests"),
        denied(REQUESTS_ONLY),
        own_data_only("Ваши обращения:"),
        own_data_only("Вы пока не направляли обращений"),
        denied(REQUESTS_ONLY),
    ),
    (Send("/late"), denied(UNKNOWN), denied(UNKNOWN), denied(UNKNOWN), ok(NONE_LATE)),
    (press(MenuCb, item="late"), STALE, STALE, STALE, ok(NONE_LATE)),
    (
        press(MenuCb, item="request"),
        denied(REQUESTS_ONLY),
        ok(CHOOSE_REQUEST_SERVICE),
        ok(CHOOSE_REQUEST_SERVICE),
        denied(REQUESTS_ONLY),
    ),
    (
        press(RequestServiceCb, p=IT01),
        refused(REQUESTS_ONLY),
        ok("Как вам удобнее получить ответ?"),
        ok("Как вам удобнее получить ответ?"),
        refused(REQUESTS_ONLY),
    ),
    (
        press(RequestServiceCb, p=B),
        refused(REQUESTS_ONLY),
        refused("Этот сервис сейчас не принимает обращения."),
        refused("Этот сервис сейчас не принимает обращения."),
        refused(REQUESTS_ONLY),
    ),
    (
        press(RequestServiceCb, p=IT01, f="w", then="Прошу установить программу"),
        refused(REQUESTS_ONLY),
        ok("Ваше обращение №"),
        ok("Ваше обращение №"),
        refused(REQUESTS_ONLY),
    ),
    (
        press(RequestCb, r=REQUEST_IT, x="answer", then="Ответ за чужой сервис"),
        refused(SERVICE_OWNER_ONLY),
        refused(SERVICE_OWNER_ONLY),
        refused(SERVICE_OWNER_ONLY),
        refused(SERVICE_OWNER_ONLY),
    ),
    (
        press(RequestCb, r=REQUEST_IT, x="refuse", then="Отказ за чужой сервис"),
        refused(SERVICE_OWNER_ONLY),
        refused(SERVICE_OWNER_ONLY),
        refused(SERVICE_OWNER_ONLY),
        refused(SERVICE_OWNER_ONLY),
    ),
    (
        press(RequestCb, r=REQUEST_IT, x="done"),
        refused(SERVICE_OWNER_ONLY),
        refused(SERVICE_OWNER_ONLY),
        refused(SERVICE_OWNER_ONLY),
        refused(SERVICE_OWNER_ONLY),
    ),
    (
        press(ReportCb, k="i", p=0),
        refused(NO_PROCESS),
        refused(NO_PROCESS),
        refused(NO_PROCESS),
        report(),
    ),
    # ---- reengineering cases (owner A works case A, never case B; the officer both)
    (press(CaseCb, c=CASE_B), refused(NO_CASE), refused(NO_CASE), refused(NO_CASE), ok(B_NAME)),
    (press(CaseCb, c=CASE_A), refused(NO_CASE), refused(NO_CASE), ok(A_NAME), ok(A_NAME)),
    (
        press(CaseCb, c=CASE_B, a="d", s="R1"),
        refused(NO_CASE),
        refused(NO_CASE),
        refused(NO_CASE),
        ok(answer="Шаг R1 отмечен выполненным."),
    ),
    (
        press(CaseCb, c=CASE_A, a="d", s="R1"),
        refused(NO_CASE),
        refused(NO_CASE),
        ok(answer="Шаг R1 отмечен выполненным."),
        ok(answer="Шаг R1 отмечен выполненным."),
    ),
    (
        press(CaseCb, c=CASE_B, a="dec", s="R7", x="change"),
        refused(NO_CASE),
        refused(NO_CASE),
        refused(NO_CASE),
        STALE,
    ),
    (
        press(CaseCb, c=CASE_B, a="dok", s="R7", x="change"),
        refused(NO_CASE),
        refused(NO_CASE),
        refused(NO_CASE),
        refused("Шаг R7 «Решение рабочей группы по итогам исследования» сейчас не ожидается."),
    ),
    (
        press(CaseCb, c=CASE_B, a="doc", s="R1"),
        refused(NO_CASE),
        refused(NO_CASE),
        refused(NO_CASE),
        ok("Пришлите документ к шагу R1"),
    ),
    (
        # A step code the case's template does not have: refused before any prompt or state.
        press(CaseCb, c=CASE_A, a="doc", s="ZZ9"),
        refused(NO_CASE),
        refused(NO_CASE),
        STALE,
        STALE,
    ),
    (
        # A path in the step field does not even unpack: nobody's handler sees it.
        Press(None, raw="cs:1:doc:../../../../tmp/X/zz:"),
        STALE,
        STALE,
        STALE,
        STALE,
    ),
    (
        press(CaseCb, c=CASE_B, a="ext", s="R2", then="Не успеваю"),
        refused(NO_CASE),
        refused(NO_CASE),
        refused(NO_CASE),
        ok("Запрошено продление срока R2: Не успеваю"),
    ),
    (
        press(CaseCb, c=CASE_B, a="mt", then="20.03.2025"),
        refused(NO_CASE),
        refused(NO_CASE),
        refused(NO_CASE),
        ok("Дата заседания внесена: 20.03.2025."),
    ),
    (
        # Owner A sees case A, but the meeting date is the officer's: refused before the prompt.
        press(CaseCb, c=CASE_A, a="mt"),
        refused(NO_CASE),
        refused(NO_CASE),
        refused(MEETING_OFFICER_ONLY),
        Expect(says="Дата заседания рабочей группы"),
    ),
    (
        # The due dates a regulation does not count are the officer's: refused before the prompt.
        press(CaseCb, c=CASE_A, a="due", s="R1"),
        refused(NO_CASE),
        refused(NO_CASE),
        refused("Сроки устанавливает ответственный по клиентоцентричности."),
        Expect(says="Срок шага R1"),
    ),
    (
        press(CaseCb, c=CASE_B, a="due", s="R1"),
        refused(NO_CASE),
        refused(NO_CASE),
        refused(NO_CASE),
        Expect(says="Срок шага R1"),
    ),
    (
        press(CaseCb, c=CASE_B, a="pa"),
        refused(NO_CASE),
        refused(NO_CASE),
        refused(NO_CASE),
        ok("В какой раздел плана входит мероприятие?"),
    ),
    (
        press(CaseCb, c=CASE_B, a="sec", x="1"),
        refused(NO_CASE),
        refused(NO_CASE),
        refused(NO_CASE),
        ok("Напишите наименование мероприятия"),
    ),
    (
        # Case B is at its research steps: the plan is formed only from step D4.
        press(CaseCb, c=CASE_B, a="dig"),
        refused(NO_CASE),
        refused(NO_CASE),
        refused(NO_CASE),
        refused(PLAN_NOT_YET),
    ),
    (
        press(CaseCb, c=CASE_B, a="px"),
        refused(NO_CASE),
        refused(NO_CASE),
        refused(NO_CASE),
        report(),
    ),
    (
        press(CaseCb, c=CASE_B, a="rl"),
        refused(NO_CASE),
        refused(NO_CASE),
        refused(NO_CASE),
        ok("Сотрудники каких подразделений исполняют процесс?"),
    ),
    (
        press(CaseCb, c=CASE_B, a="dep", x="1"),
        refused(NO_CASE),
        refused(NO_CASE),
        refused(NO_CASE),
        Expect(markup=True),
    ),
    (
        # Access first; then nothing chosen in this chat, so nothing to launch.
        press(CaseCb, c=CASE_B, a="go"),
        refused(NO_CASE),
        refused(NO_CASE),
        refused(NO_CASE),
        refused(CHOOSE_DEPARTMENTS),
    ),
    (
        press(CaseCb, c=CASE_B, a="rc"),
        refused(NO_CASE),
        refused(NO_CASE),
        refused(NO_CASE),
        refused("Опрос по этому реинжинирингу не запускался."),
    ),
    (
        press(CaseCb, c=0, a="l"),
        denied(CASES_ONLY),
        denied(CASES_ONLY),
        ok(A_NAME, B_NAME),
        ok(B_NAME),
    ),
    (
        press(CaseOpenCb),
        refused(NO_CASE),
        refused(NO_CASE),
        refused(NO_CASE),
        ok("По какому процессу поручение?"),
    ),
    (
        press(CaseOpenCb, p=IT01, ok=True),
        refused(NO_CASE),
        refused(NO_CASE),
        refused(NO_CASE),
        ok(answer="Дело открыто, ответственный за процесс уведомлён."),
    ),
    (
        press(ExtensionCb, e=EXT_B, ok=False),
        refused(NO_CASE),
        refused(NO_CASE),
        refused(NO_CASE),
        ok(answer="В продлении отказано, ответственный за процесс уведомлён."),
    ),
    (
        press(ExtensionCb, e=EXT_B, ok=True),
        refused(NO_CASE),
        refused(NO_CASE),
        refused(NO_CASE),
        ok("Новый срок шага R1"),
    ),
    (
        # The next working day offered for a typed day off: outside that conversation the
        # date means nothing, and inside it the step checks the person and the case itself.
        press(DayCb, d="20250325"),
        STALE,
        STALE,
        STALE,
        STALE,
    ),
    (
        # No research survey is running for case B: nobody may answer one, crafted or not.
        press(ResearchCb, c=CASE_B, t=GUESSED_TOKEN),
        refused(CLOSED_SURVEY),
        refused(CLOSED_SURVEY),
        refused(CLOSED_SURVEY),
        refused(CLOSED_SURVEY),
    ),
    (
        press(ResearchConsentCb, c=CASE_B, t=GUESSED_TOKEN, ok=True),
        refused(CLOSED_SURVEY),
        refused(CLOSED_SURVEY),
        refused(CLOSED_SURVEY),
        refused(CLOSED_SURVEY),
    ),
    (
        # Case A's survey runs, but nobody here was invited with this token (it was ``rs:<id>``
        # before, and anyone could answer by guessing the case id).
        press(ResearchCb, c=CASE_A, t=GUESSED_TOKEN),
        refused(NOT_INVITED),
        refused(NOT_INVITED),
        refused(NOT_INVITED),
        refused(NOT_INVITED),
    ),
    (
        press(ResearchConsentCb, c=CASE_A, t=GUESSED_TOKEN, ok=True),
        refused(NOT_INVITED),
        refused(NOT_INVITED),
        refused(NOT_INVITED),
        refused(NOT_INVITED),
    ),
    (Press(None, raw="rs:1"), STALE, STALE, STALE, STALE),
    # ---- the department head's signature (seed 003 §2.2.6): only the head it was asked of
    (
        press(CaseCb, c=CASE_B, a="sp"),
        refused(NO_CASE),
        refused(NO_CASE),
        refused(NO_CASE),
        report(),
    ),
    (
        press(CaseCb, c=CASE_B, a="ow"),
        refused(NO_CASE),
        refused(NO_CASE),
        refused(NO_CASE),
        ok("Кому поручается это дело"),
    ),
    (
        press(SignCb, g=1, ok=True),
        refused(HEAD_ONLY),
        refused(NOT_WAITING),
        refused(NOT_WAITING),
        refused(NOT_WAITING),
    ),
    (
        press(SignCb, g=1, ok=False),
        refused(HEAD_ONLY),
        refused(NOT_WAITING),
        refused(NOT_WAITING),
        refused(NOT_WAITING),
    ),
    # ---- anything else
    (Press(None, raw="zz:1"), STALE, STALE, STALE, STALE),
]


def _cells() -> list[Any]:
    params = []
    for action, *expects in TABLE:
        for (role, user), expect in zip(ROLES.items(), expects, strict=True):
            marks = (
                [pytest.mark.xfail(strict=True, reason=expect.finding)] if expect.finding else []
            )
            cell_id = f"{role} x {action.label} -> {expect.outcome}"
            params.append(pytest.param(role, user, action, expect, id=cell_id, marks=marks))
    return params


# ----------------------------------------------------------------------------- the checks

SKIPPED_TABLES = {"inbox", "alembic_version", "fsm_records"}


def _snapshot(database: Path) -> dict[str, list[str]]:
    """Every row of every table but the inbox; FSM records only while they hold something.

    Read with the plain sqlite3 module: WAL lets it read beside the bot's connections.
    """
    with closing(sqlite3.connect(database)) as connection:
        names = [
            name
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
            if not name.startswith("sqlite_") and name not in SKIPPED_TABLES
        ]
        tables = {
            name: sorted(map(repr, connection.execute(f'SELECT * FROM "{name}"'))) for name in names
        }
        tables["fsm_records"] = sorted(
            repr(row)
            for row in connection.execute("SELECT key, state, data FROM fsm_records")
            if row[1] is not None or row[2] not in (None, "{}", "null")
        )
    return tables


def _changed(before: dict[str, list[str]], after: dict[str, list[str]]) -> dict[str, Any]:
    return {
        name: {"before": len(before.get(name, [])), "after": len(rows)}
        for name, rows in after.items()
        if rows != before.get(name, [])
    }


def _texts(requests: list[Any]) -> list[str]:
    texts = []
    for request in requests:
        for attribute in ("text", "caption"):
            value = getattr(request, attribute, None)
            if isinstance(value, str):
                texts.append(value)
    return texts


@dataclass
class Bench:
    """One bot for the whole table; each cell starts from the world's database, restored."""

    world: World
    database: Path
    engine: AsyncEngine
    dispatcher: Dispatcher
    channel: str

    def reset(self) -> None:
        # SQLite's online backup rewrites the cell database in place, under the bot's idle
        # connections (they see the new content at their next transaction).
        with (
            closing(sqlite3.connect(self.world.template)) as source,
            closing(sqlite3.connect(self.database)) as target,
        ):
            source.backup(target)
        # The database changed behind the bot's back: its memory copies are stale.
        roles_changed()
        if isinstance(self.dispatcher.storage, SqlFsmStorage):
            self.dispatcher.storage.forget_cached()
        for middleware in self.dispatcher.update.outer_middleware:
            if isinstance(middleware, ThrottlingMiddleware):  # a cell is a fresh start
                middleware._hits.clear()
                middleware._warned.clear()


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=["telegram", "max"])
async def bench(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> AsyncIterator[Bench]:
    from bot.factory import create_dispatcher

    if CASES_ERROR is not None:
        pytest.skip(CASES_ERROR)
    channel = str(request.param)
    folder = tmp_path_factory.mktemp(f"access-table-{channel}")
    world = await _build(folder / "template.db", folder / "var", channel)
    database = folder / "cell.db"
    shutil.copyfile(world.template, database)
    settings = _settings(database, folder / "var")
    engine = create_engine(settings.database_url)
    dispatcher = create_dispatcher(settings, create_session_pool(engine), clock=MovableClock(NOW))
    yield Bench(world, database, engine, dispatcher, channel)
    await engine.dispose()


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize(("role", "user", "action", "expect"), _cells())
async def test_access(
    bench: Bench, role: str, user: int, action: Send | Press, expect: Expect
) -> None:
    world = bench.world
    user = _id(bench.channel, user)
    bench.reset()
    bot, recording = make_bot()
    telegram = Telegram(bot, bench.dispatcher, recording)
    shown = await bot.send_message(user, "Меню")  # the message the crafted button is under
    recording.requests.clear()
    answers: list[AnswerCallbackQuery] = []
    if isinstance(action, Send):
        await telegram.send(user, action.text)
    else:
        update = await telegram.press(user, action.data(world), shown)
        query_id = update.callback_query.id  # type: ignore[union-attr]
        answer = recording.callback_answers.get(query_id)
        assert answer is not None, "every button press is answered (no endless spinner)"
        answers.append(answer)
    pressed = [r for r in recording.requests if not isinstance(r, AnswerCallbackQuery)]
    if isinstance(action, Press) and action.then is not None:
        await telegram.send(user, action.then)
    after = _snapshot(bench.database)
    state = await bench.dispatcher.storage.get_state(
        StorageKey(bot_id=bot.id, chat_id=user, user_id=user)
    )

    sent = [r for r in recording.requests if not isinstance(r, AnswerCallbackQuery)]
    texts = _texts(recording.requests)
    if expect.answer is not None:
        assert [a.text for a in answers] == [expect.answer]
    if expect.says is not None:
        assert any(expect.says in text for text in texts), texts
    for fragment in expect.absent:
        assert not any(fragment in text for text in texts), (fragment, texts)
    if expect.document:
        assert any(isinstance(r, SendDocument) for r in sent), sent
    if expect.markup:
        assert any(isinstance(r, EditMessageReplyMarkup) for r in sent), sent
    changed = _changed(world.snapshot, after)
    for table in expect.untouched:
        assert table not in changed, f"{table} changed: {changed[table]}"
    if expect.own_rows:
        assert changed, "the sender's own rows were there to go"
        for table in changed:
            assert table in expect.own_rows, f"{table} changed: {changed[table]}"
            gone = set(world.snapshot[table]) - set(after[table])
            assert set(after[table]) <= set(world.snapshot[table]), f"{table}: rows added"
            assert all(str(user) in row for row in gone), f"{table}: someone else's row went"
    if expect.refusal:
        assert changed == {}, "a refusal must change nothing"
        assert state is None, "a refusal leaves no conversation state behind"
        if expect.answer is not None:
            assert not pressed, f"a refused button shows nothing else: {texts}"
        assert not any(isinstance(r, SendDocument | SendPhoto) for r in sent)


def test_the_table_has_a_row_for_every_button_and_command() -> None:
    """A new CallbackData class or command is not covered until it gets its row here."""
    from aiogram.filters import Command

    from handlers import build_root_router, callbacks

    buttons = {
        value
        for value in vars(callbacks).values()
        if isinstance(value, type) and issubclass(value, CallbackData) and value is not CallbackData
    }
    assert buttons - {action.cls for action, *_ in TABLE if isinstance(action, Press)} == set()
    commands = {
        command
        for router in build_root_router().chain_tail
        for handler in router.message.handlers
        for filter_ in handler.filters or []
        if isinstance(filter_.callback, Command)
        for command in filter_.callback.commands
        if isinstance(command, str)
    }
    sent = {action.text.split()[0].lstrip("/") for action, *_ in TABLE if isinstance(action, Send)}
    assert commands - sent == set()
