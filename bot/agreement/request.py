"""/agreement in a case's thread: who may ask for the agreement, and posting its draft."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.agreement.post import post_agreement
from bot.kernel.incoming import AgreementRequest
from bot.kernel.outbox import say
from bot.kernel.services import Services
from bot.kernel.texts import t
from bot.parties import store
from bot.roles.lookup import grants_of
from bot.rules.access import Action, may
from storage import queries as q
from storage.models import Case


async def may_request(
    session: AsyncSession, svc: Services, case: Case, req: AgreementRequest
) -> bool:
    """Whoever the agreement is for (bot/rules/access.py `AGREEMENT_REQUEST`).

    The case's opener counts as its assistant, as for evidence. "The case's insurers" are
    the insurers of its parties: the draft may precede the compensation table.
    """
    assert case.id is not None
    if req.user_id == case.opened_by:
        return True
    grants = await grants_of(
        session,
        svc,
        chat_id=case.chat_id,
        user_id=req.user_id,
        township=case.township_code,
        chat_admin=req.chat_admin,
    )
    insurers = {
        p.insurer_code for p in await store.parties_of(session, case_id=case.id) if p.insurer_code
    }
    return may(Action.AGREEMENT_REQUEST, grants, case_insurers=insurers)


async def request_agreement(svc: Services, req: AgreementRequest) -> str:
    """/agreement in a case thread: post the current draft; what happened."""

    async def work(session: AsyncSession) -> str:
        lang = svc.language
        if req.private or await q.get_group(session, chat_id=req.chat_id) is None:
            key = "agreement.private" if req.private else "agreement.unregistered"
            q.enqueue(
                session,
                at=svc.clock.now(),
                chat_id=req.chat_id,
                kind="send_text",
                text=t(key, lang),
                reply_to=req.message_id,
                thread_id=req.topic_id,
            )
            return "unregistered"
        case = await q.case_in_thread(
            session,
            chat_id=req.chat_id,
            topic_id=req.topic_id,
            anchors=(req.reply_to_message_id, req.chain_root_id),
        )
        if case is None:
            q.enqueue(
                session,
                at=svc.clock.now(),
                chat_id=req.chat_id,
                kind="send_text",
                text=t("agreement.not_in_case", lang),
                reply_to=req.message_id,
                thread_id=req.topic_id,
            )
            return "not_in_case"
        if not await may_request(session, svc, case, req):
            q.audit(
                session,
                at=svc.clock.now(),
                kind="agreement.refused",
                case_id=case.id,
                chat_id=case.chat_id,
                actor=req.user_id,
            )
            say(session, svc, case, t("agreement.not_allowed", lang), reply_to=req.message_id)
            return "refused"
        await post_agreement(session, svc, case, actor=req.user_id, reply_to=req.message_id)
        return "posted"

    return await svc.in_transaction(work)
