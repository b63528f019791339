"""Bot API methods about the bot itself: getMe, updates and webhooks, commands, menus."""

from __future__ import annotations

import json
import re
import time
from itertools import islice

from sandbox.errors import ApiError, bad_request
from sandbox.jsontypes import JsonDict
from sandbox.telegram.methods import (
    COMMAND_NAME,
    COMMAND_SCOPES,
    POLL_CONFLICT,
    WEBHOOK_CONFLICT,
    Described,
    Handler,
    MethodGroup,
)
from sandbox.telegram.params import Params


class BotMethods(MethodGroup):
    """getMe, getUpdates, set/delete/getWebhook(Info), commands, menu button, texts, getChat."""

    def table(self) -> dict[str, Handler]:
        return {
            "getme": self.get_me,
            "getupdates": self.get_updates,
            "setwebhook": self.set_webhook,
            "deletewebhook": self.delete_webhook,
            "getwebhookinfo": self.get_webhook_info,
            "setmycommands": self.set_my_commands,
            "getmycommands": self.get_my_commands,
            "deletemycommands": self.delete_my_commands,
            "setchatmenubutton": self.set_chat_menu_button,
            "getchatmenubutton": self.get_chat_menu_button,
            "setmydescription": self._setter("description"),
            "getmydescription": self._getter("description"),
            "setmyshortdescription": self._setter("short_description"),
            "getmyshortdescription": self._getter("short_description"),
            "setmyname": self._setter("name"),
            "getmyname": self._getter("name"),
            "getchat": self.get_chat,
            "close": self.ok,
            "logout": self.ok,
        }

    # ------------------------------------------------------------ methods
    async def ok(self, p: Params) -> bool:
        """close / logOut: nothing to do locally."""
        return True

    async def get_me(self, p: Params) -> JsonDict:
        return {
            **self.sb.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def get_updates(self, p: Params) -> list[JsonDict]:
        sb = self.sb
        if self.webhook.active:
            raise ApiError(409, WEBHOOK_CONFLICT)
        offset = p.get_int("offset")
        limit = p.get_int("limit") or 100
        limit = min(100, max(1, limit))
        timeout = min(p.get_float("timeout") or 0.0, sb.config.max_long_poll)
        allowed = p.get_json("allowed_updates", "can't parse allowed updates")
        if allowed is not None:
            if not isinstance(allowed, list) or not all(isinstance(a, str) for a in allowed):
                raise bad_request("allowed_updates must be an Array of String")
            sb.set_allowed_updates(allowed)
        sb.confirm_updates(offset)
        sb.poll_generation += 1
        generation = sb.poll_generation
        sb.wake_pollers()  # an older long poll gets 409, like Telegram
        deadline = time.monotonic() + max(0.0, timeout)
        while not sb.updates and not sb.closing:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            await sb.wait_updates(remaining)
            if generation != sb.poll_generation:
                raise ApiError(409, POLL_CONFLICT)
            if self.webhook.active:
                raise ApiError(409, WEBHOOK_CONFLICT)
        result = list(islice(sb.updates.values(), limit))
        sb.counters["updates_returned"] += len(result)
        return result

    async def set_webhook(self, p: Params) -> Described:
        sb = self.sb
        url = (p.get_str("url") or "").strip()
        drop = p.get_bool("drop_pending_updates")
        if not url:
            self.webhook.delete(drop_pending=drop)
            return Described(True, "Webhook was deleted")
        if not re.match(r"https?://[^/\s]+", url):
            raise bad_request(
                "bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443"
            )
        secret = p.get_str("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise bad_request("secret token contains unallowed characters")
        max_connections = p.get_int("max_connections") or 40
        if not 1 <= max_connections <= 100:
            raise bad_request("bad webhook: max_connections must be between 1 and 100")
        allowed = p.get_json("allowed_updates", "can't parse allowed updates")
        if allowed is not None and not isinstance(allowed, list):
            raise bad_request("allowed_updates must be an Array of String")
        sb.set_allowed_updates(allowed)
        existed = self.webhook.url == url
        self.webhook.set(
            url,
            secret_token=secret,
            max_connections=max_connections,
            drop_pending=drop,
            ip_address=p.get_str("ip_address"),
        )
        return Described(True, "Webhook is already set" if existed else "Webhook was set")

    async def delete_webhook(self, p: Params) -> Described:
        existed = self.webhook.active
        self.webhook.delete(drop_pending=p.get_bool("drop_pending_updates"))
        return Described(True, "Webhook was deleted" if existed else "Webhook is already deleted")

    async def get_webhook_info(self, p: Params) -> JsonDict:
        return self.webhook.info()

    @staticmethod
    def _commands_key(p: Params) -> tuple[str, str]:
        scope = p.get_json("scope", "can't parse BotCommandScope JSON object")
        if scope is None:
            scope = {"type": "default"}
        if not isinstance(scope, dict) or scope.get("type") not in COMMAND_SCOPES:
            raise bad_request("can't parse BotCommandScope JSON object")
        language = p.get_str("language_code") or ""
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise bad_request("invalid language code specified")
        return json.dumps(scope, sort_keys=True), language

    async def set_my_commands(self, p: Params) -> bool:
        commands = p.get_json("commands", "can't parse commands JSON object")
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON object")
        if len(commands) > 100:
            raise bad_request("too many commands specified")
        clean: list[JsonDict] = []
        for item in commands:
            if not isinstance(item, dict):
                raise bad_request("can't parse BotCommand JSON object")
            command = item.get("command")
            description = item.get("description")
            if not isinstance(command, str) or not COMMAND_NAME.fullmatch(command.lstrip("/")):
                raise bad_request("BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise bad_request("command description is empty or too long")
            clean.append({"command": command.lstrip("/"), "description": description})
        key = self._commands_key(p)
        if clean:
            self.sb.commands[key] = clean
        else:
            self.sb.commands.pop(key, None)
        return True

    async def get_my_commands(self, p: Params) -> list[JsonDict]:
        return list(self.sb.commands.get(self._commands_key(p), []))

    async def delete_my_commands(self, p: Params) -> bool:
        self.sb.commands.pop(self._commands_key(p), None)
        return True

    async def set_chat_menu_button(self, p: Params) -> bool:
        chat_id = p.get_int("chat_id")
        if chat_id is not None and chat_id not in self.sb.chats:
            raise bad_request("chat not found")
        button = p.get_json("menu_button", "can't parse menu button JSON object")
        if button is None:
            button = {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in (
            "default",
            "commands",
            "web_app",
        ):
            raise bad_request("can't parse menu button JSON object")
        self.sb.menu_buttons[chat_id] = button
        return True

    async def get_chat_menu_button(self, p: Params) -> JsonDict:
        chat_id = p.get_int("chat_id")
        buttons = self.sb.menu_buttons
        return buttons.get(chat_id) or buttons.get(None) or {"type": "default"}

    def _setter(self, field_name: str) -> Handler:
        async def setter(p: Params) -> bool:
            self.sb.bot_texts[(field_name, p.get_str("language_code") or "")] = (
                p.get_str(field_name) or ""
            )
            return True

        return setter

    def _getter(self, field_name: str) -> Handler:
        async def getter(p: Params) -> JsonDict:
            value = self.sb.bot_texts.get((field_name, p.get_str("language_code") or ""), "")
            if field_name == "name" and not value:
                value = self.sb.config.bot_first_name
            return {field_name: value}

        return getter

    async def get_chat(self, p: Params) -> JsonDict:
        chat = self._chat(p, check_blocked=False)
        return {
            **chat.chat,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }
