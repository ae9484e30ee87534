"""Who is where: users, chats, members, admin rights, the bot joining and leaving."""

from __future__ import annotations

from typing import Any

from sandbox.world import ADMIN_RIGHTS, Chat, Member, User, World


class Membership:
    """Creating people and chats and changing who belongs to them."""

    world: World

    def _post(
        self, chat: Chat, uid: int, thread_id: int | None, reply_to: int | None, **content: Any
    ) -> dict:
        raise NotImplementedError

    # --- users and chats ------------------------------------------------------------------
    def create_user(
        self,
        first_name: str,
        username: str | None = None,
        last_name: str | None = None,
        language_code: str | None = "zh-hans",
        phone_number: str | None = None,
    ) -> int:
        """Create a person; returns the user id (also their private chat id).

        ``phone_number`` is what a request_contact button shares (see ``share_contact``).
        """
        uid = self.world.new_user_id()
        self.world.users[uid] = User(
            uid, first_name, last_name, username, language_code, phone_number=phone_number
        )
        return uid

    def create_chat(
        self,
        kind: str,
        title: str | None = None,
        is_forum: bool = False,
        members: list[int] | None = None,
        admins: dict[int, dict[str, bool]] | list[int] | None = None,
        bot_is_admin: bool = True,
        bot_rights: dict[str, bool] | None = None,
        bot_member: bool = True,
        creator: int | None = None,
        username: str | None = None,
    ) -> int:
        """Create a private chat, group or supergroup (forum when ``is_forum``); returns its id.

        ``admins`` maps user id to rights (a list of ids grants every right). The bot is an
        administrator with every right unless ``bot_is_admin=False`` or ``bot_rights`` says
        otherwise; ``bot_member=False`` leaves the bot outside the chat.
        """
        members = list(members or [])
        if kind == "private":
            if len(members) != 1:
                raise ValueError("a private chat needs members=[user_id]")
            uid = members[0]
            self._user(uid)
            chat = Chat(id=uid, type="private", private_user=uid)
            chat.members[uid] = Member(uid)
            chat.members[self.world.bot.id] = Member(self.world.bot.id)
            self.world.chats[uid] = chat
            return uid
        if kind not in ("group", "supergroup"):
            raise ValueError(f"unknown chat kind {kind!r}")
        if is_forum and kind != "supergroup":
            raise ValueError("only supergroups can be forums")
        chat = Chat(
            id=self.world.new_chat_id(kind),
            type=kind,
            title=title or "Group",
            is_forum=is_forum,
            username=username,
            next_message_id=2,
        )
        admin_map = dict.fromkeys(admins, None) if isinstance(admins, list) else dict(admins or {})
        for uid in [*members, *admin_map]:
            self._user(uid)
            chat.members[uid] = Member(uid)
        for uid, rights in admin_map.items():
            chat.members[uid] = Member(uid, "administrator", _rights(rights))
        if creator is not None:
            chat.members[creator] = Member(creator, "creator")
        if bot_member:
            bot_id = self.world.bot.id
            chat.members[bot_id] = (
                Member(bot_id, "administrator", _rights(bot_rights))
                if bot_is_admin
                else Member(bot_id)
            )
        self.world.chats[chat.id] = chat
        return chat.id

    def add_member(
        self, cid: int, uid: int, rights: dict[str, bool] | None = None, admin: bool = False
    ) -> None:
        """Add a user to a chat (as an administrator when ``admin``)."""
        chat = self._chat(cid)
        self._user(uid)
        chat.members[uid] = Member(uid, "administrator", _rights(rights)) if admin else Member(uid)

    def set_bot_rights(self, cid: int, rights: dict[str, bool] | None, admin: bool = True) -> None:
        """Promote or demote the bot (``admin=False`` makes it a plain member)."""
        chat = self._chat(cid)
        bot_id = self.world.bot.id
        chat.members[bot_id] = (
            Member(bot_id, "administrator", _rights(rights)) if admin else Member(bot_id)
        )

    def remove_bot(self, cid: int, by: int | None = None, kicked: bool = False) -> int:
        """Remove the bot from a group; queues a ``my_chat_member`` update; returns its id."""
        chat = self._chat(cid)
        old = self.world.bot_member(chat)
        status = "kicked" if kicked else "left"
        chat.members[self.world.bot.id] = Member(self.world.bot.id, status)
        return self._my_chat_member(chat, by, old, chat.members[self.world.bot.id])

    def add_bot(
        self,
        cid: int,
        by: int | None = None,
        admin: bool = True,
        rights: dict[str, bool] | None = None,
    ) -> int:
        """Add the bot to a group; queues a ``my_chat_member`` update; returns its id."""
        chat = self._chat(cid)
        old = self.world.bot_member(chat)
        bot_id = self.world.bot.id
        new = Member(bot_id, "administrator", _rights(rights)) if admin else Member(bot_id)
        chat.members[bot_id] = new
        return self._my_chat_member(chat, by, old, new)

    def _my_chat_member(self, chat: Chat, by: int | None, old: Member, new: Member) -> int:
        actor = by if by is not None else next(iter(chat.members))
        return self.world.push_update(
            "my_chat_member",
            {
                "chat": self.world.chat_json(chat),
                "from": self._user(actor).to_json(),
                "date": self.world.now(),
                "old_chat_member": self._member_json(chat, old),
                "new_chat_member": self._member_json(chat, new),
            },
        )

    def _member_json(self, chat: Chat, member: Member) -> dict:
        from sandbox.chatmethods import ChatMethods

        return ChatMethods(self.world).member_json(chat, member)

    def block_bot(self, uid: int, blocked: bool = True) -> None:
        """The user blocks (or unblocks) the bot in their private chat."""
        self._chat(uid).bot_blocked = blocked

    def migrate_chat(self, cid: int, by: int | None = None) -> int:
        """Upgrade a basic group to a supergroup; returns the new chat id."""
        old = self._chat(cid)
        if old.type != "group":
            raise ValueError("only basic groups migrate")
        new = Chat(
            id=self.world.new_chat_id("supergroup"),
            type="supergroup",
            title=old.title,
            members=dict(old.members),
            next_message_id=2,
        )
        self.world.chats[new.id] = new
        old.migrated_to = new.id
        actor = by if by is not None else next(iter(old.members))
        self._post(old, actor, None, None, service={"migrate_to_chat_id": new.id})
        self._post(new, actor, None, None, service={"migrate_from_chat_id": old.id})
        return new.id

    def _user(self, uid: int) -> User:
        if uid not in self.world.users:
            raise KeyError(f"no user {uid}; create it with create_user()")
        return self.world.users[uid]

    def _chat(self, cid: int) -> Chat:
        chat = self.world.chat(cid)
        if chat is None:
            raise KeyError(f"no chat {cid}; create it with create_chat()")
        return chat


def _rights(rights: dict[str, bool] | None) -> dict[str, bool]:
    if rights is None:
        return dict.fromkeys(ADMIN_RIGHTS, True)
    return {right: bool(rights.get(right, False)) for right in ADMIN_RIGHTS}
