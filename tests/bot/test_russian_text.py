"""Issue #17 point 8, «Russian that reads well»: «Have every user-facing string reviewed by a
careful editor: grammatical cases («отзыв о «Предоставление…»» is wrong), gender-neutral wording
(«Согласен, продолжить» assumes a man), no internal jargon to citizens («отзыв о процессе»), no
nested identical quotation marks … The English catalogue complete as well.»

The editor's findings as rules over every Russian text people read: the catalogue, the web
templates, the questionnaires and the reengineering template; and both catalogues complete.
"""

from __future__ import annotations

import re
import runpy
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import yaml
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
LOCALES = ROOT / "core" / "locales"
CYRILLIC = re.compile(r"[А-Яа-яЁё]")
PLACEHOLDER = re.compile(r"\{\w*\}|%\(\w+\)[sd]|</?(?:b|i|u|s|a|code|pre)>")

# Rules for every Russian text. Each is something the editor struck out at least once.
BAD_EVERYWHERE: dict[str, re.Pattern[str]] = {
    # «отзыв о «Предоставление…»»: after о/об a quoted name would have to change its case;
    # a noun goes between («об услуге «…»», «о процессе «…»») so the name stays nominative.
    "о/об before a quoted name": re.compile(r"(?<![\w-])[Оо]б?\s+[«“„\"]"),
    # The person is addressed as «вы» and not assumed to be a man or a woman.
    "gendered about the reader": re.compile(
        r"\b(?:[Сс]оглас(?:ен|на)|[Уу]верен[а]?|[Гг]отов[а]?|[Пп]онял[а]?"
        r"|(?:не|полностью|совсем)\s+удовлетвор[её]н[а]?)\b"
    ),
    "the bot about itself in the past tense": re.compile(r"\bЯ\s+(?:не\s+)?\w+л[а]?\b"),
    "«Вы уверены?»": re.compile(r"[Уу]верены ли вы|[Вв]ы уверены"),
    "nested «ёлочки»": re.compile(r"«[^»]*«"),
    "straight or English quotes": re.compile(r"[\"“”]"),
    "double space": re.compile(r"\S {2,}\S"),
    "hyphen for a dash": re.compile(r"\s-\s"),
    "е for ё in ещё, её": re.compile(r"\b(?:[Ее]ще|ее)\b"),
}
# Rules for what citizens read: the regulation's terms stay with the staff.
JARGON = re.compile(r"\bпроцесс|точк\w* взаимодействия|респондент|сегмент|отзыв\w* о процессе")

# Modules whose every message is for the people who rate a service (citizens, employees).
CITIZEN_MODULES = {
    "handlers/common.py",
    "handlers/fallback.py",
    "handlers/finder.py",
    "handlers/render.py",
    "handlers/keyboards.py",
    "handlers/respondent.py",
    "handlers/errors.py",
    "bot/middlewares.py",
    "registry/qr.py",
    "web/pages.py",
    "web/routes.py",
}
# Citizen texts in modules that also speak to staff.
CITIZEN_MSGIDS = {
    "<b>An answer to your feedback</b> on the process “{process}”:\n\n{answer}\n\n"
    "If you want to add something, press “Reply”.",
    "🔎 We are improving the process “{process}” and ask you to share your experience.",
    "You allowed us to contact you earlier. Please answer a few questions: how satisfied you "
    "are, what difficulties you met, what you expect at each stage and where you saw "
    "convenient solutions.",
    "The survey takes 3–5 minutes and is anonymous.",
    "<b>Before we start</b>\n\nThe answers are stored pseudonymously: without your name, "
    "username or Telegram id, and are used only to improve the process. You can delete the "
    "link between you and your answers at any time with /forget.",
    "<b>Before we start</b>\n\nThe answers are stored pseudonymously: without your name, "
    "username or MAX id, and are used only to improve the process. You can delete the link "
    "between you and your answers at any time with /forget.",
    "Agree and continue",
    "No, thanks",
    "Take the survey",
}
# Staff lines of /help: shown only to owners and the officer.
STAFF_LINES = {
    # The greetings of owners and the officer (handlers.common.role_lines): staff read them.
    "<b>Hello! You own processes in the feedback bot: {count}.</b>",
    "/stats — satisfaction of all processes, the overview chart and reports",
    "/stats — satisfaction of your processes: trend, pains, comments and reports",
    "Low scores with a comment on your processes come here at once.",
    "/stats — satisfaction indexes, charts and reports",
    "/cases — reengineering cases: steps, deadlines, decisions",
    "/invite — create an invite link for employees of a department",
}


def _catalogue(locale: str, root: Path = LOCALES) -> Catalog:
    with (root / locale / "LC_MESSAGES" / "messages.po").open("rb") as source:
        return read_po(source, locale=locale)


@cache
def _locations() -> dict[str, frozenset[str]]:
    """Which modules use each msgid (the catalogue is written without locations)."""
    template = runpy.run_path(str(ROOT / "tools" / "i18n_update.py"))["extract"]()
    return {str(m.id): frozenset(path for path, _line in m.locations) for m in template if m.id}


def _translation(catalogue: Catalog, msgid: str) -> str:
    message = catalogue.get(msgid)
    return "" if message is None or not message.string else str(message.string)


def _strings(value: object) -> list[str]:
    return [value] if isinstance(value, str) else [str(v) for v in value or ()]  # type: ignore[attr-defined]


def catalogue_texts(catalogue: Catalog) -> Iterator[tuple[str, str]]:
    """(where, Russian text) for every translated msgid."""
    for message in catalogue:
        if message.id:
            for text in _strings(message.string):
                yield f"msgid {str(message.id)!r}", text


def citizen_texts(catalogue: Catalog) -> Iterator[tuple[str, str]]:
    locations = _locations()
    for message in catalogue:
        msgid = str(message.id)
        if not message.id or msgid in STAFF_LINES:
            continue
        if msgid in CITIZEN_MSGIDS or locations.get(msgid, frozenset()) & CITIZEN_MODULES:
            for text in _strings(message.string):
                yield f"msgid {msgid!r}", text


def questionnaire_texts() -> Iterator[tuple[str, str]]:
    """The Russian of every questionnaire: its title, questions and options."""
    for path in sorted((ROOT / "surveys" / "questionnaires").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        yield f"{path.name}: title", data["title"]["ru"]
        for question in data["questions"]:
            yield f"{path.name}: {question['id']}", question["text"]["ru"]
            for option in question.get("options", []):
                yield f"{path.name}: {question['id']}.{option['id']}", option["ru"]


def template_texts() -> Iterator[tuple[str, str]]:
    """What the reengineering templates show owners: step titles, results, decisions."""
    for path in sorted((ROOT / "reengineering" / "templates").glob("seed*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for step in data["steps"]:
            for field in ("title", "produces", "due_note"):
                if step.get(field):
                    text = " ".join(str(step[field]).split())
                    yield f"{path.stem} {step['id']}.{field}", text
            for option in (step.get("decision") or {}).get("options", []):
                yield f"{path.stem} {step['id']} option", option["title"]


def web_texts() -> Iterator[tuple[str, str]]:
    """Russian written into the web templates themselves (most of it comes from `t`)."""
    for path in sorted((ROOT / "web" / "templates").glob("*.html")):
        text = re.sub(r"{[{%#].*?[}%#]}|<[^>]+>", " ", path.read_text(encoding="utf-8"))
        for line in text.splitlines():
            if CYRILLIC.search(line):
                yield path.name, line.strip()


def findings(texts: Iterator[tuple[str, str]], rules: dict[str, re.Pattern[str]]) -> list[str]:
    return [
        f"{name}: {where}: {text!r}"
        for where, text in texts
        for name, rule in rules.items()
        if rule.search(text)
    ]


def test_the_catalogue_has_none_of_the_phrasings_struck_out() -> None:
    assert findings(catalogue_texts(_catalogue("ru")), BAD_EVERYWHERE) == []


def test_citizens_read_no_internal_jargon() -> None:
    assert findings(citizen_texts(_catalogue("ru")), {"jargon": JARGON}) == []


def test_questionnaires_templates_and_web_pages_read_well() -> None:
    texts = [*questionnaire_texts(), *template_texts(), *web_texts()]
    assert texts, "no texts found: the readers above no longer match the files"
    assert findings(iter(texts), BAD_EVERYWHERE) == []
    # Citizens read the questions of their questionnaires; a research survey's title is staff's.
    citizens = [
        (w, t)
        for w, t in questionnaire_texts()
        if not w.startswith("research_perf") and not (w.startswith("research") and "title" in w)
    ]
    assert findings(iter(citizens), {"jargon": JARGON}) == []


def test_names_shown_in_quotes_carry_no_quotes_of_their_own() -> None:
    """Step titles and questionnaire titles are shown as «{title}»: inner «» would nest."""
    titles = [(w, t) for w, t in template_texts() if w.endswith(".title")]
    titles += [(w, t) for w, t in questionnaire_texts() if w.endswith(": title")]
    assert [f"{w}: {t}" for w, t in titles if re.search(r"[«»„“\"]", t)] == []


def test_every_msgid_has_russian_with_its_placeholders() -> None:
    russian = _catalogue("ru")
    missing = [msgid for msgid in _locations() if not _translation(russian, msgid)]
    assert missing == []
    for message in russian:
        if not message.id:
            continue
        msgid = str(message.id)
        for text in _strings(message.string):
            assert sorted(PLACEHOLDER.findall(msgid)) == sorted(PLACEHOLDER.findall(text)), msgid
            words = re.sub(r"\{\w*\}|[^A-Za-zА-Яа-яЁё]", "", PLACEHOLDER.sub("", text))
            assert not words or CYRILLIC.search(text) or words in {"Telegram", "MAX"}, msgid


def test_the_english_catalogue_is_complete_and_english() -> None:
    """An empty msgstr shows the msgid; a msgid that carries a hint for translators (the
    Russian leaves it out, e.g. «{count} working days (2-4)») needs its own English text."""
    russian, english = _catalogue("ru"), _catalogue("en")
    assert {str(m.id) for m in english if m.id} == {str(m.id) for m in russian if m.id}
    problems = []
    for message in english:
        if not message.id:
            continue
        msgid = str(message.id)
        shown = str(message.string or msgid)
        if re.search(r"[А-Яа-яЁё№]", shown):
            problems.append(f"not English: {msgid!r} → {shown!r}")
        if message.string and sorted(PLACEHOLDER.findall(msgid)) != sorted(
            PLACEHOLDER.findall(shown)
        ):
            problems.append(f"placeholders: {msgid!r} → {shown!r}")
        hint = re.search(r"\s\([^()]*\)$", shown)
        if hint and "(" not in _translation(russian, msgid):
            problems.append(f"translator hint shown: {shown!r}")
    assert problems == []
