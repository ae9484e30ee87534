"""Bot API methods about the bot, chats, members, commands, callback answers and files."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from sandbox import limits
from sandbox.rules import ApiError, Params, bad, require_bot_in_chat, resolve_chat
from sandbox.world import ADMIN_RIGHTS, Chat, Member, World

CHAT_ACTIONS = {
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
}
_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")


class ChatMethods:
    """getMe, getChat*, leaveChat, sendChatAction, *MyCommands, answerCallbackQuery, getFile."""

    def __init__(self, world: World, callback_ttl: float | None = None) -> None:
        self.world = world
        self.callback_ttl = callback_ttl

    def table(self) -> dict[str, Callable[[Params], Any]]:
        """Method name -> implementation."""
        return {
            "getMe": self.get_me,
            "getChat": self.get_chat,
            "getChatMember": self.get_chat_member,
            "getChatAdministrators": self.get_chat_administrators,
            "getChatMemberCount": self.get_chat_member_count,
            "leaveChat": self.leave_chat,
            "sendChatAction": self.send_chat_action,
            "setMyCommands": self.set_my_commands,
            "getMyCommands": self.get_my_commands,
            "deleteMyCommands": self.delete_my_commands,
            "answerCallbackQuery": self.answer_callback_query,
            "getFile": self.get_file,
            "logOut": lambda p: True,
            "close": lambda p: True,
        }

    def get_me(self, p: Params) -> dict:  # noqa: ARG002
        """getMe."""
        data = self.world.bot.to_json()
        data.update(
            can_join_groups=True,
            can_read_all_group_messages=False,
            supports_inline_queries=False,
            can_connect_to_business=False,
            has_main_web_app=False,
        )
        return data

    def get_chat(self, p: Params) -> dict:
        """getChat: a ChatFullInfo."""
        chat = resolve_chat(self.world, p)
        data = self.world.chat_json(chat)
        data.update(
            accent_color_id=0,
            max_reaction_count=11,
            accepted_gift_types={
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        )
        pins = [m for m in chat.messages.values() if m.pinned and not m.deleted]
        if pins:
            data["pinned_message"] = self.world.message_json(pins[-1], nested=False)
        return data

    def member_json(self, chat: Chat, member: Member) -> dict:
        """A ChatMember object for this member."""
        user = self.world.users[member.user_id].to_json()
        if member.status == "creator":
            return {"status": "creator", "user": user, "is_anonymous": False}
        if member.status == "administrator":
            data: dict[str, Any] = {
                "status": "administrator",
                "user": user,
                "can_be_edited": False,
                "is_anonymous": False,
            }
            for right in ADMIN_RIGHTS:
                if right == "can_manage_topics" and not chat.is_forum:
                    continue
                data[right] = bool(member.rights.get(right, False))
            return data
        if member.status == "kicked":
            return {"status": "kicked", "user": user, "until_date": 0}
        return {"status": member.status, "user": user}

    def get_chat_member(self, p: Params) -> dict:
        """getChatMember."""
        chat = resolve_chat(self.world, p)
        uid = p.int("user_id", required=True)
        if uid not in self.world.users:
            raise bad("Bad Request: PARTICIPANT_ID_INVALID")
        return self.member_json(chat, self.world.member(chat, uid))

    def get_chat_administrators(self, p: Params) -> list[dict]:
        """getChatAdministrators."""
        chat = resolve_chat(self.world, p)
        if chat.type == "private":
            return []
        return [
            self.member_json(chat, m)
            for m in chat.members.values()
            if m.status in ("creator", "administrator")
        ]

    def get_chat_member_count(self, p: Params) -> int:
        """getChatMemberCount."""
        chat = resolve_chat(self.world, p)
        return sum(1 for m in chat.members.values() if m.status not in ("left", "kicked"))

    def leave_chat(self, p: Params) -> bool:
        """leaveChat."""
        chat = resolve_chat(self.world, p)
        if chat.type == "private":
            raise bad("Bad Request: chat member status can't be changed in private chats")
        require_bot_in_chat(self.world, chat)
        chat.members[self.world.bot.id] = Member(self.world.bot.id, "left")
        self.world.notify()
        return True

    def send_chat_action(self, p: Params) -> bool:
        """sendChatAction."""
        chat = resolve_chat(self.world, p)
        require_bot_in_chat(self.world, chat)
        if p.str("action") not in CHAT_ACTIONS:
            raise bad("Bad Request: wrong parameter action in request")
        return True

    def _commands_key(self, p: Params) -> str:
        scope = p.json("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True) + "|" + (p.str("language_code") or "")

    def set_my_commands(self, p: Params) -> bool:
        """setMyCommands."""
        commands = p.json("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad("Bad Request: can't parse commands JSON object")
        for cmd in commands:
            if not _COMMAND.match(str(cmd.get("command", ""))):
                raise bad("Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(cmd.get("description", ""))) <= limits.MAX_COMMAND_DESCRIPTION:
                raise bad("Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        self.world.commands[self._commands_key(p)] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    def get_my_commands(self, p: Params) -> list[dict]:
        """getMyCommands."""
        return self.world.commands.get(self._commands_key(p), [])

    def delete_my_commands(self, p: Params) -> bool:
        """deleteMyCommands."""
        self.world.commands.pop(self._commands_key(p), None)
        return True

    def answer_callback_query(self, p: Params) -> bool:
        """answerCallbackQuery: once per query, within ``callback_ttl`` seconds."""
        query = self.world.callback_queries.get(p.str("callback_query_id") or "")
        expired = (
            query is not None
            and self.callback_ttl is not None
            and (self.world.clock() - query["created"] > self.callback_ttl)
        )
        if query is None or query["answer"] is not None or expired:
            raise bad(
                "Bad Request: query is too old and response timeout expired or query ID is invalid"
            )
        text = p.str("text")
        if text is not None and len(text) > limits.MAX_CALLBACK_ANSWER_TEXT:
            raise bad("Bad Request: MESSAGE_TOO_LONG")
        query["answer"] = {
            "text": text,
            "show_alert": p.bool("show_alert"),
            "url": p.str("url"),
            "cache_time": p.int("cache_time"),
        }
        self.world.notify()
        return True

    def get_file(self, p: Params) -> dict:
        """getFile."""
        stored = self.world.files.get(p.str("file_id", required=True) or "")
        if stored is None:
            raise bad("Bad Request: invalid file_id")
        if stored.size > limits.MAX_DOWNLOAD_BYTES:
            raise bad(limits.ERR_FILE_TOO_BIG)
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
            "file_path": stored.file_path,
        }


__all__ = ["ApiError", "ChatMethods"]
