"""What the bot says, channel-neutral: translated text and the actions offered under it.

The domain builds a `Speech`; each channel renders it. An `Action` names what pressing it
does in domain terms (an `Intent` and the ids it acts on) and is labelled for people:
Telegram packs it into a `CallbackData` button (64 bytes: ids, never names), MAX into an
inline-keyboard callback button's payload, the web into a link or a form's action. How an
intent is packed is defined once, by the channel's renderer (Telegram: `handlers/speech.py`).

`text` is already translated and in the HTML subset all three accept (<b>, <i>, <a>), with
people's text escaped. Both serialise to JSON for the outbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Intent(StrEnum):
    """Everything a button under a message the bot says on its own may do; ids in order."""

    ALERT_REPLY = "alert.reply"  # (alert id,): the owner answers a low score
    ALERT_ACK = "alert.ack"  # (alert id,): the owner takes it into work
    FEEDBACK_REPLY = "feedback.reply"  # (alert id,): the respondent writes back
    CAMPAIGN_TAKE = "campaign.take"  # (campaign id,): a campaign's questionnaire
    RESEARCH_TAKE = "research.take"  # (case id, invitation token): the R3 research survey
    CASE_OPEN = "case.open"  # (case id,): a case's card, from a digest of deadlines
    REQUEST_ANSWER = "request.answer"  # (request id,): the service's owner answers in writing
    REQUEST_DONE = "request.done"  # (request id,): the owner marks an oral request answered
    REQUEST_REFUSE = "request.refuse"  # (request id,): the owner refuses, giving the reasons
    REGISTRY_PUBLISHED = "registry.published"  # (change id,): the officer published the list
    SIGNATURE_SIGN = "signature.sign"  # (signature id,): the department head signs a conclusion
    SIGNATURE_RETURN = "signature.return"  # (signature id,): the head returns it for revision


Id = int | str


@dataclass(frozen=True)
class Action:
    """One button: what it does (`intent` on `ids`) and what it says (`label`, translated)."""

    intent: Intent
    ids: tuple[Id, ...]
    label: str

    def to_json(self) -> dict[str, Any]:
        return {"intent": self.intent.value, "ids": list(self.ids), "label": self.label}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Action:
        """Raises ValueError for an intent no channel knows (a row written by a newer bot)."""
        return cls(Intent(data["intent"]), tuple(data["ids"]), str(data["label"]))


Actions = tuple[tuple[Action, ...], ...]  # rows of buttons


def actions_to_json(actions: Actions) -> list[list[dict[str, Any]]] | None:
    """The outbox column's value: None when nothing is offered."""
    return [[action.to_json() for action in row] for row in actions] or None


def actions_from_json(data: list[list[dict[str, Any]]] | None) -> Actions:
    return tuple(tuple(Action.from_json(item) for item in row) for row in data or ())


@dataclass(frozen=True)
class Speech:
    """A message: translated HTML text and the rows of actions offered under it."""

    text: str
    actions: Actions = ()

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "actions": actions_to_json(self.actions) or []}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Speech:
        return cls(str(data["text"]), actions_from_json(data.get("actions")))
