"""The compensation table of a case: deployment policy + parties → payments → lines."""

from __future__ import annotations

from collections.abc import Sequence

from bot.config.deployment import Compensation
from bot.kernel.texts import Raw, t
from bot.rules.amounts import format_fen
from bot.rules.compensation import CompensationPolicy, Party, Payment, settle
from bot.rules.liability import Grade, LiabilityPolicy

_GRADE_KEYS = {
    "full": Grade.FULL,
    "major": Grade.MAJOR,
    "equal": Grade.EQUAL,
    "minor": Grade.MINOR,
    "none": Grade.NONE,
}


def policy_from(deployment: Compensation) -> CompensationPolicy:
    """The rules' policy object from the deployment file's compensation section."""
    ratios = deployment.commercial_ratios_percent
    liability = LiabilityPolicy(
        full_bp=ratios.get("full", 100) * 100,
        major_bp=ratios.get("major", 70) * 100,
        equal_bp=ratios.get("equal", 50) * 100,
        minor_bp=ratios.get("minor", 30) * 100,
        none_bp=ratios.get("none", 0) * 100,
    )
    return CompensationPolicy(
        compulsory_property_limit_fen=deployment.compulsory_property_limit_yuan * 100,
        compulsory_no_fault_limit_fen=deployment.compulsory_property_no_fault_limit_yuan * 100,
        liability=liability,
        no_fault_proxy_payment=deployment.no_fault_proxy_payment,
        mutual_self_settlement=deployment.mutual_self_settlement.enabled,
        mutual_self_ceiling_fen=deployment.mutual_self_settlement.ceiling_yuan * 100,
    )


def grade_of(code: str | None) -> Grade | None:
    """A stored grade code as the rules' Grade."""
    return _GRADE_KEYS.get(code or "")


def compute(parties: Sequence[Party], policy: CompensationPolicy) -> list[Payment]:
    """Who pays whom under which layer."""
    return settle(list(parties), policy)


def table_lines(
    payments: Sequence[Payment], insurer_names: dict[str, str], lang: str = "zh"
) -> list[str]:
    """Safe HTML lines like `平安产险 → 乙 交强险财产 ¥2,000.00`, in the chat's language."""
    lines = []
    for p in payments:
        payer = insurer_names.get(p.payer_insurer or "", p.payer_insurer or p.payer_party)
        if p.payer_insurer is None:
            payer = t("parties.pay.self", lang, label=p.payer_party)
        proxy = ""
        if p.advanced_by:
            proxy = t(
                "parties.pay.proxy", lang, insurer=insurer_names.get(p.advanced_by, p.advanced_by)
            )
        lines.append(
            t(
                "parties.pay.line",
                lang,
                payer=Raw(payer) if p.payer_insurer is None else payer,
                payee=p.payee_party,
                layer=t(f"layer.{p.layer.value}", lang),
                amount=format_fen(p.amount_fen),
                proxy=Raw(proxy),
            )
        )
    return lines
