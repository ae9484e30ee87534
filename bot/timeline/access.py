"""Who may read a case's timeline, and which insurers pay in a case.

`paying_insurers` is the one place that answers "does this insurer pay here". Today it
reads the compensation table of the case (the parties' grades and estimates through
bot/parties/money.py); once the insurer loop keeps a claim table, replace its body with a
read of that table and every caller follows.
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.kernel.services import Services
from bot.parties import store
from bot.parties.money import compute, grade_of, policy_from
from bot.roles.lookup import grants_of
from bot.rules.access import Action, may
from bot.rules.compensation import Party as RuleParty
from bot.rules.compensation import insurer_totals
from storage.models import Case


async def paying_insurers(session: AsyncSession, svc: Services, case: Case) -> frozenset[str]:
    """Codes of the insurers whose money pays out in this case (empty until it can be computed)."""
    assert case.id is not None
    rule_parties = []
    for p in await store.parties_of(session, case_id=case.id):
        grade = grade_of(p.grade)
        if grade is None or p.estimate_fen is None or not p.insurer_code:
            return frozenset()
        rule_parties.append(
            RuleParty(p.label, p.insurer_code, grade, p.estimate_fen, p.other_property_fen)
        )
    if len(rule_parties) < 2:
        return frozenset()
    try:
        payments = compute(rule_parties, policy_from(svc.deployment.compensation))
    except ValueError:
        return frozenset()
    return frozenset(code for code, fen in insurer_totals(payments).items() if fen > 0)


async def may_view(session: AsyncSession, svc: Services, case: Case, *, user_id: int) -> bool:
    """Whether a person may read the case's timeline: grants in the case's own group."""
    grants = await grants_of(
        session, svc, chat_id=case.chat_id, user_id=user_id, township=case.township_code
    )
    if not grants:
        return False
    return may(
        Action.VIEW_TIMELINE, grants, case_insurers=await paying_insurers(session, svc, case)
    )
