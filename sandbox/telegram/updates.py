"""Telegram's update kinds and how to tell an update's kind and chat."""

from __future__ import annotations

from sandbox.jsontypes import JsonDict

#: Update kinds Telegram sends when ``allowed_updates`` is empty or was never set.
DEFAULT_UPDATE_KINDS = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)
KNOWN_UPDATE_KINDS = DEFAULT_UPDATE_KINDS | {
    "chat_member",
    "message_reaction",
    "message_reaction_count",
}


def update_kind(update: JsonDict) -> str:
    """The payload key of an update (``message``, ``callback_query``...)."""
    for key in update:
        if key != "update_id":
            return key
    return ""


def update_chat_id(update: JsonDict) -> int | None:
    """The chat an update belongs to; webhooks deliver one chat's updates in order."""
    for key, value in update.items():
        if key == "update_id" or not isinstance(value, dict):
            continue
        chat = value.get("chat")
        if not isinstance(chat, dict):
            message = value.get("message")
            chat = message.get("chat") if isinstance(message, dict) else None
        if isinstance(chat, dict) and isinstance(chat.get("id"), int):
            return int(chat["id"])
        sender = value.get("from") or value.get("user")
        if isinstance(sender, dict) and isinstance(sender.get("id"), int):
            return int(sender["id"])
    return None
