"""Use cases about groups: registering a chat for a township."""

from __future__ import annotations

from enum import StrEnum

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config.deployment import Township
from bot.kernel.incoming import SetupRequest
from bot.kernel.services import Services
from bot.kernel.texts import Raw, t
from bot.roles.offices import LIAISON_KIND, is_liaison, liaison_townships
from bot.rules.cleaning import clean_text, clip
from storage import queries as q
from storage.models import ChatGroup


class SetupOutcome(StrEnum):
    REGISTERED = "registered"
    UPDATED = "updated"
    NOT_ADMIN = "not_admin"
    USAGE = "usage"
    UNKNOWN_TOWNSHIP = "unknown_township"
    PRIVATE = "private"


def _file_admin(svc: Services, user_id: int, township: Township | None) -> bool:
    # The deployment file's admins count as group admins, within the townships they serve;
    # without a (known) township they may still be told the usage.
    return any(
        p.user_id == user_id
        and p.role == "admin"
        and (not p.townships or township is None or township.code in p.townships)
        for p in svc.deployment.people
    )


async def setup_group(svc: Services, req: SetupRequest) -> SetupOutcome:
    """Register (or re-register) a group for a township; always answer in the chat."""

    async def work(session: AsyncSession) -> SetupOutcome:
        now = svc.clock.now()
        lang = svc.language
        choices = "、".join(town.name for town in svc.deployment.townships)
        # Cleaned like every typed value: zero-width characters alone are no township, and a
        # bidi override around a name must not make a known township unknown.
        argument = clean_text(req.argument)
        township = svc.deployment.find_township(argument) if argument else None
        if argument and argument.lower() in LIAISON_WORDS:
            return await _setup_liaison(session, svc, req)
        if req.chat_type == "private":
            outcome, text = SetupOutcome.PRIVATE, t("setup.private", lang)
        elif not (req.user_is_admin or _file_admin(svc, req.user_id, township)):
            outcome, text = SetupOutcome.NOT_ADMIN, t("setup.not_admin", lang)
        elif not argument:
            outcome, text = SetupOutcome.USAGE, t("setup.usage", lang, townships=choices)
        elif township is None:
            outcome = SetupOutcome.UNKNOWN_TOWNSHIP
            text = t("setup.unknown_township", lang, text=clip(argument, 40), townships=choices)
        elif (
            row := await q.get_registration(session, chat_id=req.chat_id)
        ) and row.kind != "township":
            outcome, text = SetupOutcome.USAGE, t("setup.is_liaison", lang)
        else:
            group = await q.get_group(session, chat_id=req.chat_id)
            if group is None:
                outcome = SetupOutcome.REGISTERED
                group = ChatGroup(
                    chat_id=req.chat_id,
                    township_code=township.code,
                    case_prefix=township.case_prefix,
                    registered_by=req.user_id,
                    registered_at=now,
                    timezone=svc.timezone,
                    language=lang,
                )
            else:
                outcome = SetupOutcome.UPDATED
            group.title = req.title
            group.is_forum = req.is_forum
            group.township_code = township.code
            group.case_prefix = township.case_prefix
            session.add(group)
            key = "setup.done" if outcome is SetupOutcome.REGISTERED else "setup.updated"
            text = t(key, lang, township=township.name)
            q.audit(
                session,
                at=now,
                kind=f"group.{outcome.value}",
                chat_id=req.chat_id,
                actor=req.user_id,
                township=township.code,
            )
        q.enqueue(
            session,
            at=now,
            chat_id=req.chat_id,
            kind="send_text",
            text=Raw(text),
            reply_to=req.message_id,
            thread_id=req.thread_id,
        )
        return outcome

    return await svc.in_transaction(work)


# `/setup 联席办` registers the liaison office's chat instead of a township group.
LIAISON_WORDS = frozenset({"联席办", "liaison", "联席办公室"})


async def _setup_liaison(session: AsyncSession, svc: Services, req: SetupRequest) -> SetupOutcome:
    """Register a chat as the liaison office's: by a group admin who is liaison (the file or
    a chat grant), overseeing the townships the file gives that person (all by default)."""
    now, lang = svc.clock.now(), svc.language
    if req.chat_type == "private":
        outcome, text = SetupOutcome.PRIVATE, t("setup.private", lang)
    elif not (req.user_is_admin or _file_admin(svc, req.user_id, None)) or not await is_liaison(
        session, svc, chat_id=req.chat_id, user_id=req.user_id
    ):
        outcome, text = SetupOutcome.NOT_ADMIN, t("setup.liaison_not_allowed", lang)
    elif await q.get_group(session, chat_id=req.chat_id) is not None:
        outcome, text = SetupOutcome.USAGE, t("setup.is_township", lang)
    else:
        towns = liaison_townships(svc, req.user_id) or frozenset()
        row = await q.get_registration(session, chat_id=req.chat_id)
        outcome = SetupOutcome.REGISTERED if row is None else SetupOutcome.UPDATED
        row = row or ChatGroup(
            chat_id=req.chat_id,
            township_code="",
            case_prefix="",
            registered_by=req.user_id,
            registered_at=now,
            timezone=svc.timezone,
            language=lang,
            kind=LIAISON_KIND,
        )
        row.title, row.is_forum, row.scope = req.title, req.is_forum, sorted(towns)
        session.add(row)
        names = "、".join(svc.township_name(code) for code in sorted(towns)) or t(
            "setup.all_townships", lang
        )
        text = t("setup.liaison_done", lang, townships=names)
        q.audit(
            session,
            at=now,
            kind=f"group.liaison_{outcome.value}",
            chat_id=req.chat_id,
            actor=req.user_id,
            townships=sorted(towns),
        )
    q.enqueue(
        session,
        at=now,
        chat_id=req.chat_id,
        kind="send_text",
        text=Raw(text),
        reply_to=req.message_id,
        thread_id=req.thread_id,
    )
    return outcome


async def follow_migration(svc: Services, *, old_chat_id: int, new_chat_id: int) -> bool:
    """A basic group became a supergroup: move every row of the old chat id to the new one."""

    async def work(session: AsyncSession) -> bool:
        if await q.get_group(session, chat_id=old_chat_id) is None:
            return False
        await q.rewrite_chat_id(session, old=old_chat_id, new=new_chat_id)
        q.audit(
            session,
            at=svc.clock.now(),
            kind="group.migrated",
            chat_id=new_chat_id,
            old=old_chat_id,
        )
        return True

    return await svc.in_transaction(work)
