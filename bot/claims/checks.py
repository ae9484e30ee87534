"""What every insurer button checks first: the token's claim and case belong together, the
press is on the claim's own ping, the presser is that insurer's adjuster or supervisor.

A press that fails is refused with an alert and audited; nothing changes."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.case.status import INSURER_STAGE
from bot.claims import store
from bot.claims.rules import ClaimStatus
from bot.kernel.buttons import Press, PressResult, case_button
from bot.kernel.services import Services
from bot.kernel.texts import t
from bot.roles.lookup import grants_of
from bot.rules.access import Action, may
from storage import queries as q
from storage.models import Button, Case, InsurerClaim


async def claim_button(
    session: AsyncSession,
    svc: Services,
    case: Case,
    claim: InsurerClaim,
    action_name: str,
    **args: int | str | None,
) -> str:
    """Callback data for a button of one claim: it carries the claim and its insurer, which
    `checked_press` holds the press against."""
    return await case_button(
        session, svc, case, action_name, claim=claim.id, insurer=claim.insurer_code, **args
    )


async def checked_press(
    session: AsyncSession,
    svc: Services,
    press: Press,
    button: Button,
    what: Action,
    *,
    on_ping: bool,
) -> tuple[InsurerClaim, Case] | PressResult:
    """The claim and case behind a press, or the refusal (audited)."""
    lang, now = svc.language, svc.clock.now()
    claim_id = button.args.get("claim")
    claim = await session.get(InsurerClaim, claim_id) if isinstance(claim_id, int) else None
    case = await session.get(Case, button.case_id) if button.case_id else None

    def refuse(reason: str, text: str) -> PressResult:
        q.audit(
            session,
            at=now,
            kind="claim.refused",
            case_id=case.id if case else None,
            chat_id=press.chat_id,
            actor=press.user_id,
            action=button.action,
            claim=claim_id,
            reason=reason,
        )
        return PressResult(text, alert=True)

    if (
        claim is None
        or case is None
        or claim.case_id != case.id
        or claim.insurer_code != button.args.get("insurer")
        or case.chat_id != press.chat_id
    ):
        return refuse("forged", t("claims.forged", lang))
    ping = await store.ping_message_id(session, claim.id)
    if on_ping and ping is not None and press.message_id != ping:
        return refuse("forged", t("claims.forged", lang))
    grants = await grants_of(
        session, svc, chat_id=case.chat_id, user_id=press.user_id, township=case.township_code
    )
    if not may(what, grants, case_insurers=[claim.insurer_code]):
        return refuse(
            "role", t("claims.refused", lang, insurer=svc.insurer_name(claim.insurer_code))
        )
    if claim.status == ClaimStatus.SUPERSEDED:
        return refuse("stale", t("claims.stale", lang))
    if case.status not in INSURER_STAGE:
        # Police took the case over, or it was cancelled: insurers' buttons wait.
        return refuse("case_status", t("claims.stale", lang))
    return claim, case


def already_or_stale(
    svc: Services, claim: InsurerClaim, done: tuple[ClaimStatus, ...]
) -> PressResult:
    if claim.status in done:
        return PressResult(t("claims.already", svc.language))
    return PressResult(t("claims.stale", svc.language), alert=True)
