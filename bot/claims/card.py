"""The insurers' part of the case card: each claim's status, amounts, numbers, payments."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.case.card import CardPart
from bot.claims import routing
from bot.kernel import outbox
from bot.kernel.services import Services
from bot.kernel.texts import Raw, t
from bot.rules.amounts import format_fen
from storage.models import Case, InsurerPayment


async def claims_section(session: AsyncSession, svc: Services, case: Case) -> CardPart | None:
    """One line per live claim: status, requested/approved, 报案号, 定损, payments."""
    assert case.id is not None
    claims = await routing.live_claims(session, case.id)
    if not claims:
        return None
    lang = await outbox.chat_language(session, svc, case.chat_id)
    lines = [t("claims.section", lang)]
    for c in claims:
        extra = []
        if c.approved_fen is not None:
            extra.append(t("claims.card.approved", lang, amount=format_fen(c.approved_fen)))
        if c.claim_no:
            extra.append(t("claims.card.claim_no", lang, claim_no=c.claim_no))
        if c.assessed_fen is not None:
            extra.append(t("claims.card.assessed", lang, amount=format_fen(c.assessed_fen)))
        if c.survey_fen is not None:
            extra.append(t("claims.card.survey", lang, amount=format_fen(c.survey_fen)))
        if c.recognized_claim_id is not None:
            extra.append(t("claims.card.recognized", lang))
        if c.reason:
            extra.append(t("claims.card.reason", lang, reason=c.reason))
        stmt = (
            select(InsurerPayment)
            .where(InsurerPayment.claim_id == c.id)
            .order_by(col(InsurerPayment.id))
        )
        payments = list((await session.exec(stmt)).all())
        if payments:
            parts = "+".join(format_fen(p.amount_fen) for p in payments)
            extra.append(t("claims.card.paid", lang, total=format_fen(c.paid_fen), parts=parts))
        lines.append(
            t(
                "claims.card_line",
                lang,
                insurer=svc.insurer_name(c.insurer_code),
                status=t(f"claims.status.{c.status}", lang),
                requested=format_fen(c.requested_fen),
                extra=Raw(" · " + " · ".join(extra)) if extra else "",
            )
        )
    return CardPart(lines=tuple(lines))
