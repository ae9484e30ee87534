"""A driver's shared contact: the confirmation waiting for it is recorded when the number is
the one on the case (the contact check of the deployment's rules)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.kernel.services import Services
from bot.kernel.texts import t
from bot.parties.confirm import REMOVE_KEYBOARD, private_say, record_answer, refusal_for
from bot.rules.phones import same_phone
from storage import queries as q
from storage.models import Case, ContactRequest, Party


@dataclass(frozen=True)
class SharedContact:
    """A contact message in a private chat, as the handler saw it."""

    chat_id: int
    user_id: int
    contact_user_id: int | None
    phone_number: str


async def receive_contact(svc: Services, c: SharedContact) -> str:
    """A contact arrived in the private chat: record the waiting answer if it proves the driver."""

    async def work(session: AsyncSession) -> str:
        now = svc.clock.now()
        request = await session.get(ContactRequest, c.user_id)
        party = await session.get(Party, request.party_id) if request else None
        case = await session.get(Case, party.case_id) if party else None
        outcome, text = "", ""
        if request is None or party is None or case is None:
            outcome, text = "unasked", t("confirm.contact_unasked", svc.language)
        elif c.contact_user_id != c.user_id:
            # A contact card from the attachment menu or forwarded: someone else's number.
            outcome, text = "not_own", t("confirm.contact_not_own", svc.language)
        elif refusal := await refusal_for(session, svc, party, case, request.token, c.user_id):
            outcome, text = "refused", refusal
            await session.delete(request)
        elif not same_phone(c.phone_number, party.phone):
            outcome = "mismatch"
            text = t("confirm.contact_mismatch", svc.language, label=party.label)
        else:
            await session.delete(request)
            text = await record_answer(session, svc, case, party, agree=request.agree, by=c.user_id)
            outcome = "recorded"
        if outcome != "recorded":
            q.audit(
                session,
                at=now,
                kind="confirm.contact_refused",
                case_id=case.id if case else None,
                chat_id=case.chat_id if case else None,
                actor=c.user_id,
                reason=outcome,
                label=party.label if party else None,
            )
        private_say(
            session, svc, c.chat_id, text, REMOVE_KEYBOARD if outcome == "recorded" else None
        )
        return outcome

    return await svc.in_transaction(work)
