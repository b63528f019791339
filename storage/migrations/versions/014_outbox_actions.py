"""The outbox keeps channel-neutral actions (core.speech), not Telegram's reply markup.

Queued rows are converted: each button's callback data of the formats the bot wrote
(handlers.callbacks as of this revision) becomes its intent and ids; a button of any other
format could not be pressed usefully and is dropped. Downgrading packs them back.

Revision ID: 014
Revises: 013
Create Date: 2026-12-02 01:30:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "014"
down_revision: str | None = "013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A snapshot of the formats, so the revision means the same whatever the code becomes:
# intent → callback prefix and the suffix after the ids ("fa:17:reply", "rs:4:<token>").
_PACKED = {
    "alert.reply": ("fa", "reply"),
    "alert.ack": ("fa", "ack"),
    "feedback.reply": ("fr", ""),
    "campaign.take": ("cp", ""),
    "research.take": ("rs", ""),
}
_ONE_ID = {"fr": "feedback.reply", "cp": "campaign.take"}


def _action(button: dict[str, Any]) -> dict[str, Any] | None:
    """The action of one Telegram button, or None for a format the bot never wrote."""
    prefix, *parts = str(button.get("callback_data") or "").split(":")
    if prefix == "fa" and len(parts) == 2 and parts[1] in ("reply", "ack"):
        intent, ids = f"alert.{parts[1]}", parts[:1]
    elif prefix in _ONE_ID and len(parts) == 1:
        intent, ids = _ONE_ID[prefix], parts
    elif prefix == "rs" and len(parts) == 2:
        intent, ids = "research.take", parts
    else:
        return None
    if not ids[0].isdigit():
        return None
    return {"intent": intent, "ids": [int(ids[0]), *ids[1:]], "label": str(button.get("text"))}


def _to_actions(markup: dict[str, Any] | None) -> list[list[dict[str, Any]]] | None:
    rows = []
    for row in (markup or {}).get("inline_keyboard") or []:
        actions = [action for action in map(_action, row) if action is not None]
        if actions:
            rows.append(actions)
    return rows or None


def _to_markup(actions: list[list[dict[str, Any]]] | None) -> dict[str, Any] | None:
    rows = []
    for row in actions or []:
        buttons = []
        for action in row:
            if action.get("intent") not in _PACKED:
                continue
            prefix, suffix = _PACKED[action["intent"]]
            parts = [prefix, *map(str, action["ids"]), *([suffix] if suffix else [])]
            buttons.append({"text": action["label"], "callback_data": ":".join(parts)})
        if buttons:
            rows.append(buttons)
    return {"inline_keyboard": rows} if rows else None


def _convert(source: str, target: str, convert: Any) -> None:
    outbox = sa.table(
        "outbox",
        sa.column("id", sa.Integer),
        sa.column(source, sa.JSON),
        sa.column(target, sa.JSON),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(outbox.c.id, outbox.c[source]).where(outbox.c[source].is_not(None))
    ).all()
    for outbox_id, value in rows:
        connection.execute(
            sa.update(outbox).where(outbox.c.id == outbox_id).values({target: convert(value)})
        )


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("actions", sa.JSON(), nullable=True))
    _convert("reply_markup", "actions", _to_actions)
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("reply_markup")


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reply_markup", sa.JSON(), nullable=True))
    _convert("actions", "reply_markup", _to_markup)
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("actions")
