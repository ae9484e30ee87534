"""The insurer loop's queries."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.claims import rules
from storage.models import CaseMessage, InsurerClaim, InsurerPayment


async def live_claims(session: AsyncSession, case_id: int) -> list[InsurerClaim]:
    """The claims that count for a case (the latest round of each insurer), oldest first."""
    stmt = (
        select(InsurerClaim)
        .where(InsurerClaim.case_id == case_id, col(InsurerClaim.status).in_(list(rules.LIVE)))
        .order_by(col(InsurerClaim.id))
    )
    return list((await session.exec(stmt)).all())


def ping_ref(claim_id: int | None) -> str:
    """How the sender marks a claim's ping among the case's messages."""
    return f"claim:{claim_id}"


async def ping_message_id(session: AsyncSession, claim_id: int | None) -> int | None:
    """The message id of a claim's ping, once the sender has sent it."""
    stmt = select(CaseMessage.message_id).where(CaseMessage.ref == ping_ref(claim_id))
    return (await session.exec(stmt)).first()


async def payment_of_message(
    session: AsyncSession, *, case_id: int, message_id: int
) -> InsurerPayment | None:
    """The payment a `/paid` message recorded, if it recorded one."""
    stmt = select(InsurerPayment).where(
        InsurerPayment.case_id == case_id, InsurerPayment.message_id == message_id
    )
    return (await session.exec(stmt)).first()
