"""The insurer loop's queries."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.claims import rules
from storage.models import InsurerClaim


async def live_claims(session: AsyncSession, case_id: int) -> list[InsurerClaim]:
    """The claims that count for a case (the latest round of each insurer), oldest first."""
    stmt = (
        select(InsurerClaim)
        .where(InsurerClaim.case_id == case_id, col(InsurerClaim.status).in_(list(rules.LIVE)))
        .order_by(col(InsurerClaim.id))
    )
    return list((await session.exec(stmt)).all())
